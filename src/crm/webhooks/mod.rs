//! Outbound webhooks: signed deliveries of changes to URLs an admin registers.

pub mod deliver;
pub mod sign;
