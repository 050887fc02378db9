//! Companies (accounts, 客户公司): the organisations a team sells to and serves.

use super::records::{Entity, Kind, SOURCES, STATUSES, field as f};

/// The company record.
pub static COMPANIES: Entity = Entity {
    table: "companies",
    kind: "company",
    area: crate::auth::Area::Companies,
    fields: &[
        f("name", Kind::Text(200), true, true),
        f("status", Kind::Select(STATUSES), true, true),
        f("source", Kind::Select(SOURCES), false, false),
        f("industry_id", Kind::Industry, false, true),
        f("phone", Kind::Phone, false, true),
        f("email", Kind::Email, false, false),
        f("website", Kind::Text(300), false, false),
        f("province", Kind::Text(50), false, true),
        f("city", Kind::Text(50), false, true),
        f("address", Kind::Text(300), false, false),
        f("owner_id", Kind::User, false, true),
        f("notes", Kind::LongText, false, false),
    ],
    sorts: &["updated_at", "created_at", "name"],
    code: 0,
    on_save: None,
};
