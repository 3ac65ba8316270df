//! Blocking driver for [`smtp_proto`] over `std::io::Read + Write` streams.
//!
//! Skeleton: the driver arrives with the drivers issue. It will own a stream and a
//! `smtp_proto::Client`, take the TLS upgrade from the caller, and turn the engine's
//! deadlines into socket timeouts.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
