//! The start page after sign-in: the company at a glance and, for administrators, the
//! state of the installation and what to do next.

use crate::audit::store as audit;
use crate::auth::{Permission, Role};
use crate::crm::users::store as users;
use crate::db;
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::HttpResponse;
use minijinja::context;

/// `GET /`.
pub async fn page(page: Page) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    let admin = me.can(Permission::ManageUsers);
    let my_id = me.id;
    let today = crate::crm::followups::pages::today(&page.state).to_string();
    let (user_count, by_role, audit_head, recent, due) = page
        .state
        .db
        .read(move |c| {
            let all = users::list(c)?;
            let active: Vec<_> = all.iter().filter(|u| u.disabled_at.is_none()).collect();
            let by_role: Vec<(&str, usize)> = Role::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str(),
                        active.iter().filter(|u| u.role == r.as_str()).count(),
                    )
                })
                .collect();
            let by_role: Vec<(String, usize)> = by_role
                .into_iter()
                .map(|(r, n)| (r.to_string(), n))
                .collect();
            let head = audit::head(c)?;
            let (recent, _) = audit::list(c, &audit::Filter::default(), 8)?;
            let due = crate::crm::followups::store::due_counts(c, my_id, &today)?;
            Ok((active.len(), by_role, head, recent, due))
        })
        .await?;
    page.render(
        "home/home.html",
        context! {
            admin, user_count, by_role, overdue => due.0, due_today => due.1,
            audit_count => audit_head.as_ref().map(|h| h.0).unwrap_or(0),
            recent => if admin { crate::audit::pages::rows(&recent) } else { Vec::new() },
            schema_version => db::LATEST_VERSION,
            app_version => env!("CARGO_PKG_VERSION"),
            notice => page.notice(),
        },
    )
}
