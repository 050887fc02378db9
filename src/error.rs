//! One error type for the whole application, mapped once to HTTP.
//!
//! A handler returns `AppError`; its `ResponseError` impl only sets the status. The
//! response middleware (`web::middleware`) then renders the HTML error page or the JSON
//! error body, with the request id, so no handler can leak a cause chain to a user.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use std::collections::BTreeMap;

/// Everything that can go wrong while answering a request.
#[derive(thiserror::Error)]
pub enum AppError {
    /// No such record, or the user may not know it exists.
    #[error("not found")]
    NotFound,
    /// The user is signed in but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The user may not do this, for the reason given (shown to them).
    #[error("forbidden: {0}")]
    Denied(String),
    /// A conditional request (`If-Match`) named a version the record no longer has.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// A change to a versioned record came without the version it was made on.
    #[error("precondition required")]
    PreconditionRequired,
    /// The request needs a signed-in user.
    #[error("sign-in required")]
    SignInRequired,
    /// The CSRF token was missing or wrong.
    #[error("the form was stale or did not come from Kith")]
    Csrf,
    /// Input failed validation; `fields` names each bad field.
    #[error("validation failed: {message}")]
    Validation {
        /// A sentence for the user.
        message: String,
        /// Field name to problem.
        fields: BTreeMap<String, String>,
    },
    /// The resource does not take this method (e.g. a change to a read-only collection);
    /// the message says what it does take.
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    /// The record changed since it was read, or a unique value is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A new record looks like records already on file; the client confirms to create it
    /// anyway. Each duplicate holds only what the user may know of it.
    #[error("duplicate: {message}")]
    Duplicate {
        /// A sentence for the user.
        message: String,
        /// The records it looks like.
        duplicates: Vec<serde_json::Value>,
    },
    /// Too many attempts; try again later.
    #[error("too many requests")]
    TooManyRequests,
    /// The request body is larger than allowed.
    #[error("the request is too large")]
    TooLarge,
    /// Something on our side failed; the cause is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{self}")?;
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            writeln!(f, "Caused by: {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl AppError {
    /// A lock was poisoned by a panic in another thread.
    pub fn poisoned() -> AppError {
        AppError::Internal(anyhow::anyhow!("a lock was poisoned"))
    }

    /// A validation error about one field.
    pub fn invalid(field: &str, message: &str) -> AppError {
        AppError::Validation {
            message: message.to_string(),
            fields: BTreeMap::from([(field.to_string(), message.to_string())]),
        }
    }

    /// The machine-readable code used in JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden | AppError::Denied(_) => "forbidden",
            AppError::PreconditionFailed(_) => "precondition_failed",
            AppError::PreconditionRequired => "precondition_required",
            AppError::SignInRequired => "unauthorized",
            AppError::Csrf => "csrf_failed",
            AppError::Validation { .. } => "validation_failed",
            AppError::Conflict(_) => "conflict",
            AppError::Duplicate { .. } => "duplicate",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::TooManyRequests => "too_many_requests",
            AppError::TooLarge => "payload_too_large",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::QueryReturnedNoRows => AppError::NotFound,
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                AppError::Conflict("a record with this value already exists".into())
            }
            _ => AppError::Internal(anyhow::Error::new(e).context("database")),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf | AppError::Denied(_) => StatusCode::FORBIDDEN,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::SignInRequired => StatusCode::UNAUTHORIZED,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) | AppError::Duplicate { .. } => StatusCode::CONFLICT,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // The body is replaced by the error-page middleware, which knows the request.
        HttpResponse::build(self.status_code()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_row_is_a_404_and_a_duplicate_is_a_409() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x TEXT UNIQUE); INSERT INTO t VALUES ('a');")
            .unwrap();
        let missing: AppError = conn
            .query_row("SELECT x FROM t WHERE x = 'b'", [], |r| {
                r.get::<_, String>(0)
            })
            .unwrap_err()
            .into();
        assert_eq!(missing.status_code(), StatusCode::NOT_FOUND);
        let dup: AppError = conn
            .execute("INSERT INTO t VALUES ('a')", [])
            .unwrap_err()
            .into();
        assert_eq!(dup.status_code(), StatusCode::CONFLICT);
    }
}
