//! A C ABI over [`smtp_proto`]'s sans-IO SMTP/LMTP client engine.
//!
//! The header is `include/smtp.h`, generated from this crate by cbindgen
//! (`scripts/gen-header`; a test fails when the committed header is stale). The
//! library builds as `libsmtp_ffi.so` (cdylib) and `libsmtp_ffi.a` (staticlib).
//!
//! One [`smtp_client`] is one session, exactly as [`smtp_proto::Client`]: the caller
//! owns the socket, the TLS library and the clock, hands the engine the bytes it read
//! and the facts it learnt, and takes back bytes to write, events and a deadline.
//!
//! # Driving loop
//!
//! After **any** input or request: write what [`smtp_client_transmit`] shows and report
//! it with [`smtp_client_transmitted`] (repeat until it shows nothing), take every
//! event with [`smtp_client_poll_event`] until it returns `SMTP_RESULT_NO_EVENT`,
//! and re-arm the timer from [`smtp_client_next_timeout`]. Requests
//! ([`smtp_client_send`], [`smtp_client_reset`], [`smtp_client_noop`],
//! [`smtp_client_quit`]) are taken only after a `SMTP_EVENT_KIND_READY` event; after
//! `SMTP_EVENT_KIND_BODY_WANTED`, hand the body over with [`smtp_client_body`] while
//! [`smtp_client_body_capacity`] is above zero, then call [`smtp_client_end_body`].
//! On `SMTP_EVENT_KIND_START_TLS`, write what is queued, run the TLS handshake on the
//! same stream and call [`smtp_client_tls_established`] or [`smtp_client_tls_failed`].
//! `SMTP_EVENT_KIND_CLOSED` ends the session (write what is still queued, a
//! best-effort QUIT, then close the socket).
//!
//! Time is a `uint64_t` count of nanoseconds on a monotonic clock from an epoch the
//! caller picks; every input takes it as `now`.
//!
//! # Conventions
//!
//! - Every fallible call returns an [`smtp_result`]: `SMTP_RESULT_OK`, or why not.
//!   Codes 100–199 are usage errors (the caller misused the API: nothing changed,
//!   nothing was written); [`smtp_client_last_error`] gives their text.
//! - Out-parameters are written only when the call returns `SMTP_RESULT_OK`.
//! - A NULL pointer where one is required is `SMTP_RESULT_NULL_ARGUMENT`, a string
//!   that is not UTF-8 `SMTP_RESULT_INVALID_UTF8`, an enum value or field out of
//!   range `SMTP_RESULT_INVALID_ARGUMENT`: never undefined behaviour.
//! - Strings going in are NUL-terminated UTF-8. Strings and bytes coming out are
//!   pointer + length ([`smtp_str`], [`smtp_bytes`]), not NUL-terminated, owned by
//!   the client and valid until the call the function's documentation names.
//! - Every entry point catches Rust panics (`std::panic::catch_unwind`) and returns
//!   `SMTP_RESULT_PANIC`; a client that panicked is poisoned, and every later call on
//!   it but [`smtp_client_free`] returns `SMTP_RESULT_PANIC` too.
//! - Session errors (the server's or the network's fault) never come back as a
//!   result code: they arrive in events, as [`smtp_error`].
//! - [`smtp_client_new`] / [`smtp_client_free`] make and destroy the opaque client;
//!   `smtp_client_free(NULL)` does nothing.
//! - A client is not thread-safe: calls on one client must not overlap. Different
//!   clients may be used on different threads.
//!
//! # ABI stability
//!
//! **None is promised yet.** Until this crate reaches 1.0 any release may change a
//! struct's layout, a function's signature or an enum's values: compile against the
//! header of the library you link. Bindings that declare the structs by hand (Python's
//! ctypes) can check their layout at load time with [`smtp_struct_size`].
//!
//! # Safety
//!
//! The entry points are `unsafe extern "C"` functions: the pointers the caller
//! passes must be NULL or valid for what the function reads or writes, and a client
//! pointer must come from [`smtp_client_new`] and not be freed yet. Everything that
//! dereferences a raw pointer lives in a handful of small helper functions in the
//! private `ptr` module, each with its `// SAFETY:` argument.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// The C names are the ABI: `smtp_client`, `smtp_result`, ...
#![allow(non_camel_case_types)]

mod client;
mod event;
mod ptr;
mod result;
mod types;

pub use client::*;
pub use event::{
    smtp_capabilities, smtp_capability_flag, smtp_enhanced_code, smtp_error, smtp_error_kind,
    smtp_event, smtp_event_kind, smtp_reply, smtp_trace_kind,
};
pub use result::{smtp_result, smtp_result_text};
pub use types::{
    smtp_auth_mechanism, smtp_bytes, smtp_channel_binding_kind, smtp_config, smtp_envelope,
    smtp_str, smtp_struct, smtp_timeout, smtp_tls_failure_kind, smtp_tls_info, smtp_tls_mode,
};
