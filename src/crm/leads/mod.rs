//! Leads (线索): people who may become customers, entered by hand, through a public form or
//! by import, assigned by rules, returned to a pool when nobody follows them up, and
//! converted into a company, a contact and a deal in one step. They are records like
//! companies and contacts; this folder adds what is particular to them.

pub mod assign;
pub mod convert;
pub mod forms;
pub mod forms_guard;
pub mod forms_pages;
pub mod forms_public;
pub mod forms_store;
pub mod pages;
pub mod rules;
pub mod rules_pages;
pub mod rules_store;
pub mod store;

use crate::crm::records::{Entity, Kind, SOURCES, field as f};

/// Where a lead stands.
pub const STATUSES: &[&str] = &["new", "working", "qualified", "unqualified", "converted"];

/// The lead record.
pub static LEADS: Entity = Entity {
    table: "leads",
    kind: "lead",
    area: crate::auth::Area::Leads,
    fields: &[
        f("name", Kind::Text(100), true, true),
        f("company_name", Kind::Text(200), false, true),
        f("title", Kind::Text(100), false, false),
        f("status", Kind::Select(STATUSES), true, true),
        f("source", Kind::Select(SOURCES), false, true),
        f("mobile", Kind::Phone, false, true),
        f("phone", Kind::Phone, false, false),
        f("email", Kind::Email, false, false),
        f("wechat", Kind::Text(50), false, false),
        f("province", Kind::Text(50), false, true),
        f("city", Kind::Text(50), false, false),
        f("industry_id", Kind::Industry, false, false),
        f("owner_id", Kind::User, false, true),
        f("notes", Kind::LongText, false, false),
    ],
    sorts: &["updated_at", "created_at", "name"],
    code: 3,
    on_save: None,
};
