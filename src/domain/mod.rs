//! Validated values parsed at the edge: once a value has one of these types, it is valid.

pub mod email;
pub mod phone;

pub use email::Email;
pub mod money;

pub use money::Money;
