//! CRM features, one folder each: types and rules in `mod.rs`, SQL in `store.rs`, HTML in
//! `pages.rs`.

pub mod health;
pub mod home;
pub mod settings;
pub mod users;
