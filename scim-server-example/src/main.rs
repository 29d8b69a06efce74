//! The reference SCIM server for Microsoft Entra ID host provisioning.
//!
//! It is being built issue by issue: for now it only reports that it is
//! not ready, so that nobody mistakes it for a working server.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("scim-server-example: the server is not built yet; see the project's open issues");
    ExitCode::FAILURE
}
