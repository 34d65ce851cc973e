//! The C API of libmntns (`libmntns.so`, `libmntns.a`, `include/mntns.h`).
//!
//! This crate only converts: C arguments to the core crate's types, results back to C. Every
//! behaviour lives in the `mntns` core crate and is tested there; the C programs under
//! `tests/c/` test this layer through the installed header and library.
//!
//! # Conventions (docs/c-api.md)
//!
//! - Names are `mntns_<noun>_<verb>`; constants `MNTNS_*` carry the kernel's values
//!   (`MNTNS_NS_MOUNT == CLONE_NEWNS`, `MNTNS_MOUNT_RDONLY == MS_RDONLY`).
//! - Every fallible function returns `0` (or a non-negative count) on success and `-errno`
//!   on failure; output parameters come last, are named `*_out`, and are written only on
//!   success. NULL arguments give `-EINVAL`; unknown flag bits give `-EINVAL` and are never
//!   ignored; a caught panic gives `-ENOTRECOVERABLE`.
//! - [`mntns_last_error`] returns this thread's message for its last failure: the step, the
//!   path, the errno name and description, and a hint.
//! - Paths are `const char *` bytes, not required to be UTF-8.
//! - Handles (`mntns_namespaces`, `mntns_mounts`, `mntns_sandbox`, `mntns_child`) are opaque, owned by the caller, released
//!   with their `_free` function, for which NULL is a no-op.
//!
//! # Safety
//!
//! The exported functions that take pointers are `unsafe`: each pointer must be NULL or
//! valid for what its documentation says (a NUL-terminated string, a struct to read, a
//! place to write), and handles must come from this library and not be freed yet. That is
//! the contract every C function has; NULL is checked, nothing else can be.
#![deny(missing_docs)]
// The C names are the API: `mntns_nsid`, not `MntnsNsid`.
#![allow(non_camel_case_types)]

// One file per C "class". cbindgen writes them to the header in this order (rustfmt keeps
// it because each stands alone).
mod error;
// Namespaces: flags, kinds, ids, unshare, enter, namespace fds.
mod ns;
// Listing namespaces: mntns_namespaces.
mod namespaces;
// Mount operations: tmpfs, binds, flags, propagation, unmount, pivot_root.
mod mount;
// Mount tables: mntns_mounts.
mod mounts;
// Sandboxes: mntns_sandbox (a Spec and its cached Plan).
mod sandbox;
// Spawned sandboxes: mntns_child.
mod child;

pub use child::*;
pub use error::mntns_last_error;
pub use mount::*;
pub use mounts::*;
pub use namespaces::*;
pub use ns::*;
pub use sandbox::*;

use std::ffi::{CStr, c_char};

/// The version of libmntns as a static NUL-terminated string, e.g. `"0.1.0"`.
///
/// Never fails; the string is owned by the library and must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn mntns_version() -> *const c_char {
    // Exempt from guard: a constant, nothing can fail or panic.
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => panic!("version contains a NUL byte"),
        };
    VERSION.as_ptr()
}
