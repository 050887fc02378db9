//! The quote editor: `/quotes/new?deal=ID` and `/quotes/{id}/edit`. A plain form: rows of
//! lines plus a few empty ones, and an "add rows" button that also recalculates the totals
//! without saving.

use super::super::form::{BLANK_ROWS, QuoteInput};
use super::super::store::{self, Deal};
use super::super::{Draft, calc};
use super::{Visible, editable, path_id};
use crate::auth::csrf::Form;
use crate::auth::{Action, Area, Level};
use crate::crm::products::store::{self as products, Product};
use crate::crm::users::FieldErrors;
use crate::domain::Money;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use std::collections::HashMap;

/// Products offered in the picker at most.
const PICKER_LIMIT: usize = 500;
/// Deals offered when a new quote was opened without one.
const DEAL_CHOICES: usize = 100;

type Pairs = Form<Vec<(String, String)>>;

/// The catalog as the editor needs it: the active products to offer (when the user may use
/// the catalog) and every product the form mentions, by id.
pub(crate) async fn catalog(
    page: &Page,
    input: &QuoteInput,
) -> Result<(Vec<Product>, HashMap<i64, Product>), AppError> {
    let allowed = page.user()?.level(Area::Products, Action::View) != Level::None;
    let ids = input.product_ids();
    let (offered, mentioned) = page
        .state
        .db
        .read(move |c| {
            let offered = if allowed {
                products::active(c, PICKER_LIMIT)?
            } else {
                Vec::new()
            };
            let mut mentioned = Vec::new();
            for id in ids {
                mentioned.extend(products::get(c, id)?);
            }
            Ok((offered, mentioned))
        })
        .await?;
    // Without the catalog, a row may keep the product it already had but not pick one.
    let map = mentioned
        .into_iter()
        .filter(|p| allowed || input.rows.iter().any(|r| r.from == p.id.to_string()))
        .map(|p| (p.id, p))
        .collect();
    Ok((offered, map))
}

/// What the editor is for: the deal, and the quote when it exists.
struct Editor<'a> {
    deal: &'a Deal,
    quote_id: Option<i64>,
    number: Option<String>,
}

async fn render(
    page: &Page,
    ed: &Editor<'_>,
    mut input: QuoteInput,
    mut errors: FieldErrors,
    tidy: bool,
) -> Result<HttpResponse, AppError> {
    if tidy {
        input.tidy(BLANK_ROWS);
    }
    let (offered, map) = catalog(page, &input).await?;
    input.fill_from_catalog(&map, &mut errors);
    let mut row_amounts = vec![String::new(); input.rows.len()];
    let mut totals = None;
    match input.validate() {
        Ok((draft, rows)) => match preview(page, &draft, &rows, &mut row_amounts).await? {
            Ok(t) => totals = Some(t),
            Err(field) => {
                errors.insert(field, "quote.error.too_large".into());
            }
        },
        Err(e) => errors.extend(e),
    }
    let products: Vec<Value> = offered
        .iter()
        .map(|p| {
            context! {
                price => Money::from_minor(p.price).plain(),
                tax_rate => calc::Percent::from_hundredths(p.tax_rate).to_string(),
                ..Value::from_serialize(p)
            }
        })
        .collect();
    let currency = page.state.company().map(|c| c.currency);
    let ok = errors.is_empty();
    let mut row_errors: Vec<(usize, &str)> = errors
        .iter()
        .filter_map(|(k, msg)| {
            let row = k
                .strip_prefix("line-")?
                .split('-')
                .next()?
                .parse::<usize>()
                .ok()?;
            Some((row + 1, msg.as_str()))
        })
        .collect();
    row_errors.sort_by_key(|r| r.0);
    let ctx = context! {
        deal => ed.deal, quote_id => ed.quote_id, number => ed.number, input, errors, products,
        totals, row_amounts, currency, row_errors,
    };
    page.render_form("quotes/edit.html", ctx, ok)
}

/// The totals of a valid form, each row's amount put in `amounts` (by row), and whether
/// it needs approval; or the field to mark when an amount is too large to be real.
async fn preview(
    page: &Page,
    draft: &Draft,
    rows: &[usize],
    amounts: &mut [String],
) -> Result<Result<Value, String>, AppError> {
    let prices: Vec<calc::LinePrice> = draft.lines.iter().map(|l| l.price()).collect();
    let t = match calc::compute(&prices, draft.discount) {
        Ok(t) => t,
        Err(e) => {
            let row = e.line.and_then(|i| rows.get(i));
            return Ok(Err(row.map_or_else(
                || "discount".to_string(),
                |r| format!("line-{r}-quantity"),
            )));
        }
    };
    for (line, row) in t.lines.iter().zip(rows) {
        if let Some(a) = amounts.get_mut(*row) {
            *a = line.amount.to_string();
        }
    }
    let threshold = page.state.db.read(|c| Ok(store::threshold(c)?)).await?;
    let largest = calc::Largest::of(draft.lines.iter().map(|l| l.discount), draft.discount);
    Ok(Ok(context! {
        subtotal => t.subtotal.to_string(), discount => t.discount.to_string(),
        tax => t.tax.to_string(), total => t.total.to_string(),
        needs_approval => largest.exceeds(threshold), largest => largest.percent().to_string(),
        threshold => threshold.to_string(),
    }))
}

/// A live deal the user may quote for: 404 when they cannot see it, 403 when its owner is
/// outside their right to create quotes.
pub(crate) async fn quotable_deal(page: &Page, id: Option<i64>) -> Result<Deal, AppError> {
    let id = id.ok_or_else(|| AppError::invalid("deal", "quote.error.deal"))?;
    let deal = page
        .state
        .db
        .read(move |c| Ok(store::deal(c, id)?))
        .await?
        .filter(|d| !d.deleted)
        .ok_or(AppError::NotFound)?;
    let me = page.user()?;
    let sees_deal = me.level(Area::Deals, Action::View) != Level::None
        && page
            .scope(Area::Deals, Action::View)
            .await?
            .allows_record(deal.owner_id, deal.id);
    if !sees_deal {
        return Err(AppError::NotFound);
    }
    if !page
        .scope(Area::Quotes, Action::Create)
        .await?
        .allows(deal.owner_id)
    {
        return Err(AppError::Forbidden);
    }
    Ok(deal)
}

/// `GET /quotes/new?deal=ID`; without a deal, a list of recent deals to choose from.
pub async fn new_form(
    page: Page,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Quotes, Action::Create)?;
    let Some(deal_id) = q.get("deal").filter(|d| !d.is_empty()) else {
        let scope = page.scope(Area::Quotes, Action::Create).await?;
        let owners = scope.owners().map(<[i64]>::to_vec);
        let deals = page
            .state
            .db
            .read(move |c| Ok(store::recent_deals(c, owners.as_deref(), DEAL_CHOICES)?))
            .await?;
        return page.render("quotes/pick_deal.html", context! { deals });
    };
    let deal = quotable_deal(&page, deal_id.parse().ok()).await?;
    let input = QuoteInput {
        deal: deal.id.to_string(),
        ..QuoteInput::default()
    };
    let ed = Editor {
        deal: &deal,
        quote_id: None,
        number: None,
    };
    render(&page, &ed, input, FieldErrors::new(), true).await
}

/// `POST /quotes/new`: creates a draft numbered in this year.
pub async fn create(page: Page, Form(pairs): Pairs) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(Area::Quotes, Action::Create)?;
    let input = QuoteInput::from_pairs(&pairs);
    let deal = quotable_deal(&page, input.deal.trim().parse().ok()).await?;
    let ed = Editor {
        deal: &deal,
        quote_id: None,
        number: None,
    };
    let draft = match checked(&page, &input).await? {
        Some(draft) => draft,
        None => {
            let tidy = input_tidy(&input);
            return render(&page, &ed, input, FieldErrors::new(), tidy).await;
        }
    };
    let company = page.state.company();
    let year = super::super::year_now(company.as_ref().map(|c| c.time_zone.as_str()));
    let currency = page.state.currency();
    let deal_id = deal.id;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::create(tx, deal_id, year, &currency, &draft)
        })
        .await;
    match result {
        Ok((id, _)) => Ok(see_other(&format!("/quotes/{id}?notice=record_created"))),
        Err(AppError::Validation { fields, .. }) => render(&page, &ed, input, fields, false).await,
        Err(e) => Err(e),
    }
}

fn input_tidy(input: &QuoteInput) -> bool {
    input.action == "rows"
}

/// The draft of a posted form when it is to be saved and is valid; `None` when the page
/// must be shown again (rows added, or errors to mark).
async fn checked(page: &Page, input: &QuoteInput) -> Result<Option<Draft>, AppError> {
    if input_tidy(input) {
        return Ok(None);
    }
    let mut filled = input.clone();
    let (_, map) = catalog(page, &filled).await?;
    let mut errors = FieldErrors::new();
    filled.fill_from_catalog(&map, &mut errors);
    match filled.validate() {
        Ok((draft, _)) if errors.is_empty() && draft.totals().is_ok() => Ok(Some(draft)),
        _ => Ok(None),
    }
}

async fn deal_of(page: &Page, v: &Visible) -> Result<Deal, AppError> {
    let id = v.quote.deal_id;
    page.state
        .db
        .read(move |c| Ok(store::deal(c, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /quotes/{id}/edit`: only before the quote is sent.
pub async fn edit_form(page: Page, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let v = editable(&page, path_id(&path)?).await?;
    if !v.status.editable() {
        return Err(AppError::Conflict("quote.error.locked".into()));
    }
    let id = v.quote.id;
    let lines = page
        .state
        .db
        .read(move |c| Ok(store::lines(c, id)?))
        .await?;
    let deal = deal_of(&page, &v).await?;
    let input = QuoteInput::from_quote(&v.quote, &lines);
    let ed = Editor {
        deal: &deal,
        quote_id: Some(id),
        number: Some(v.quote.number.clone()),
    };
    render(&page, &ed, input, FieldErrors::new(), true).await
}

/// `POST /quotes/{id}/edit`: saves the lines; a pending, approved or rejected quote goes
/// back to draft.
pub async fn update(
    page: Page,
    path: web::Path<String>,
    Form(pairs): Pairs,
) -> Result<HttpResponse, AppError> {
    let v = editable(&page, path_id(&path)?).await?;
    let input = QuoteInput::from_pairs(&pairs);
    let deal = deal_of(&page, &v).await?;
    let id = v.quote.id;
    let ed = Editor {
        deal: &deal,
        quote_id: Some(id),
        number: Some(v.quote.number.clone()),
    };
    let Some(draft) = checked(&page, &input).await? else {
        let tidy = input_tidy(&input);
        return render(&page, &ed, input, FieldErrors::new(), tidy).await;
    };
    let version = input.version;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::update(tx, id, version, &draft)
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/quotes/{id}?notice=saved"))),
        Err(AppError::Validation { fields, .. }) => render(&page, &ed, input, fields, false).await,
        Err(AppError::Conflict(key)) => {
            let errors = FieldErrors::from([("form".to_string(), key)]);
            render(&page, &ed, input, errors, false).await
        }
        Err(e) => Err(e),
    }
}
