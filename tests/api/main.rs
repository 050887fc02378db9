//! The integration tests: one binary, a real server per test on port 0, real SQLite files.

mod attachments;
mod audit;
mod backups;
mod cli;
mod csrf;
mod customers;
mod deals;
mod departments;
mod health;
mod helpers;
mod leads;
mod login;
mod notifications;
mod offboarding;
mod pages;
mod products;
mod quotes;
mod records;
mod roles;
mod scopes;
mod sessions;
mod setup;
mod sharing;
mod users;
