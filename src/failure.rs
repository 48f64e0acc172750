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
        eprintln!("error: {}", one_line(&err));
        ExitCode::from(code)
    }
}

/// Joins the chain of causes on one line ("context: cause: root cause"), leaving out a
/// cause whose text the line already holds: some drivers repeat their source in their own
/// message.
pub(crate) fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
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
