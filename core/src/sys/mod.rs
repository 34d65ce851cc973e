//! Raw system calls that `nix` and `libc` lack or wrap in ways we cannot use, each a thin
//! function returning the raw [`crate::Errno`]; callers add step, path and hint. Every
//! `unsafe` block carries a `// SAFETY:` line.

pub(crate) mod clone;
pub(crate) mod mount_api;
pub(crate) mod nsfs;
pub(crate) mod statmount;
