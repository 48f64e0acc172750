//! How a run of `commons` fails, and the exit status each kind of failure gets.

use std::process::ExitCode;

/// Why `commons` stopped with an error.
#[derive(Debug)]
pub enum Failure {
    /// Bad configuration or a resource unavailable at start-up; exit status 2.
    Startup(anyhow::Error),
    /// Something failed while running; exit status 1.
    Runtime(anyhow::Error),
}

impl Failure {
    /// A start-up failure with `context` in front of `err`.
    pub fn startup(err: impl Into<anyhow::Error>, context: impl std::fmt::Display) -> Self {
        Self::Startup(err.into().context(context.to_string()))
    }

    /// Prints the failure as one line on standard error and gives the exit status.
    pub fn report(self) -> ExitCode {
        let (err, code) = match self {
            Self::Startup(err) => (err, 2),
            Self::Runtime(err) => (err, 1),
        };
        // `{:#}` joins the causes on one line: "context: cause: root cause".
        eprintln!("error: {err:#}");
        ExitCode::from(code)
    }
}

impl From<commons_store::Error> for Failure {
    fn from(err: commons_store::Error) -> Self {
        match err {
            commons_store::Error::InvalidUrl { .. }
            | commons_store::Error::DataDirUnusable { .. }
            | commons_store::Error::ConnectFailed { .. }
            | commons_store::Error::MigrateFailed { .. } => Self::Startup(err.into()),
            _ => Self::Runtime(err.into()),
        }
    }
}
