//! Contacts (联系人): the people at customers, optionally belonging to a company.

use super::records::{Entity, Kind, SOURCES, STATUSES, field as f};

/// The contact record.
pub static CONTACTS: Entity = Entity {
    table: "contacts",
    kind: "contact",
    area: crate::auth::Area::Contacts,
    fields: &[
        f("name", Kind::Text(100), true, true),
        f("company_id", Kind::Company, false, true),
        f("title", Kind::Text(100), false, false),
        f("status", Kind::Select(STATUSES), true, true),
        f("source", Kind::Select(SOURCES), false, false),
        f("mobile", Kind::Phone, false, true),
        f("phone", Kind::Phone, false, false),
        f("email", Kind::Email, false, true),
        f("wechat", Kind::Text(100), false, false),
        f("province", Kind::Text(50), false, false),
        f("city", Kind::Text(50), false, true),
        f("address", Kind::Text(300), false, false),
        f("owner_id", Kind::User, false, true),
        f("notes", Kind::LongText, false, false),
    ],
    sorts: &["updated_at", "created_at", "name"],
    code: 1,
    on_save: None,
};
