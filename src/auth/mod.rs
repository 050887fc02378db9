//! Who may do what: passwords, sessions, CSRF, sign-in throttling, and the one place
//! where permissions are decided ([`Role::can`]).

pub mod csrf;
pub mod pages;
pub mod password;
pub mod scope;
pub mod session;
pub mod setup;
pub mod store;
pub mod throttle;

use crate::error::AppError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use serde::Serialize;
use std::future::{Ready, ready};

/// A user's role. A fuller, admin-editable permission system builds on this later; every
/// check already goes through [`Role::can`] so it has one place to grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the installation: users, settings, audit log.
    Admin,
    /// Leads a sales or service team.
    Manager,
    /// Works leads, customers and deals.
    Sales,
    /// Handles tickets.
    Service,
    /// Reads only.
    Viewer,
}

/// Things a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create, edit and disable users.
    ManageUsers,
    /// Browse and export the audit log.
    ViewAudit,
    /// Change the company profile and settings.
    ManageSettings,
    /// See customer records (companies, contacts).
    ViewRecords,
    /// Create, edit and delete customer records.
    EditRecords,
    /// Restore anyone's records from the trash and purge them for good.
    ManageTrash,
    /// See, take and download backups.
    ManageBackups,
}

impl Role {
    /// Every role, in the order forms offer them.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Sales,
        Role::Service,
        Role::Viewer,
    ];

    /// Parses the stored/submitted name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Service => "service",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role grants `p`.
    pub fn can(self, p: Permission) -> bool {
        match p {
            Permission::ManageUsers
            | Permission::ViewAudit
            | Permission::ManageSettings
            | Permission::ManageTrash
            | Permission::ManageBackups => self == Role::Admin,
            Permission::ViewRecords => true,
            Permission::EditRecords => self != Role::Viewer,
        }
    }
}

/// The signed-in user of a request, put into the request by the session middleware.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    /// User id.
    pub id: i64,
    /// Email, also the sign-in name.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Preferred UI language, if chosen.
    pub language: Option<String>,
}

impl CurrentUser {
    /// `Ok` when the user's role grants `p`, otherwise 403.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.role.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = req
            .extensions()
            .get::<session::Session>()
            .map(|s| s.user.clone());
        ready(user.ok_or(AppError::SignInRequired))
    }
}

/// Random bytes as hex, for tokens.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// SHA-256 of a token as hex: what is stored instead of the token itself.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
