//! CRM features, one folder each: types and rules in `mod.rs`, SQL in `store.rs`, HTML in
//! `pages.rs`.

pub mod api;
pub mod attachments;
pub mod companies;
pub mod contacts;
pub mod deals;
pub mod departments;
pub mod exports;
pub mod fields;
pub mod followups;
pub mod health;
pub mod home;
pub mod imports;
pub mod industries;
pub mod leads;
pub mod notifications;
pub mod offboarding;
pub mod pools;
pub mod products;
pub mod quotes;
pub mod records;
pub mod roles;
pub mod search;
pub mod seed;
pub mod settings;
pub mod sharing;
pub mod tags;
pub mod tokens;
pub mod users;
pub mod views;
pub mod webhooks;
