//! Posting a delivery to a receiver.
