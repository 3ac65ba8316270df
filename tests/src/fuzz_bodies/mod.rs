//! The bodies of the `fuzz/` targets, shared so that `cargo test` on stable replays
//! the committed corpus (`fuzz/corpus/<target>/`) through exactly the code the fuzzer
//! runs. Each asserts the invariants its module promises, not just "no panic"; one
//! file per concept:
//!
//! | target | file | what it drives |
//! | --- | --- | --- |
//! | `reply_parser`, `capabilities` | `parsers.rs` | the reply parser, EHLO keywords |
//! | `data_encoder`, `bdat_encoder` | `encoders.rs` | DATA stuffing, BDAT normalising |
//! | `command_encoder` | `commands.rs` | every command through its public constructors |
//! | `address` | `addresses.rs` | parse → display → parse |
//! | `sasl` | `sasl.rs` | every mechanism through arbitrary challenges |
//! | `session` | [`crate::session_ops`] | whole sessions |
//! | `delivery` | `delivery.rs` | smtp-delivery's DNS machines, MTA-STS, the plan |
//! | `transcript` | `transcript.rs` | the transcript loader and replay on mutated cases |
//! | `driver_std` | `driver_std.rs` | the blocking driver over a hostile stream |
//! | `driver_tokio` | `driver_tokio.rs` | the async driver over the same stream |

mod addresses;
mod commands;
mod delivery;
mod driver_std;
mod driver_tokio;
mod encoders;
mod parsers;
pub mod sasl;
mod text;
mod transcript;

pub use addresses::address;
pub use commands::command_encoder;
pub use delivery::delivery;
pub use driver_std::driver_std;
pub use driver_tokio::driver_tokio;
pub use encoders::{bdat_encoder, data_encoder};
pub use parsers::{capabilities, reply_parser};
pub use sasl::sasl;
pub use transcript::transcript;

/// Drives a whole session from `data` (see [`crate::session_ops`]).
pub fn session(data: &[u8]) {
    let _ = crate::session_ops::run_bytes(data);
}
