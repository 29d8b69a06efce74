//! Cross-crate integration tests for the SCIM workspace: RFC examples,
//! Entra ID request sequences and storage-backend conformance. The tests
//! arrive with the crates they exercise.
