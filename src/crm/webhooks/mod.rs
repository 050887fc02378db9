//! Outbound webhooks: signed deliveries of changes to URLs an admin registers.
//!
//! An audited change that a webhook listens for is queued in the same transaction
//! (`outbox`), a background thread sends it (`worker`, `deliver`, `tls`, `sign`) and records each
//! attempt, and administrators manage receivers and read the delivery log (`pages`).

pub mod deliver;
pub mod events;
pub mod hooks;
pub mod outbox;
pub mod pages;
pub mod sign;
pub mod store;
pub mod tls;
pub mod worker;
