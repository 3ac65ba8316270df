//! The entry points: an opaque `smtp_client` and the calls that drive it.
//!
//! Each function goes through the panic boundary (`guard`, `with_client`) and reads
//! its pointers only through the helpers of `ptr`.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::Bytes;
use smtp_proto::{Client, Instant, TlsFailure, UsageError};

use crate::event::{smtp_capabilities, smtp_error, smtp_event, smtp_reply, HeldEvent};
use crate::ptr;
use crate::result::{guard, guard_value, result_of, smtp_result};
use crate::types::{
    smtp_config, smtp_envelope, smtp_str, smtp_struct, smtp_timeout, smtp_tls_failure_kind,
    smtp_tls_info,
};

/// One SMTP or LMTP client session (opaque). Make it with `smtp_client_new`, free
/// it with `smtp_client_free`. Not thread-safe: calls on one client must not overlap.
pub struct smtp_client {
    inner: Client,
    /// The event whose view the caller holds, until the next poll.
    held: Option<HeldEvent>,
    /// The text of the last usage error.
    last_error: String,
    /// A call panicked: the engine's state is unknown.
    poisoned: bool,
}

impl smtp_client {
    /// Records a usage error and returns its code.
    fn usage(&mut self, e: UsageError) -> smtp_result {
        self.last_error = e.to_string();
        smtp_result::usage(&e)
    }

    /// Records a usage error's result as the call's result.
    fn request(&mut self, r: Result<(), UsageError>) -> Result<(), smtp_result> {
        r.map_err(|e| self.usage(e))
    }
}

/// Runs `f` on the client behind the panic boundary. A panic poisons the client.
///
/// # Safety
///
/// `client` is NULL or a live pointer from `smtp_client_new` that no other call is
/// using.
unsafe fn with_client(
    client: *mut smtp_client,
    f: impl FnOnce(&mut smtp_client) -> Result<(), smtp_result>,
) -> smtp_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = match unsafe { ptr::as_mut(client) } {
            Ok(c) => c,
            Err(code) => return code,
        };
        if c.poisoned {
            return smtp_result::Panic;
        }
        match catch_unwind(AssertUnwindSafe(|| f(&mut *c))) {
            Ok(r) => r.err().unwrap_or(smtp_result::Ok),
            Err(_) => {
                c.poisoned = true;
                smtp_result::Panic
            }
        }
    })
}

/// Runs a query on the client behind the panic boundary.
///
/// # Safety
///
/// As [`with_client`].
unsafe fn with_client_ref(
    client: *const smtp_client,
    f: impl FnOnce(&smtp_client) -> Result<(), smtp_result>,
) -> smtp_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let c = match unsafe { ptr::as_ref(client) } {
            Ok(c) => c,
            Err(code) => return code,
        };
        if c.poisoned {
            return smtp_result::Panic;
        }
        result_of(|| f(c))
    })
}

fn at(now_ns: u64) -> Instant {
    Instant::from_nanos(now_ns)
}

/// Fills `config` with the defaults: no hello name yet (set one), opportunistic
/// STARTTLS, SMTP, pipelining and chunking when offered, no AUTH, no plaintext AUTH,
/// no trace, RFC 5321 deadlines.
///
/// # Safety
///
/// `config` is NULL or valid for writing an `smtp_config`.
#[no_mangle]
pub unsafe extern "C" fn smtp_config_init(config: *mut smtp_config) -> smtp_result {
    guard(|| {
        if config.is_null() {
            return smtp_result::NullArgument;
        }
        // SAFETY: non-NULL, and by the caller's contract valid for a write.
        unsafe { ptr::write(config, smtp_config::default()) };
        smtp_result::Ok
    })
}

/// Makes a client for a connection made at `now_ns` and writes it to `*out`. The
/// configuration is read only during this call. With `SMTP_TLS_MODE_IMMEDIATE` the
/// first event is `START_TLS`. Free the client with `smtp_client_free`.
///
/// Errors: `NULL_ARGUMENT` (`config`, `out`, `config->hello_name`, a password
/// missing for a username, a timeout's phase), `INVALID_UTF8`, `INVALID_ARGUMENT` (a
/// hello name that is not a domain or address literal, an unknown TLS mode, AUTH
/// mechanism bit or timeout phase).
///
/// # Safety
///
/// `config` is NULL or points to an `smtp_config` whose pointers are valid as
/// documented; `out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_new(
    config: *const smtp_config,
    now_ns: u64,
    out: *mut *mut smtp_client,
) -> smtp_result {
    guard(|| {
        result_of(|| {
            if out.is_null() {
                return Err(smtp_result::NullArgument);
            }
            // SAFETY: the caller's contract for `config`.
            let config = unsafe { ptr::as_ref(config) }?;
            // SAFETY: the caller's contract for the pointers inside `config`.
            let (config, auth) = unsafe { config.engine() }?;
            let mut inner = Client::new(at(now_ns), config);
            if let Some(auth) = auth {
                inner.set_auth(auth).map_err(|_| smtp_result::UsageConfig)?;
            }
            let client = Box::new(smtp_client {
                inner,
                held: None,
                last_error: String::new(),
                poisoned: false,
            });
            // SAFETY: `out` is non-NULL and by the caller's contract writable.
            unsafe { ptr::write(out, Box::into_raw(client)) };
            Ok(())
        })
    })
}

/// Frees a client and everything it handed out. NULL does nothing.
///
/// # Safety
///
/// `client` is NULL or a pointer from `smtp_client_new` not freed yet, not in use
/// by another call, and not used again.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_free(client: *mut smtp_client) {
    guard_value((), || {
        if !client.is_null() {
            // SAFETY: the caller's contract: a live box from smtp_client_new.
            drop(unsafe { ptr::take_box(client) });
        }
    })
}

/// Bytes read from the server. Never refuses input (a malformed reply ends the
/// session, in an event). `data` may be NULL when `len` is 0.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call; `data` is NULL or
/// valid for reading `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_receive(
    client: *mut smtp_client,
    now_ns: u64,
    data: *const u8,
    len: usize,
) -> smtp_result {
    // SAFETY: the caller's contract for `client`.
    unsafe {
        with_client(client, |c| {
            // SAFETY: the caller's contract for `data` and `len`.
            let data = ptr::slice(data, len)?;
            c.inner.receive(at(now_ns), data);
            Ok(())
        })
    }
}

/// The server closed the connection.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_receive_eof(
    client: *mut smtp_client,
    now_ns: u64,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            c.inner.receive_eof(at(now_ns));
            Ok(())
        })
    }
}

/// The first contiguous run of bytes waiting to be written: `*data` and `*len`
/// (`*len` is 0 and `*data` NULL when nothing waits). The bytes stay valid until the
/// next call on this client that takes a non-const `smtp_client*`. Write some, report
/// how many with `smtp_client_transmitted`, and call again: more may wait.
///
/// # Safety
///
/// `client` is NULL or a live client; `data` and `len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_transmit(
    client: *const smtp_client,
    data: *mut *const u8,
    len: *mut usize,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client_ref(client, |c| {
            if data.is_null() || len.is_null() {
                return Err(smtp_result::NullArgument);
            }
            let chunk = c.inner.transmit().chunk();
            let p = if chunk.is_empty() {
                std::ptr::null()
            } else {
                chunk.as_ptr()
            };
            // SAFETY: both non-NULL and, by the caller's contract, writable.
            ptr::write(data, p);
            // SAFETY: as above.
            ptr::write(len, chunk.len());
            Ok(())
        })
    }
}

/// The first `n` bytes `smtp_client_transmit` showed were written. More than the
/// chunk it shows is `INVALID_ARGUMENT` and changes nothing.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_transmitted(
    client: *mut smtp_client,
    now_ns: u64,
    n: usize,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            if n > c.inner.transmit().chunk().len() {
                return Err(smtp_result::InvalidArgument);
            }
            c.inner.transmitted(at(now_ns), n);
            Ok(())
        })
    }
}

/// Takes the next event into `*event`, or returns `NO_EVENT` when none waits.
/// Either way the previous event's strings are released: the pointers in `*event`
/// stay valid until the next `smtp_client_poll_event` or `smtp_client_free`.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call; `event` is NULL or
/// valid for writing an `smtp_event`.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_poll_event(
    client: *mut smtp_client,
    event: *mut smtp_event,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            if event.is_null() {
                return Err(smtp_result::NullArgument);
            }
            c.held = None;
            let next = c.inner.poll_event().ok_or(smtp_result::NoEvent)?;
            let held = c.held.insert(HeldEvent::new(next));
            // SAFETY: non-NULL and, by the caller's contract, writable. The view
            // borrows from `c.held`, which lives until the next poll or free.
            ptr::write(event, held.view());
            Ok(())
        })
    }
}

/// When `smtp_client_handle_timeout` should be called next (nanoseconds on the
/// caller's clock) in `*deadline_ns`, or `NO_DEADLINE` when none runs.
///
/// # Safety
///
/// `client` is NULL or a live client; `deadline_ns` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_next_timeout(
    client: *const smtp_client,
    deadline_ns: *mut u64,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client_ref(client, |c| {
            if deadline_ns.is_null() {
                return Err(smtp_result::NullArgument);
            }
            let t = c.inner.poll_timeout().ok_or(smtp_result::NoDeadline)?;
            // SAFETY: non-NULL and, by the caller's contract, writable.
            ptr::write(deadline_ns, t.as_nanos());
            Ok(())
        })
    }
}

/// A deadline may have passed. Early calls do nothing; a passed deadline ends the
/// session with a `timeout` error (in events).
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_handle_timeout(
    client: *mut smtp_client,
    now_ns: u64,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            c.inner.handle_timeout(at(now_ns));
            Ok(())
        })
    }
}

/// The TLS handshake the engine asked for (`START_TLS`) succeeded. `info` may be
/// NULL (no facts); it is copied. The session says EHLO again.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call; `info` is NULL or
/// points to an `smtp_tls_info` whose pointers are valid as documented.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_tls_established(
    client: *mut smtp_client,
    now_ns: u64,
    info: *const smtp_tls_info,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            let info = match ptr::as_ref(info) {
                Ok(i) => i.engine()?,
                Err(_) => Default::default(),
            };
            c.inner.tls_established(at(now_ns), info);
            Ok(())
        })
    }
}

/// The TLS handshake failed: `kind` is an `smtp_tls_failure_kind`, `detail` the TLS
/// library's words (may be NULL). The session ends with a transient `tls` error.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call; `detail` is NULL
/// or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_tls_failed(
    client: *mut smtp_client,
    now_ns: u64,
    kind: u32,
    detail: *const c_char,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            let kind = smtp_tls_failure_kind::from_u32(kind)?;
            let detail = ptr::opt_str(detail)?.unwrap_or("").to_owned();
            c.inner.tls_failed(at(now_ns), TlsFailure { kind, detail });
            Ok(())
        })
    }
}

/// Starts a transaction (only after `READY`). The envelope is read during this call.
/// Usage errors (`USAGE_NOT_READY`, `USAGE_NO_RECIPIENTS`, `USAGE_ADDRESS`,
/// `USAGE_NOT_ADVERTISED`, ...) change nothing; their text is in
/// `smtp_client_last_error`. Otherwise per-recipient events, `BODY_WANTED` and one
/// of `DELIVERED` / `TRANSACTION_FAILED` follow.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call; `envelope` is NULL
/// or points to an `smtp_envelope` whose pointers are valid as documented.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_send(
    client: *mut smtp_client,
    now_ns: u64,
    envelope: *const smtp_envelope,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            let env = ptr::as_ref(envelope)?;
            let env = env.engine().map_err(|(code, text)| {
                c.last_error = text;
                code
            })?;
            let r = c.inner.send(at(now_ns), env);
            c.request(r)
        })
    }
}

/// How many body bytes `smtp_client_body` takes now: 0 when no body is wanted, or
/// while enough output waits (write it first). 0 for NULL or a poisoned client.
///
/// # Safety
///
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_body_capacity(client: *const smtp_client) -> usize {
    guard_value(0, || {
        // SAFETY: the caller's contract.
        match unsafe { ptr::as_ref(client) } {
            Ok(c) if !c.poisoned => c.inner.body_capacity(),
            _ => 0,
        }
    })
}

/// Hands over body bytes: the engine copies a prefix of at most
/// `smtp_client_body_capacity` bytes, dot-stuffing or framing it, and writes its
/// length to `*taken`; hand the rest over later. `data` may be NULL when `len` is 0.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call; `data` is NULL or
/// valid for reading `len` bytes; `taken` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_body(
    client: *mut smtp_client,
    now_ns: u64,
    data: *const u8,
    len: usize,
    taken: *mut usize,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            if taken.is_null() {
                return Err(smtp_result::NullArgument);
            }
            let data = ptr::slice(data, len)?;
            // Copy only what the engine can take now.
            let n = data.len().min(c.inner.body_capacity());
            let r = c.inner.body(at(now_ns), Bytes::copy_from_slice(&data[..n]));
            let took = r.map_err(|e| c.usage(e))?;
            // SAFETY: non-NULL and, by the caller's contract, writable.
            ptr::write(taken, took);
            Ok(())
        })
    }
}

/// The body is complete: the terminating `.` (or the last `BDAT ... LAST`).
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_end_body(
    client: *mut smtp_client,
    now_ns: u64,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            let r = c.inner.end_body(at(now_ns));
            c.request(r)
        })
    }
}

/// Sends RSET (only after `READY`); `COMMAND_DONE` or `COMMAND_FAILED` follows.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_reset(client: *mut smtp_client, now_ns: u64) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            let r = c.inner.reset(at(now_ns));
            c.request(r)
        })
    }
}

/// Sends NOOP (only after `READY`); `COMMAND_DONE` or `COMMAND_FAILED` follows.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_noop(client: *mut smtp_client, now_ns: u64) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            let r = c.inner.noop(at(now_ns));
            c.request(r)
        })
    }
}

/// Sends QUIT (only after `READY`); `CLOSED` without an error follows. On a closed
/// session it writes nothing and `COMMAND_FAILED` (kind `closed`) follows.
///
/// # Safety
///
/// `client` is NULL or a live client not in use by another call.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_quit(client: *mut smtp_client, now_ns: u64) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client(client, |c| {
            let r = c.inner.quit(at(now_ns));
            c.request(r)
        })
    }
}

/// The text of the last usage error a call on this client returned (empty when
/// none yet), valid until the next call that takes a non-const `smtp_client*`.
///
/// # Safety
///
/// `client` is NULL or a live client; `text` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtp_client_last_error(
    client: *const smtp_client,
    text: *mut smtp_str,
) -> smtp_result {
    // SAFETY: the caller's contract.
    unsafe {
        with_client_ref(client, |c| {
            if text.is_null() {
                return Err(smtp_result::NullArgument);
            }
            // SAFETY: non-NULL and writable by the caller's contract.
            ptr::write(text, smtp_str::of(&c.last_error));
            Ok(())
        })
    }
}

/// The size in bytes of a struct of this ABI (an `smtp_struct` value), so bindings
/// that declare the structs by hand can check their layout; 0 for an unknown value.
#[no_mangle]
pub extern "C" fn smtp_struct_size(which: u32) -> usize {
    use std::mem::size_of;
    guard_value(0, || {
        let all = [
            (smtp_struct::Config, size_of::<smtp_config>()),
            (smtp_struct::Envelope, size_of::<smtp_envelope>()),
            (smtp_struct::TlsInfo, size_of::<smtp_tls_info>()),
            (smtp_struct::Timeout, size_of::<smtp_timeout>()),
            (smtp_struct::Event, size_of::<smtp_event>()),
            (smtp_struct::Error, size_of::<smtp_error>()),
            (smtp_struct::Reply, size_of::<smtp_reply>()),
            (smtp_struct::Capabilities, size_of::<smtp_capabilities>()),
            (smtp_struct::Str, size_of::<smtp_str>()),
        ];
        all.iter()
            .find(|(s, _)| *s as u32 == which)
            .map_or(0, |(_, n)| *n)
    })
}

/// The library's version, e.g. `"0.1.0"`: a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn smtp_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_client() -> *mut smtp_client {
        let cfg = smtp_config {
            hello_name: c"client.example".as_ptr(),
            tls_mode: 0,
            ..smtp_config::default()
        };
        let mut out = std::ptr::null_mut();
        // SAFETY: valid config and out pointer.
        assert_eq!(
            unsafe { smtp_client_new(&cfg, 0, &mut out) },
            smtp_result::Ok
        );
        out
    }

    #[test]
    fn a_panic_inside_a_call_poisons_the_client() {
        let c = new_client();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        // SAFETY: `c` is live and unused elsewhere.
        let r = unsafe { with_client(c, |_| panic!("boom")) };
        std::panic::set_hook(prev);
        assert_eq!(r, smtp_result::Panic);
        // SAFETY: as above.
        unsafe {
            assert_eq!(smtp_client_receive_eof(c, 1), smtp_result::Panic);
            assert_eq!(smtp_client_body_capacity(c), 0);
            smtp_client_free(c);
        }
    }

    #[test]
    fn null_and_misuse_are_codes() {
        // SAFETY: NULLs and a live client only.
        unsafe {
            smtp_client_free(std::ptr::null_mut());
            assert_eq!(
                smtp_client_receive(std::ptr::null_mut(), 0, std::ptr::null(), 0),
                smtp_result::NullArgument
            );
            let c = new_client();
            assert_eq!(
                smtp_client_transmitted(c, 0, 1),
                smtp_result::InvalidArgument
            );
            assert_eq!(smtp_client_noop(c, 0), smtp_result::UsageNotReady);
            let mut s = smtp_str::empty();
            assert_eq!(smtp_client_last_error(c, &mut s), smtp_result::Ok);
            let text = std::slice::from_raw_parts(s.ptr.cast::<u8>(), s.len);
            assert_eq!(text, b"session not ready for this request");
            let mut e = std::mem::MaybeUninit::<smtp_event>::uninit();
            assert_eq!(
                smtp_client_poll_event(c, e.as_mut_ptr()),
                smtp_result::NoEvent
            );
            assert_eq!(
                smtp_client_tls_failed(c, 0, 99, std::ptr::null()),
                smtp_result::InvalidArgument
            );
            smtp_client_free(c);
        }
    }

    #[test]
    fn struct_sizes_are_reported() {
        assert_eq!(
            smtp_struct_size(smtp_struct::Event as u32),
            size_of::<smtp_event>()
        );
        assert_eq!(smtp_struct_size(1000), 0);
        let _ = (
            size_of::<smtp_error>(),
            size_of::<smtp_reply>(),
            size_of::<smtp_capabilities>(),
        );
    }
}
