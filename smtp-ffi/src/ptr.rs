//! Every raw-pointer dereference of the crate: small helpers, each with the contract
//! it relies on. The entry points check for NULL through these and never touch a raw
//! pointer themselves.

use std::ffi::{c_char, CStr};

use crate::result::smtp_result;

/// A shared reference from a pointer the caller passed; `NullArgument` for NULL.
///
/// # Safety
///
/// `p` is NULL or points to a valid, initialised `T` that nothing mutates for `'a`.
pub(crate) unsafe fn as_ref<'a, T>(p: *const T) -> Result<&'a T, smtp_result> {
    // SAFETY: the caller's contract: NULL (checked by `as_ref`) or a valid `T`.
    unsafe { p.as_ref() }.ok_or(smtp_result::NullArgument)
}

/// A unique reference from a pointer the caller passed; `NullArgument` for NULL.
///
/// # Safety
///
/// `p` is NULL or points to a valid `T` that nothing else uses for `'a` (for a client:
/// one made by `smtp_client_new`, not freed, and no other call on it running).
pub(crate) unsafe fn as_mut<'a, T>(p: *mut T) -> Result<&'a mut T, smtp_result> {
    // SAFETY: the caller's contract: NULL (checked by `as_mut`) or a valid, unaliased `T`.
    unsafe { p.as_mut() }.ok_or(smtp_result::NullArgument)
}

/// Writes an out-parameter without reading or dropping what was there.
///
/// # Safety
///
/// `p` is non-NULL, aligned and valid for a write of `T` (callers check NULL first,
/// before doing any work, so out-parameters are written only on success).
pub(crate) unsafe fn write<T>(p: *mut T, value: T) {
    // SAFETY: the caller's contract; `write` does not drop the uninitialised old value.
    unsafe { p.write(value) }
}

/// A required NUL-terminated UTF-8 string.
///
/// # Safety
///
/// `p` is NULL or points to a NUL-terminated string that lives, unchanged, for `'a`.
pub(crate) unsafe fn str<'a>(p: *const c_char) -> Result<&'a str, smtp_result> {
    // SAFETY: the caller's contract, passed on.
    unsafe { opt_str(p) }?.ok_or(smtp_result::NullArgument)
}

/// An optional NUL-terminated UTF-8 string (NULL is `None`).
///
/// # Safety
///
/// As [`str`].
pub(crate) unsafe fn opt_str<'a>(p: *const c_char) -> Result<Option<&'a str>, smtp_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and, by the caller's contract, NUL-terminated and live for 'a.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(Some).map_err(|_| smtp_result::InvalidUtf8)
}

/// `len` elements at `p`; NULL is allowed (and means empty) only when `len` is 0.
///
/// # Safety
///
/// `p` is NULL or points to `len` valid, initialised `T`s, live and unchanged for
/// `'a`, spanning at most `isize::MAX` bytes.
pub(crate) unsafe fn slice<'a, T>(p: *const T, len: usize) -> Result<&'a [T], smtp_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(smtp_result::NullArgument);
    }
    // SAFETY: non-NULL, and by the caller's contract valid for `len` elements.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Takes back a box handed out with `Box::into_raw`.
///
/// # Safety
///
/// `p` came from `Box::into_raw` and is not used again.
pub(crate) unsafe fn take_box<T>(p: *mut T) -> Box<T> {
    // SAFETY: the caller's contract: `p` is a live, unaliased box pointer.
    unsafe { Box::from_raw(p) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_bad_utf8_are_codes() {
        // SAFETY: NULL and valid literals only.
        unsafe {
            assert_eq!(str(std::ptr::null()), Err(smtp_result::NullArgument));
            assert_eq!(opt_str(std::ptr::null()), Ok(None));
            assert_eq!(str(c"ok".as_ptr()), Ok("ok"));
            assert_eq!(str(c"\xff".as_ptr()), Err(smtp_result::InvalidUtf8));
            assert_eq!(slice::<u8>(std::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(
                slice::<u8>(std::ptr::null(), 3),
                Err(smtp_result::NullArgument)
            );
            assert_eq!(
                as_ref::<u8>(std::ptr::null()),
                Err(smtp_result::NullArgument)
            );
        }
    }
}
