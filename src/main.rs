//! The `commons` command: parses its arguments and hands them to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    commons::run(commons::cli::Cli::parse())
}
