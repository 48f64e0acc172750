//! The portal's error type and its one translation into HTTP responses.

use std::net::SocketAddr;

use axum::{
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::hosting::HostingError;

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
    /// The mail settings cannot be used.
    #[error("cannot use the mail settings: {0}")]
    MailSetupFailed(String),
    /// Session data could not be read or written.
    #[error("session data could not be encoded")]
    SessionEncodingFailed(#[from] serde_json::Error),
    /// The page needs a signed-in person and there is none.
    #[error("sign in to see this page")]
    SignInRequired,
    /// The API request carried no valid token.
    #[error("a valid API token is required")]
    TokenRequired,
    /// The signed-in person may not do this.
    #[error("you are not allowed to do that")]
    NotAllowed,
    /// A form arrived without the anti-forgery token of its session.
    #[error(
        "the form was out of date or did not come from this site; go back, reload and try again"
    )]
    CsrfRejected,
    /// Too many attempts in a short time.
    #[error("too many attempts; wait a few minutes and try again")]
    RateLimited,
    /// The request conflicts with the object's state (for example installing an app
    /// for an organisation that is not approved).
    #[error("{0}")]
    Conflict(&'static str),
    /// A request body or parameter is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The client's address is unknown: the router was served without connection info.
    #[error("the client's network address is unknown")]
    PeerUnknown,
    /// The hosting side failed or refused.
    #[error("hosting request failed")]
    HostingFailed(#[from] HostingError),
}

impl Error {
    /// The HTTP status of each error: the one place errors meet HTTP.
    pub(crate) fn status_code(&self) -> StatusCode {
        match self {
            Self::StoreFailed(commons_store::Error::NotFound { .. })
            | Self::HostingFailed(HostingError::NotFound { .. }) => StatusCode::NOT_FOUND,
            Self::StoreFailed(commons_store::Error::AlreadyExists { .. })
            | Self::HostingFailed(HostingError::AlreadyExists)
            | Self::Conflict(_) => StatusCode::CONFLICT,
            Self::SignInRequired => StatusCode::SEE_OTHER,
            Self::TokenRequired => StatusCode::UNAUTHORIZED,
            Self::NotAllowed | Self::CsrfRejected => StatusCode::FORBIDDEN,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Invalid(_) | Self::HostingFailed(HostingError::UnknownApplication { .. }) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::HostingFailed(HostingError::NotConnected) => StatusCode::SERVICE_UNAVAILABLE,
            Self::HostingFailed(HostingError::RequestFailed(_)) => StatusCode::BAD_GATEWAY,
            Self::BindFailed { .. }
            | Self::ServeFailed(_)
            | Self::StoreFailed(_)
            | Self::RenderFailed(_)
            | Self::LinkFailed(_)
            | Self::HashFailed
            | Self::MailSetupFailed(_)
            | Self::SessionEncodingFailed(_)
            | Self::PeerUnknown => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Text safe to show the client: causes of server errors stay in the log.
    pub(crate) fn client_text(&self) -> String {
        match self {
            Self::StoreFailed(
                err @ (commons_store::Error::NotFound { .. }
                | commons_store::Error::AlreadyExists { .. }),
            ) => capitalise(&err.to_string()),
            Self::HostingFailed(HostingError::NotConnected) => {
                "Hosting is not connected to a cluster yet.".to_owned()
            }
            Self::HostingFailed(HostingError::RequestFailed(_)) => {
                "The hosting cluster did not accept the change. Try again later.".to_owned()
            }
            other if other.status_code().is_server_error() => {
                "Something went wrong on our side. Please try again.".to_owned()
            }
            other => capitalise(&other.to_string()),
        }
    }

    /// Logs server errors, whichever way the response is rendered.
    pub(crate) fn log(&self) {
        if self.status_code().is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        format!("{}{}.", first.to_uppercase(), chars.as_str())
    })
}

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status_code();
        if let Self::SignInRequired = self {
            return (status, [(header::LOCATION, "/sign-in")]).into_response();
        }
        let text = escape(&self.client_text());
        let reason = status.canonical_reason().unwrap_or("Error");
        // A self-contained page: errors must render even when templates cannot.
        let page = format!(
            "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{reason} – Commons</title></head><body><header><a href=\"/\">Commons</a>\
             </header><main><h1>{reason}</h1><p>{text}</p><p><a href=\"/\">Go to the start \
             page</a></p></main></body></html>"
        );
        (status, Html(page)).into_response()
    }
}
