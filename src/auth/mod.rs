//! Who may do what: passwords, sessions, CSRF, sign-in throttling, and the one place
//! where permissions are decided ([`access::Access`], [`CurrentUser::level`]).

pub mod access;
pub mod bearer;
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
use std::sync::Arc;

pub use access::{Access, Action, Area, FieldRule, Level};

/// The built-in roles. What each grants is [`access::Access::built_in`]; an administrator
/// copies one into a custom role (`crm::roles`) to change it.
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

    /// The role a key names, if it is built in.
    pub fn built_in(key: &str) -> Option<Role> {
        Role::parse(key)
    }
}

impl Permission {
    /// Whether `access` grants this permission.
    pub fn granted(self, access: &Access) -> bool {
        match self {
            Permission::ViewAudit => access.level(Area::Settings, Action::View) == Level::All,
            Permission::ManageUsers
            | Permission::ManageSettings
            | Permission::ManageTrash
            | Permission::ManageBackups => access.is_admin(),
        }
    }
}

/// What a user's role grants: a built-in role's grants, or a custom role's stored ones
/// (`custom`, JSON). A custom role that cannot be read grants nothing.
pub fn resolve_access(role: &str, custom: Option<&str>) -> Access {
    match (Role::built_in(role), custom) {
        (Some(r), _) => Access::built_in(r),
        (None, Some(json)) => serde_json::from_str(json).unwrap_or_default(),
        (None, None) => Access::default(),
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
    /// Role key: a built-in role's name or a custom role's key.
    pub role: String,
    /// A custom role's name (built-in roles are named by the catalog).
    pub role_name: Option<String>,
    /// Preferred UI language, if chosen.
    pub language: Option<String>,
    /// Whether the role administers the installation (shows the Administration menu).
    pub admin: bool,
    /// What the role grants.
    #[serde(skip)]
    pub access: Arc<Access>,
}

impl CurrentUser {
    /// Builds the user of a session from their stored role.
    pub fn new(
        id: i64,
        email: String,
        name: String,
        role: String,
        role_name: Option<String>,
        custom_access: Option<&str>,
        language: Option<String>,
    ) -> CurrentUser {
        let access = resolve_access(&role, custom_access);
        CurrentUser {
            id,
            email,
            name,
            admin: access.is_admin(),
            role,
            role_name,
            language,
            access: Arc::new(access),
        }
    }

    /// Whether the user's role grants `p`.
    pub fn can(&self, p: Permission) -> bool {
        p.granted(&self.access)
    }

    /// `Ok` when the user's role grants `p`, otherwise 403.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// How far the user's role lets them do `action` on `area`.
    pub fn level(&self, area: Area, action: Action) -> Level {
        self.access.level(area, action)
    }

    /// The level of `action` on `area`, or 403 when the role does not grant it at all.
    pub fn require_level(&self, area: Area, action: Action) -> Result<Level, AppError> {
        match self.level(area, action) {
            Level::None => Err(AppError::Forbidden),
            l => Ok(l),
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
