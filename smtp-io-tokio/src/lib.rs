//! Async driver for [`smtp_proto`] over tokio `AsyncRead + AsyncWrite` streams.
//!
//! Skeleton: the driver arrives with the drivers issue. It will own a stream and a
//! `smtp_proto::Client`, take the TLS upgrade from the caller, and read while it writes
//! during pipelined flights.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
