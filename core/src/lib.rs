//! # mntns — Linux mount-namespace isolation as a library
//!
//! libmntns does each step of the classic "unshare, mount a tmpfs, pivot_root, look the
//! namespace up again" walkthrough as one call, with errors that name the step, the path
//! and the errno:
//!
//! | by hand | libmntns |
//! |---|---|
//! | `unshare -m` | [`unshare`]`(Namespaces::MOUNT)` |
//! | `mount -t tmpfs -o size=1m tmpfs /tmp/x` | [`mount_tmpfs`] with [`TmpfsOptions`] |
//! | `mount --bind`, `--make-rprivate` | [`bind`], [`set_propagation`] |
//! | `readlink /proc/$$/ns/mnt` | [`NsId::of_self`] → `mnt:[4026532211]` |
//! | `mount`, `findmnt` | [`mounts`], [`mounts_of_namespace`] |
//! | `pivot_root . old-root` | [`pivot_root`] (the whole safe sequence) |
//! | `lsns`, `nsenter` | [`namespaces`], [`enter`] |
//! | `bwrap …`, `mntns run` | [`Spec`] → [`Plan`] → [`Plan::spawn`] → [`Child`] |
//!
//! ## Sandboxes
//!
//! A [`Spec`] describes a whole sandbox (namespaces, a root from a tmpfs, a directory or a
//! tar archive, mounts inside it, identity, environment, descriptors); [`Spec::plan`]
//! validates it and compiles a [`Plan`] with every byte pre-built, so spawning allocates
//! nothing between clone and exec and is safe from threaded hosts. See `docs/sandbox.md`.
//!
//! ## Privileges
//!
//! Mounting and pivoting need `CAP_SYS_ADMIN` over the mount namespace: run as root, or
//! create a user namespace first (`Namespaces::USER | Namespaces::MOUNT`, then
//! [`idmap::write_id_maps`]) — "rootless", what `unshare -Urm` does. Reading ids, listing
//! namespaces and reading mount tables need only permission to look at the processes.
//!
//! ## Threads
//!
//! The kernel refuses a new user namespace, and joining a user or mount namespace, in a
//! multithreaded process, and applies `unshare(CLONE_NEWNS)` to one thread only.
//! [`unshare`] and [`enter`] check and refuse with an error that says so. Everything else
//! is safe to call from any thread.
//!
//! ## Example
//!
//! ```no_run
//! use mntns::{Namespaces, NsId, NsKind, TmpfsOptions, Size};
//! use std::path::Path;
//!
//! # fn main() -> mntns::Result<()> {
//! mntns::unshare(Namespaces::MOUNT)?;                       // unshare -m
//! mntns::set_propagation(Path::new("/"), mntns::Propagation::Private, true)?;
//! let opts = TmpfsOptions::new().size(Size::parse("1m")?);
//! mntns::mount_tmpfs(Path::new("/tmp/tmp1"), &opts)?;        // mount -o size=1m -t tmpfs
//! println!("{}", NsId::of_self(NsKind::Mount)?);            // mnt:[4026532211]
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![warn(unsafe_op_in_unsafe_fn)]

pub mod child;
pub mod columns;
pub mod doctor;
pub mod error;
mod exec;
pub mod idmap;
pub mod mount;
pub mod ns;
pub mod pivot;
pub mod plan;
pub mod process;
mod rootfs;
mod spawn;
pub mod spec;
pub mod table;

mod sys;

pub use child::{Child, ExitStatus};
pub use error::{Errno, Error, Result};
pub use idmap::unshare_rootless;
pub use mount::{
    BindOptions, Inodes, MountFlags, Propagation, Size, TmpfsOptions, UnmountFlags, bind,
    mount_tmpfs, parse_size, set_mount_flags, set_propagation, unmount,
};
pub use ns::{Namespaces, NsFd, NsId, NsKind, NsSource, enter, namespaces, unshare};
pub use pivot::{PivotOptions, RootPropagation, pivot_root, pivot_root_with};
pub use plan::Plan;
pub use process::Pid;
pub use spec::{Base, CloneMode, Env, Identity, MountEntry, Root, Spec, Stdio};
pub use table::{Mount, MountPropagation, TableSource, mounts, mounts_of_namespace};

// The guide's and the README's examples are compiled and run as doctests, so the
// documentation cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../docs/guide.md")]
mod guide_examples {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/sandbox.md")]
mod sandbox_examples {}

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme_examples {}
