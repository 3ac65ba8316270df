//! Result codes and the panic boundary every entry point goes through.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use smtp_proto::UsageError;

/// What a call did. `SMTP_RESULT_OK` is success; codes 100–199 are usage errors
/// (nothing changed, nothing was written; `smtp_client_last_error`
/// has the text). Session errors never come back here: they arrive in events.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_result {
    /// Success.
    Ok = 0,
    /// A pointer that must not be NULL was NULL.
    NullArgument = 1,
    /// A string was not valid UTF-8.
    InvalidUtf8 = 2,
    /// A value was out of range: an unknown enum value or flag, an invalid hello name,
    /// a timeout phase that does not exist, more bytes reported written than shown.
    InvalidArgument = 3,
    /// The library panicked (a bug); the client is poisoned.
    Panic = 4,
    /// `smtp_client_poll_event`: no event is waiting.
    NoEvent = 5,
    /// `smtp_client_next_timeout`: no deadline runs.
    NoDeadline = 6,
    /// Usage: the session is not ready for this request (wait for `READY`).
    UsageNotReady = 100,
    /// Usage: no message body is wanted now.
    UsageNoBodyWanted = 101,
    /// Usage: the envelope has no recipients.
    UsageNoRecipients = 102,
    /// Usage: an address in the envelope is invalid.
    UsageAddress = 103,
    /// Usage: a command argument or parameter is invalid.
    UsageCommand = 104,
    /// Usage: a parameter needs an extension the server did not advertise.
    UsageNotAdvertised = 105,
    /// Usage: the body holds a bare CR or LF and the line-ending policy refuses it.
    UsageBody = 106,
    /// Usage: the configuration is inconsistent.
    UsageConfig = 107,
    /// Usage: another misuse the engine reported (see the last error text).
    UsageOther = 199,
}

impl smtp_result {
    /// The code for a usage error of the engine.
    pub(crate) fn usage(e: &UsageError) -> smtp_result {
        match e {
            UsageError::NotReady => smtp_result::UsageNotReady,
            UsageError::NoBodyWanted => smtp_result::UsageNoBodyWanted,
            UsageError::NoRecipients => smtp_result::UsageNoRecipients,
            UsageError::Address(_) => smtp_result::UsageAddress,
            UsageError::Command(_) => smtp_result::UsageCommand,
            UsageError::NotAdvertised(_) => smtp_result::UsageNotAdvertised,
            UsageError::Body(_) => smtp_result::UsageBody,
            UsageError::Config(_) => smtp_result::UsageConfig,
            _ => smtp_result::UsageOther,
        }
    }

    /// A static, NUL-terminated description.
    fn text(self) -> &'static std::ffi::CStr {
        match self {
            smtp_result::Ok => c"ok",
            smtp_result::NullArgument => c"a required pointer was NULL",
            smtp_result::InvalidUtf8 => c"a string was not valid UTF-8",
            smtp_result::InvalidArgument => c"an argument was out of range",
            smtp_result::Panic => c"the library panicked",
            smtp_result::NoEvent => c"no event",
            smtp_result::NoDeadline => c"no deadline",
            smtp_result::UsageNotReady => c"session not ready for this request",
            smtp_result::UsageNoBodyWanted => c"no message body is wanted now",
            smtp_result::UsageNoRecipients => c"envelope has no recipients",
            smtp_result::UsageAddress => c"invalid address",
            smtp_result::UsageCommand => c"invalid command",
            smtp_result::UsageNotAdvertised => c"the server did not advertise an extension",
            smtp_result::UsageBody => c"invalid message body",
            smtp_result::UsageConfig => c"invalid configuration",
            smtp_result::UsageOther => c"usage error",
        }
    }

    /// Every code, for lookups by number.
    const ALL: [smtp_result; 16] = [
        smtp_result::Ok,
        smtp_result::NullArgument,
        smtp_result::InvalidUtf8,
        smtp_result::InvalidArgument,
        smtp_result::Panic,
        smtp_result::NoEvent,
        smtp_result::NoDeadline,
        smtp_result::UsageNotReady,
        smtp_result::UsageNoBodyWanted,
        smtp_result::UsageNoRecipients,
        smtp_result::UsageAddress,
        smtp_result::UsageCommand,
        smtp_result::UsageNotAdvertised,
        smtp_result::UsageBody,
        smtp_result::UsageConfig,
        smtp_result::UsageOther,
    ];
}

/// A static, NUL-terminated English description of a result code (`"unknown result"`
/// for a value that is not one). Never NULL; never free it.
#[no_mangle]
pub extern "C" fn smtp_result_text(result: u32) -> *const c_char {
    guard_value(c"unknown result".as_ptr(), || {
        smtp_result::ALL
            .iter()
            .find(|r| **r as u32 == result)
            .map_or(c"unknown result", |r| r.text())
            .as_ptr()
    })
}

/// Runs `f` behind the panic boundary: a panic becomes `SMTP_RESULT_PANIC`.
pub(crate) fn guard(f: impl FnOnce() -> smtp_result) -> smtp_result {
    guard_value(smtp_result::Panic, f)
}

/// Runs `f` behind the panic boundary, answering `on_panic` if it panics.
pub(crate) fn guard_value<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// Lets `?` turn an early return into a result code.
pub(crate) fn result_of(f: impl FnOnce() -> Result<(), smtp_result>) -> smtp_result {
    match f() {
        Ok(()) => smtp_result::Ok,
        Err(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_code() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = guard(|| panic!("boom"));
        let v = guard_value(7usize, || panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(r, smtp_result::Panic);
        assert_eq!(v, 7);
        assert_eq!(guard(|| smtp_result::Ok), smtp_result::Ok);
    }

    #[test]
    fn every_code_has_a_text() {
        for r in smtp_result::ALL {
            // SAFETY: smtp_result_text returns a static NUL-terminated string.
            let s = unsafe { std::ffi::CStr::from_ptr(smtp_result_text(r as u32)) };
            assert_ne!(s.to_str().unwrap(), "unknown result");
        }
        // SAFETY: as above.
        let s = unsafe { std::ffi::CStr::from_ptr(smtp_result_text(4242)) };
        assert_eq!(s.to_str().unwrap(), "unknown result");
    }
}
