//! The 360° page of a record.

use super::super::Entity;
use super::super::store::{self, ListQuery};
use super::*;
use crate::audit::store as audit;
use crate::auth::{Action, Permission};
use crate::crm::followups::store as followups;
use crate::crm::followups::{ActivityInput, FieldErrors as FollowupErrors};
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};

/// `GET /{entity}/{id}`: the 360° page.
pub async fn show(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    show_page(e, &page, path_id(&id)?, None).await
}

/// The 360° page: details, contacts (companies), follow-ups, open tasks and the change
/// history. A follow-up form that failed validation comes back filled in (422).
pub async fn show_page(
    e: &'static Entity,
    page: &Page,
    id: i64,
    followup: Option<(ActivityInput, FollowupErrors)>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(e.area, Action::View)?;
    let is_company = e.table == "companies";
    let scope = page.scope(e.area, Action::View).await?;
    let contacts_area = crate::crm::contacts::CONTACTS.area;
    let contact_scope = page.scope(contacts_area, Action::View).await?;
    let owners = contact_scope.owners().map(<[i64]>::to_vec);
    let shared = contact_scope.shared().to_vec();
    let (rec, contacts, history, activities, tasks, tags, (files, duplicates)) = page
        .state
        .db
        .read(move |c| {
            let rec = store::get(c, e, id)?;
            let contacts = if is_company {
                let q = ListQuery {
                    company_id: Some(id),
                    sort: "name",
                    owners,
                    shared,
                    ..Default::default()
                };
                // The first contacts by name; the list page has them all.
                store::list(c, &crate::crm::contacts::CONTACTS, &q, 20)?
            } else {
                (Vec::new(), false)
            };
            // The record's own history and that of duplicates merged into it.
            let mut history = Vec::new();
            for rid in std::iter::once(id).chain(store::merged_into(c, e, id)?) {
                let filter = audit::Filter {
                    entity_type: Some(e.kind.into()),
                    entity_id: Some(rid.to_string()),
                    ..Default::default()
                };
                history.extend(audit::list(c, &filter, 30)?.0);
            }
            history.sort_by_key(|e| std::cmp::Reverse(e.id));
            history.truncate(30);
            let duplicates = if rec.deleted_at.is_none() {
                store::duplicates(c, e, &rec.values, Some(id))?
            } else {
                Vec::new()
            };
            let activities = followups::activities(c, e.code, id, 100)?;
            let tasks = followups::open_tasks(c, e.code, id)?;
            let mut tags =
                crate::crm::tags::store::for_records(c, crate::crm::tags::kind(e), &[id])?;
            let tags = tags.remove(&id).unwrap_or_default();
            let files =
                crate::crm::attachments::store::for_record(c, crate::crm::tags::kind(e), id)?;
            Ok((
                rec,
                contacts,
                history,
                activities,
                tasks,
                tags,
                (files, duplicates),
            ))
        })
        .await?;
    let all_tags = crate::crm::tags::all(&page.state.db).await?;
    let custom_defs = crate::crm::fields::definitions(&page.state.db, e.table).await?;
    if rec.deleted_at.is_some() && !me.can(Permission::ManageTrash) {
        return Err(AppError::NotFound);
    }
    if !scope.allows_record(rec.owner(), rec.id) {
        return Err(AppError::NotFound);
    }
    let owner = rec.owner();
    let edit_scope = page.scope(e.area, Action::Edit).await?;
    let can_edit = rec.deleted_at.is_none() && edit_scope.allows_record(owner, rec.id);
    // Only those who may edit it by their role share it (not those it is shared with).
    let can_share = rec.deleted_at.is_none() && edit_scope.allows(owner);
    let (record_id, table) = (rec.id, e.table);
    // Whom it could be shared with is only needed by those who may share it.
    let share_users = match can_share {
        true => Some(super::owners(page).await?),
        false => None,
    };
    let (shares, share_departments) = page
        .state
        .db
        .read(move |c| {
            let departments = match can_share {
                true => crate::crm::departments::store::all(c)?,
                false => Vec::new(),
            };
            Ok((
                crate::crm::sharing::store::for_record(c, table, record_id)?,
                departments,
            ))
        })
        .await?;
    let can_delete = page.scope(e.area, Action::Delete).await?.allows(owner);
    let deal = if e.code == crate::crm::deals::DEALS.code {
        Some(crate::crm::deals::pages::deal_panel(page, &rec, can_edit).await?)
    } else {
        None
    };
    let deals = crate::crm::deals::pages::customer_deals(page, e, rec.id).await?;
    let rules = me.access.rules(e.area);
    let mut rec = rec;
    super::super::redact_record(e, &rules, &mut rec);
    let contact_rules = me.access.rules(contacts_area);
    // Changes to fields the user may not see are left out of the history (custom fields
    // are audited under their labels).
    let hidden = super::super::rules::hidden(&rules);
    let hidden_labels: Vec<String> = custom_defs
        .iter()
        .filter(|f| hidden.contains(&format!("custom.{}", f.key)))
        .map(|f| f.label.clone())
        .collect();
    // An entry that only changed hidden fields is left out whole: an empty one would still
    // tell that something changed.
    let history: Vec<Value> = history
        .iter()
        .filter_map(|entry| {
            let all = entry.parsed_changes();
            let any = !all.is_empty();
            let changes: Vec<_> = all
                .into_iter()
                .filter(|c| !hidden.contains(&c.field) && !hidden_labels.contains(&c.field))
                .collect();
            (!changes.is_empty() || !any)
                .then(|| context! { changes, ..Value::from_serialize(entry) })
        })
        .collect();
    // Duplicates the user may not see are not shown here (the create form names their owner).
    let duplicates: Vec<_> = duplicates
        .into_iter()
        .filter(|d| scope.allows_record(d.owner_id, d.id))
        .collect();
    let (contacts, more_contacts) = contacts;
    let contacts: Vec<Value> = contacts
        .into_iter()
        .map(|mut r| {
            super::super::redact_record(&crate::crm::contacts::CONTACTS, &contact_rules, &mut r);
            view(&crate::crm::contacts::CONTACTS, &r)
        })
        .collect();
    let fresh = followup.is_none();
    let (followup_input, followup_errors) = followup.unwrap_or_default();
    let today = crate::crm::followups::pages::today(&page.state).to_string();
    page.render_form(
        "records/show.html",
        context! {
            entity => e.table, more_contacts, fields => visible_fields(e, &rules), record => view(e, &rec), contacts,
            contact_hidden => super::super::rules::hidden(&contact_rules),
            history, activities, tasks, today, tags, all_tags => all_tags.as_slice(),
            colors => crate::crm::tags::COLORS, files, duplicates,
            custom => custom_defs.iter().filter(|f| !hidden.contains(&format!("custom.{}", f.key))).map(|f| (f.label.clone(), crate::crm::fields::display(rec.values.get("custom").and_then(|c| c.get(&f.key))))).collect::<Vec<_>>(),
            max_mb => page.state.config.attachments.max_megabytes,
            kinds => crate::crm::followups::KINDS, outcomes => crate::crm::followups::OUTCOMES,
            followup => followup_input, followup_errors,
            deal, deals, can_edit, can_delete, can_share, shares, share_users => share_users.map(|o| o.share_options(owner)), share_departments,
            can_add_contact => me.level(contacts_area, Action::Create) != crate::auth::Level::None,
            notice => page.notice(),
        },
        fresh,
    )
}
