//! The portal's error type and its one translation into HTTP responses.

use std::net::SocketAddr;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

/// What went wrong while serving a request, or while starting the portal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening socket could not be opened.
    #[error("cannot listen for HTTP on {addr}")]
    BindFailed {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's answer.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP server stopped with an error.
    #[error("HTTP server failed")]
    ServeFailed(#[source] std::io::Error),
    /// A store operation failed.
    #[error("store operation failed")]
    StoreFailed(#[from] commons_store::Error),
    /// A page could not be rendered.
    #[error("page rendering failed")]
    RenderFailed(#[from] minijinja::Error),
    /// A link to the portal could not be built from its public URL.
    #[error("cannot build a portal link")]
    LinkFailed(#[from] url::ParseError),
    /// Password hashing failed.
    #[error("password hashing failed")]
    HashFailed,
}

impl Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::StoreFailed(commons_store::Error::NotFound { .. }) => StatusCode::NOT_FOUND,
            Self::StoreFailed(commons_store::Error::AlreadyExists { .. }) => StatusCode::CONFLICT,
            Self::BindFailed { .. }
            | Self::ServeFailed(_)
            | Self::StoreFailed(_)
            | Self::RenderFailed(_)
            | Self::LinkFailed(_)
            | Self::HashFailed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        // Client-safe text only: causes stay in the log.
        let text = match &self {
            Self::StoreFailed(err @ commons_store::Error::NotFound { .. })
            | Self::StoreFailed(err @ commons_store::Error::AlreadyExists { .. }) => {
                err.to_string()
            }
            _ => "something went wrong on our side; please try again".to_owned(),
        };
        (status, text).into_response()
    }
}
