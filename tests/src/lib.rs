//! Shared pieces of the workspace-level tests: the transcript runner, the
//! delivery-case runner, and the fuzz target bodies that `cargo test` replays.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod delivery_runner;
pub mod fuzz_bodies;
/// Helpers for the interop suites against the real servers.
pub mod interop_env;
pub mod reference;
pub mod session_ops;
pub mod transcript;
