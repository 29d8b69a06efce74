//! The Sign In Enterprise reference SCIM server: the endpoint an IT admin
//! points Microsoft Entra ID at to provision hosts (SCIM Users) and host
//! groups (SCIM Groups).
//!
//! Run with `cargo run --release -p scim-server-example`: it creates an
//! SQLite database under `./scim-data`, a first tenant, and prints the
//! tenant URL and token to paste into Entra ID.
//!
//! It is also the example of embedding `scim-core`: the HTTP glue is in
//! `http.rs`, the host storage in `db/`, tenants and tokens in `tenant.rs`.

mod bench;
mod cli;
mod config;
mod conn;
mod db;
mod files;
mod http;
mod profile;
mod ratelimit;
mod serve;
mod tenant;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
