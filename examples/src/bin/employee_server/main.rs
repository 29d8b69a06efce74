//! Serving SCIM over an application's existing, typed tables: an
//! `employees` table with a column per attribute the application uses, a
//! `teams` table and a `team_members` table, in SQLite.
//!
//! * `mapping` maps resources to rows and back, with a JSON overflow
//!   column for the attributes no column holds.
//! * `store` implements `ResourceStore` over those rows.
//!
//! The tests run scim-core's conformance suite over it. The section
//! "Over your application's typed tables" of the guide "Writing a storage
//! backend" (`scim_core::guide::writing_a_store`) walks through it.
//!
//! Run with `cargo run -p scim-examples --bin employee_server [employees.db]`,
//! then: `curl -H 'Authorization: Bearer secret' http://127.0.0.1:3000/scim/v2/Users`.

mod mapping;
mod store;

use std::sync::Arc;

use axum::Router;
use scim_core::protocol::{Service, ServiceConfig, SingleTenant};
use scim_core::schema::Registry;

use self::store::EmployeeStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "employees.db".to_owned());
    let registry = Registry::standard();
    // A registry the tables cannot hold stops the server here, instead of
    // failing requests later.
    EmployeeStore::check_registry(&registry)?;
    let scim = Service::new(
        Arc::new(EmployeeStore::open(&path)?),
        registry,
        Arc::new(SingleTenant::new("secret")),
        ServiceConfig::new("/scim/v2"),
    );
    let app = Router::new().nest_service("/scim/v2", scim.into_tower().nested());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!(
        "SCIM service over {path} on http://{}/scim/v2",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
