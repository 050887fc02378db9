//! Kith: an on-premises CRM appliance in one executable.
//!
//! Infrastructure lives in the top-level modules; each CRM feature has a folder under `crm/`.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub mod audit;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod crm;
pub mod db;
pub mod domain;
pub mod error;
pub mod server;
pub mod telemetry;
pub mod web;
