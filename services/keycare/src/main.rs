//! `keycare`: the KeyCare gateway and its administration commands.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = <keycare::cli::Cli as clap::Parser>::parse();
    match keycare::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line that says what is wrong and how to fix it; details go to the log.
            eprintln!("keycare: {err:#}");
            ExitCode::from(2)
        }
    }
}
