//! Why a guest could not be authorised on a UniFi controller.

use std::{fmt, time::Duration};

/// The step of talking to the controller that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Finding out which kind of controller it is.
    Probe,
    /// Logging in.
    LogIn,
    /// Sending the authorisation.
    Authorise,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Probe => "finding out which kind of controller it is",
            Self::LogIn => "logging in",
            Self::Authorise => "authorising the guest",
        })
    }
}

/// Why a guest could not be authorised on the controller.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UnifiError {
    /// The controller's address in the site settings cannot be used.
    #[error(
        "the UniFi controller address {url:?} {reason}; correct it in the site's captive settings"
    )]
    InvalidController {
        /// The address as configured.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The controller's site name cannot be used.
    #[error("the UniFi site name {0:?} is not a controller site name (letters, digits, - and _)")]
    InvalidSite(String),
    /// The controller could not be reached.
    #[error("cannot reach the UniFi controller at {url} while {step}")]
    Unreachable {
        /// The controller.
        url: String,
        /// What the client was doing.
        step: Step,
        /// The connection's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The controller did not answer in time.
    #[error("the UniFi controller at {url} did not answer within {timeout:?} while {step}")]
    TimedOut {
        /// The controller.
        url: String,
        /// What the client was doing.
        step: Step,
        /// How long the client waited.
        timeout: Duration,
    },
    /// The controller refused the account.
    #[error(
        "the UniFi controller refused the login of {username:?} (HTTP {status}: {message}); \
         check the controller user name and password in the site's captive settings"
    )]
    LoginRejected {
        /// The account's user name.
        username: String,
        /// The HTTP status.
        status: u16,
        /// The controller's reason.
        message: String,
    },
    /// The controller refused the authorisation.
    #[error("the UniFi controller refused to authorise the device (HTTP {status}): {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The controller's reason.
        message: String,
    },
    /// The controller's answer was not what its API returns.
    #[error(
        "the UniFi controller gave an answer this client does not understand while {step}: {reason}"
    )]
    BadAnswer {
        /// What the client was doing.
        step: Step,
        /// What was wrong with the answer.
        reason: String,
    },
}
