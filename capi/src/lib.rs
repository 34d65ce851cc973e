//! The C API of libmntns (`libmntns.so`, `include/mntns.h`).
//!
//! Conventions (docs/c-api.md): names `mntns_<noun>_<verb>`; every fallible function returns
//! `0` or `-errno`; output parameters last, named `*_out`, written only on success; NULL
//! arguments give `-EINVAL`; a caught panic gives `-ENOTRECOVERABLE`; `mntns_last_error()`
//! returns this thread's message for the last failure. This crate only converts: every
//! behaviour lives in the `mntns` core crate.
#![deny(missing_docs)]

use std::ffi::c_char;

/// The version of libmntns as a static NUL-terminated string, e.g. `"0.1.0"`.
///
/// Never fails; the string is owned by the library and must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn mntns_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => panic!("version contains a NUL byte"),
    };
    VERSION.as_ptr()
}
