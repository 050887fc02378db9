//! Signing webhook deliveries.
