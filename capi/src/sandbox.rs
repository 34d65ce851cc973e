//! Sandboxes from C: an opaque `mntns_sandbox` handle holding the core's `Spec` (what `mntns
//! run` takes as options), one setter per option, and the compiled `Plan` cached inside it,
//! so that spawning the same sandbox many times validates and pre-builds it only once.
//!
//! Every setter drops the cached plan; the next `mntns_sandbox_plan`, `_explain`, `_spawn`
//! or `_enter` compiles it again. Setters check what C can get wrong (NULL, unknown flag
//! bits, out-of-range enum values, a `struct mntns_tmpfs_opts`); everything else (relative
//! targets, two mounts on one target, missing bind sources, id maps…) is checked by the
//! core when the plan is compiled, before any process exists.

use std::ffi::{CStr, OsStr, c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use mntns::idmap::{IdMap, SetGroups};
use mntns::{
    Base, CloneMode, Errno, Identity, MountEntry, MountFlags, Namespaces, Plan, Result, Root,
    RootPropagation, Spec, Stdio, TmpfsOptions,
};

use crate::child::mntns_child;
use crate::error::{Call, guard};
use crate::mount::{
    MNTNS_BIND_RECURSIVE, MNTNS_MOUNT_RDONLY, MNTNS_PROPAGATION_PRIVATE, MNTNS_PROPAGATION_SLAVE,
    MNTNS_UNSET32, mntns_tmpfs_opts,
};

/// `mntns_sandbox_set_base`: nothing but the sandbox's own mounts (an empty root, as
/// bubblewrap starts).
pub const MNTNS_BASE_BARE: c_int = 1;
/// `mntns_sandbox_set_base`: `/proc` (a new one with a PID namespace, the host's bound
/// otherwise), a minimal `/dev` and a tmpfs `/tmp`; for roots that bring their own content
/// (`mntns_sandbox_set_root_dir`, `mntns_sandbox_set_root_tar`).
pub const MNTNS_BASE_SYSTEM: c_int = 2;
/// `mntns_sandbox_set_base`: `MNTNS_BASE_SYSTEM` plus the host's `/usr` and `/etc`
/// read-only and its `/bin`, `/lib*`, `/sbin` links or read-only binds: a ready-to-use
/// sandbox without a root image (the default, what `mntns run` starts from).
pub const MNTNS_BASE_HOST: c_int = 3;

/// `mntns_sandbox_set_clone_mode`: the vfork path when the child can do everything alone,
/// the fork path otherwise (the default; right for everyone).
pub const MNTNS_CLONE_AUTO: c_int = 1;
/// `mntns_sandbox_set_clone_mode`: `clone(CLONE_VM|CLONE_VFORK)` on a separate stack, no
/// copy of the caller's page tables; refused (at planning) for sandboxes that need the
/// fork path (PID or time namespace, id maps, a root archive).
pub const MNTNS_CLONE_VFORK: c_int = 2;
/// `mntns_sandbox_set_clone_mode`: `clone3` with a copy-on-write child, as `fork` does.
pub const MNTNS_CLONE_FORK: c_int = 3;

/// `mntns_sandbox_set_stdio`: the stream is the caller's own (the default).
pub const MNTNS_STDIO_INHERIT: c_int = -1;
/// `mntns_sandbox_set_stdio`: the stream is the host's `/dev/null` (opened by the parent,
/// so the sandbox's root needs no `/dev`).
pub const MNTNS_STDIO_NULL: c_int = -2;

/// A sandbox description, from `mntns_sandbox_new`: namespaces, a root, mounts inside it,
/// an identity and how the command runs — the options of `mntns run`. Owned by the caller
/// and released with `mntns_sandbox_free`; it may be spawned any number of times, and the
/// children it spawned live on after it is freed.
///
/// Not thread-safe: one handle must not be used by two threads at once (`_spawn` and
/// `_explain` update the cached plan). Distinct handles may be used from distinct threads.
pub struct mntns_sandbox {
    spec: Spec,
    /// Where the old root is kept (`Spec` can set it but not unset it, so it is applied to a
    /// copy of the spec when planning).
    old_root: Option<PathBuf>,
    /// The compiled plan, dropped by every setter.
    plan: Option<Plan>,
}

impl mntns_sandbox {
    /// Applies a change to the spec and drops the cached plan.
    fn change(&mut self, f: impl FnOnce(Spec) -> Spec) {
        self.plan = None;
        let spec = std::mem::take(&mut self.spec);
        self.spec = f(spec);
    }

    /// The plan: the cached one, or a freshly compiled one (then cached).
    fn plan(&mut self) -> Result<&Plan> {
        if self.plan.is_none() {
            let plan = match &self.old_root {
                Some(old) => self.spec.clone().keep_old_root(old.clone()).plan()?,
                None => self.spec.plan()?,
            };
            self.plan = Some(plan);
        }
        Ok(self.plan.as_ref().expect("compiled above"))
    }
}

/// The sandbox argument `sb`: NULL is `-EINVAL`.
///
/// # Safety
/// `sb` is NULL or a live handle from `mntns_sandbox_new`, used by no other thread.
unsafe fn handle<'a>(call: Call, sb: *mut mntns_sandbox) -> Result<&'a mut mntns_sandbox> {
    // SAFETY: by the caller's contract a non-NULL sb is a live, unaliased handle.
    unsafe { sb.as_mut() }.ok_or_else(|| call.invalid("sb is NULL"))
}

/// A byte-string argument (a variable, a hostname, a symlink's text): bytes, not
/// necessarily UTF-8.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string.
unsafe fn bytes<'a>(call: Call, ptr: *const c_char, arg: &str) -> Result<&'a OsStr> {
    // SAFETY: the caller's contract.
    Ok(unsafe { call.path(ptr, arg) }?.as_os_str())
}

/// The core's tmpfs options for a root: as given, except that an unset mode is 0755 (the
/// default root's), not tmpfs's 1777.
fn root_tmpfs(call: Call, opts: &mntns_tmpfs_opts) -> Result<TmpfsOptions> {
    let mut opts = *opts;
    if opts.mode == MNTNS_UNSET32 {
        opts.mode = 0o755;
    }
    opts.to_options(call)
}

/// A NULL-terminated `argv` array as arguments; NULL gives `None`.
///
/// # Safety
/// `argv` is NULL or a NULL-terminated array of NUL-terminated strings.
unsafe fn argv_arg<'a>(argv: *const *const c_char) -> Option<Vec<&'a OsStr>> {
    if argv.is_null() {
        return None;
    }
    let mut out = Vec::new();
    for i in 0.. {
        // SAFETY: the array is NULL-terminated (the caller's contract), and i never passes
        // that terminator.
        let arg = unsafe { *argv.add(i) };
        if arg.is_null() {
            break;
        }
        // SAFETY: each element before the terminator is a NUL-terminated string.
        out.push(OsStr::from_bytes(unsafe { CStr::from_ptr(arg) }.to_bytes()));
    }
    Some(out)
}

/// Parses id-map text (`"0 1000 1\n1 100000 65536"`, see `mntns::idmap::parse_map`),
/// naming the argument in the message.
fn id_maps(call: Call, text: &str, arg: &str) -> Result<Vec<IdMap>> {
    mntns::idmap::parse_map(text)
        .map_err(|e| call.invalid(format!("{arg} {}", e.hint().unwrap_or("is not a map"))))
}

/// Copies `text` and a NUL into `buf` of `len` bytes, as `snprintf` would but never cut
/// short: returns the text's length; with `buf` NULL and `len` 0 only the length.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes.
unsafe fn copy_text(call: Call, text: &str, buf: *mut c_char, len: usize) -> Result<c_int> {
    let needed = text.len();
    let Ok(ret) = c_int::try_from(needed) else {
        return Err(call.error(
            Errno::EOVERFLOW,
            format!("the text is {needed} bytes, more than an int can report"),
        ));
    };
    if buf.is_null() {
        if len == 0 {
            return Ok(ret);
        }
        return Err(call.invalid(format!("buf is NULL but len is {len}")));
    }
    if len <= needed {
        return Err(call.error(
            Errno::ERANGE,
            format!(
                "the text needs {} bytes with its NUL, the buffer has {len}",
                needed + 1
            ),
        ));
    }
    // SAFETY: buf is valid for len > needed bytes (the caller's contract); text is a
    // separate Rust allocation of `needed` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), buf, needed);
        buf.add(needed).write(0);
    }
    Ok(ret)
}

/// Creates a sandbox description with the same ready-to-use defaults as `mntns run`: a new
/// mount namespace whose root is a fresh tmpfs (mode 0755) holding the host's `/usr` and
/// `/etc` read-only, the `/bin`, `/lib*`, `/sbin` links, `/proc`, a minimal `/dev` and a
/// tmpfs `/tmp` (`MNTNS_BASE_HOST`); rootless (a user namespace mapping the caller to root)
/// when the caller is not root; the caller's environment, stdio and working directory `/`;
/// dying with the thread that spawns it.
///
/// On success writes to `*sb_out` a new handle owned by the caller: change it with the
/// `mntns_sandbox_set_*`/`_add_*` functions, run it with `mntns_sandbox_spawn`, release it
/// with `mntns_sandbox_free`. Returns 0, or `-EINVAL` for a NULL `sb_out`.
///
/// # Safety
/// `sb_out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_new(sb_out: *mut *mut mntns_sandbox) -> c_int {
    guard("mntns_sandbox_new", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(sb_out, "sb_out") }?;
        let sb = mntns_sandbox {
            spec: Spec::host(),
            old_root: None,
            plan: None,
        };
        out.set(Box::into_raw(Box::new(sb)));
        Ok(0)
    })
}

/// Releases `sb`. NULL is a no-op. Children spawned from it are not affected (they have
/// their own `mntns_child` handles). Freeing a handle twice is undefined behaviour, as
/// with `free(3)`.
///
/// # Safety
/// `sb` is NULL or a handle from `mntns_sandbox_new` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_free(sb: *mut mntns_sandbox) {
    guard("mntns_sandbox_free", |_| {
        if !sb.is_null() {
            // SAFETY: sb came from Box::into_raw in mntns_sandbox_new and is freed once
            // (the caller's contract).
            drop(unsafe { Box::from_raw(sb) });
        }
        Ok(())
    })
}

/// Sets what the root holds before the sandbox's own mounts: `MNTNS_BASE_BARE`,
/// `MNTNS_BASE_SYSTEM` or `MNTNS_BASE_HOST` (the default). A mount added with `_add_*` on
/// a target the base also uses replaces the base's.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or another value.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_base(sb: *mut mntns_sandbox, base: c_int) -> c_int {
    guard("mntns_sandbox_set_base", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let base = match base {
            MNTNS_BASE_BARE => Base::Bare,
            MNTNS_BASE_SYSTEM => Base::System,
            MNTNS_BASE_HOST => Base::Host,
            other => {
                return Err(call.invalid(format!(
                    "base {other} is not one of MNTNS_BASE_BARE, MNTNS_BASE_SYSTEM, \
                     MNTNS_BASE_HOST"
                )));
            }
        };
        sb.change(|s| s.base(base));
        Ok(0)
    })
}

/// Makes the root a fresh tmpfs mounted with `*opts` (the default root, with every field
/// unset). An unset `mode` gives 0755 here, not tmpfs's 1777. The library copies `*opts`.
///
/// Returns 0, or `-EINVAL` for NULL arguments and the values `mntns_mount_tmpfs` refuses
/// (size or inode count 0, unknown flag bits…).
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `opts` is NULL or points to a
/// `struct mntns_tmpfs_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_root_tmpfs(
    sb: *mut mntns_sandbox,
    opts: *const mntns_tmpfs_opts,
) -> c_int {
    guard("mntns_sandbox_set_root_tmpfs", |call| {
        // SAFETY: the caller's contract.
        let (sb, opts) = unsafe { (handle(call, sb)?, call.input(opts, "opts")?) };
        let opts = root_tmpfs(call, opts)?;
        sb.change(|s| s.root(Root::Tmpfs(opts)));
        Ok(0)
    })
}

/// Makes the host directory `path` the root (bound onto itself, as bubblewrap does); mount
/// points the sandbox needs are created in it. A symlink to a directory is followed. Pair it
/// with `MNTNS_BASE_SYSTEM` (or `_BARE`): the host's `/usr` over the root's own is rarely
/// what is wanted. `path` is absolute bytes, not necessarily UTF-8; the library copies it.
///
/// Returns 0, or `-EINVAL` for NULL arguments. A missing root (`-ENOENT`), a file
/// (`-ENOTDIR`), one the caller cannot search (`-EACCES`) or a relative path (`-EINVAL`)
/// is reported when the sandbox is planned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `path` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_root_dir(
    sb: *mut mntns_sandbox,
    path: *const c_char,
) -> c_int {
    guard("mntns_sandbox_set_root_dir", |call| {
        // SAFETY: the caller's contract.
        let (sb, path) = unsafe { (handle(call, sb)?, call.path(path, "path")?) };
        let dir = path.to_path_buf();
        sb.change(|s| s.root(Root::Dir(dir)));
        Ok(0)
    })
}

/// Makes the root a fresh tmpfs (mounted with `*opts`; an unset `mode` gives 0755) into
/// which the tar archive `path` (plain or gzip, e.g. what `docker export` writes) is
/// unpacked by the parent while the sandbox waits. Entries stay inside the root; device
/// nodes are created where the caller may (as empty files when rootless). Pair it with
/// `MNTNS_BASE_SYSTEM`. The library copies both arguments.
///
/// Returns 0, or `-EINVAL` for NULL arguments and bad `*opts` values. A missing archive
/// (`-ENOENT`) is reported when the sandbox is planned, a corrupt one when it is spawned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `path` is NULL or a
/// NUL-terminated string; `opts` is NULL or points to a `struct mntns_tmpfs_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_root_tar(
    sb: *mut mntns_sandbox,
    path: *const c_char,
    opts: *const mntns_tmpfs_opts,
) -> c_int {
    guard("mntns_sandbox_set_root_tar", |call| {
        // SAFETY: the caller's contract.
        let (sb, path, opts) = unsafe {
            (
                handle(call, sb)?,
                call.path(path, "path")?,
                call.input(opts, "opts")?,
            )
        };
        let tmpfs = root_tmpfs(call, opts)?;
        let path = path.to_path_buf();
        sb.change(|s| s.root(Root::Tar { path, tmpfs }));
        Ok(0)
    })
}

/// Adds namespaces to the sandbox besides its mount namespace (which it always has):
/// `MNTNS_NS_USER`, `_PID`, `_UTS`, `_IPC`, `_NET`, `_CGROUP`, `_TIME`, or'ed. Namespaces
/// are only ever added; 0 adds none.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or unknown bits (named in the message).
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_namespaces(
    sb: *mut mntns_sandbox,
    flags: c_int,
) -> c_int {
    guard("mntns_sandbox_add_namespaces", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let namespaces = Namespaces::from_raw(flags)?;
        sb.change(|s| s.namespaces(namespaces));
        Ok(0)
    })
}

/// Adds a tmpfs at `target` inside the root, mounted with `*opts` (`--tmpfs`). Mounts are
/// made in the order they are added; missing directories on the way are created inside the
/// root. The library copies both arguments.
///
/// Returns 0, or `-EINVAL` for NULL arguments and the `*opts` values `mntns_mount_tmpfs`
/// refuses. A relative target, `..`, or a second mount on the same target is `-EINVAL`
/// when the sandbox is planned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `target` is NULL or a
/// NUL-terminated string; `opts` is NULL or points to a `struct mntns_tmpfs_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_tmpfs(
    sb: *mut mntns_sandbox,
    target: *const c_char,
    opts: *const mntns_tmpfs_opts,
) -> c_int {
    guard("mntns_sandbox_add_tmpfs", |call| {
        // SAFETY: the caller's contract.
        let (sb, target, opts) = unsafe {
            (
                handle(call, sb)?,
                call.path(target, "target")?,
                call.input(opts, "opts")?,
            )
        };
        let opts = opts.to_options(call).map_err(|e| e.with_path(target))?;
        let target = target.to_path_buf();
        sb.change(|s| s.tmpfs(target, opts));
        Ok(0)
    })
}

/// Adds a tmpfs at `target` inside the root with options in the `mount -o` syntax
/// (`"size=1m,mode=755,nosuid"`; the keys of `mntns_mount_tmpfs_options`; `""` for the
/// kernel's defaults). The library copies both strings.
///
/// Returns 0, or `-EINVAL` for NULL arguments and any option `mntns_mount_tmpfs_options`
/// refuses (quoted in the message); target errors as `mntns_sandbox_add_tmpfs`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `target` and `options` are NULL
/// or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_tmpfs_options(
    sb: *mut mntns_sandbox,
    target: *const c_char,
    options: *const c_char,
) -> c_int {
    guard("mntns_sandbox_add_tmpfs_options", |call| {
        // SAFETY: the caller's contract.
        let (sb, target, options) = unsafe {
            (
                handle(call, sb)?,
                call.path(target, "target")?,
                call.text(options, "options")?,
            )
        };
        let opts = TmpfsOptions::parse(options).map_err(|e| e.with_path(target))?;
        let target = target.to_path_buf();
        sb.change(|s| s.tmpfs(target, opts));
        Ok(0)
    })
}

/// Adds a bind mount of the host's `source` at `target` inside the root (`--bind`; with
/// `MNTNS_BIND_RECURSIVE` the mounts below `source` come along, `--rbind`). `flags`:
/// `MNTNS_BIND_RECURSIVE`, `MNTNS_MOUNT_RDONLY` (read-only on every submount, `--ro-bind`)
/// and the other `MNTNS_MOUNT_*` flags, as for `mntns_bind`. `source` is opened once, by
/// the sandbox, before the root is assembled. The library copies both paths (bytes, not
/// necessarily UTF-8).
///
/// Returns 0, or `-EINVAL` for NULL arguments and unknown bits. A missing source
/// (`-ENOENT`), a relative path or a second mount on `target` (`-EINVAL`) is reported when
/// the sandbox is planned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `source` and `target` are NULL
/// or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_bind(
    sb: *mut mntns_sandbox,
    source: *const c_char,
    target: *const c_char,
    flags: u64,
) -> c_int {
    guard("mntns_sandbox_add_bind", |call| {
        // SAFETY: the caller's contract.
        let (sb, source, target) = unsafe {
            (
                handle(call, sb)?,
                call.path(source, "source")?,
                call.path(target, "target")?,
            )
        };
        let known = MountFlags::all().bits() | MNTNS_BIND_RECURSIVE;
        if flags & !known != 0 {
            return Err(call.invalid(format!(
                "unknown flag bits {:#x} in flags {flags:#x}; mntns_sandbox_add_bind takes \
                 MNTNS_BIND_RECURSIVE and MNTNS_MOUNT_*",
                flags & !known
            )));
        }
        let entry = MountEntry::Bind {
            source: source.to_path_buf(),
            target: target.to_path_buf(),
            readonly: flags & MNTNS_MOUNT_RDONLY != 0,
            recursive: flags & MNTNS_BIND_RECURSIVE != 0,
            flags: MountFlags::from_raw(flags & !(MNTNS_BIND_RECURSIVE | MNTNS_MOUNT_RDONLY))?,
        };
        sb.change(|s| s.mount(entry));
        Ok(0)
    })
}

/// Adds a new proc filesystem at `target` inside the root (`--proc`). It needs a PID
/// namespace the sandbox's user namespace owns: add `MNTNS_NS_PID` (checked when the
/// sandbox is planned). The library copies `target`.
///
/// Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `target` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_proc(
    sb: *mut mntns_sandbox,
    target: *const c_char,
) -> c_int {
    guard("mntns_sandbox_add_proc", |call| {
        // SAFETY: the caller's contract.
        let (sb, target) = unsafe { (handle(call, sb)?, call.path(target, "target")?) };
        let target = target.to_path_buf();
        sb.change(|s| s.proc(target));
        Ok(0)
    })
}

/// Adds a minimal `/dev` at `target` inside the root (`--dev`): a small tmpfs with `null`,
/// `zero`, `full`, `random`, `urandom` and `tty` bound from the host, a `pts` instance of
/// its own with `ptmx`, `shm`, and the `fd`, `stdin`, `stdout`, `stderr` links. The library
/// copies `target`.
///
/// Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `target` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_dev(
    sb: *mut mntns_sandbox,
    target: *const c_char,
) -> c_int {
    guard("mntns_sandbox_add_dev", |call| {
        // SAFETY: the caller's contract.
        let (sb, target) = unsafe { (handle(call, sb)?, call.path(target, "target")?) };
        let target = target.to_path_buf();
        sb.change(|s| s.dev(target));
        Ok(0)
    })
}

/// Adds a directory at `target` inside the root, with its parents (`--dir`), with the
/// permission bits `mode` (at most 07777, checked when the sandbox is planned). The library
/// copies `target`.
///
/// Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `target` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_dir(
    sb: *mut mntns_sandbox,
    target: *const c_char,
    mode: u32,
) -> c_int {
    guard("mntns_sandbox_add_dir", |call| {
        // SAFETY: the caller's contract.
        let (sb, target) = unsafe { (handle(call, sb)?, call.path(target, "target")?) };
        let target = target.to_path_buf();
        sb.change(|s| s.mount(MountEntry::Dir { target, mode }));
        Ok(0)
    })
}

/// Adds a symlink at `target` inside the root whose text is `link` (`--symlink LINK
/// TARGET`, like `ln -s LINK TARGET`); the text is resolved inside the sandbox when used.
/// Both are bytes, not necessarily UTF-8; the library copies them.
///
/// Returns 0, or `-EINVAL` for NULL arguments; an empty `link` is `-EINVAL` when the
/// sandbox is planned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `link` and `target` are NULL or
/// NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_symlink(
    sb: *mut mntns_sandbox,
    link: *const c_char,
    target: *const c_char,
) -> c_int {
    guard("mntns_sandbox_add_symlink", |call| {
        // SAFETY: the caller's contract.
        let (sb, link, target) = unsafe {
            (
                handle(call, sb)?,
                call.path(link, "link")?,
                call.path(target, "target")?,
            )
        };
        let (link, target) = (link.to_path_buf(), target.to_path_buf());
        sb.change(|s| s.symlink(link, target));
        Ok(0)
    })
}

/// Adds a regular file at `target` inside the root holding the `len` bytes at `data`, with
/// the permission bits `mode` (at most 07777, checked when the sandbox is planned). The
/// library copies the bytes; `data` may be NULL when `len` is 0 (an empty file).
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or `target`, a NULL `data` with `len` > 0, or a
/// `len` above `PTRDIFF_MAX` (no buffer is that large).
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `target` is NULL or a
/// NUL-terminated string; `data` is NULL or valid for reading `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_add_file(
    sb: *mut mntns_sandbox,
    target: *const c_char,
    data: *const c_void,
    len: usize,
    mode: u32,
) -> c_int {
    guard("mntns_sandbox_add_file", |call| {
        // SAFETY: the caller's contract.
        let (sb, target) = unsafe { (handle(call, sb)?, call.path(target, "target")?) };
        if len > isize::MAX as usize {
            return Err(call.invalid(format!(
                "len {len} is larger than any buffer can be (PTRDIFF_MAX)"
            )));
        }
        let contents = match (data.is_null(), len) {
            (_, 0) => Vec::new(),
            (true, _) => return Err(call.invalid(format!("data is NULL but len is {len}"))),
            // SAFETY: data is valid for reading len (≤ isize::MAX) bytes, by the caller's
            // contract.
            (false, _) => unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec(),
        };
        let target = target.to_path_buf();
        sb.change(|s| {
            s.mount(MountEntry::File {
                target,
                contents,
                mode,
            })
        });
        Ok(0)
    })
}

/// Runs the command as `uid` and `gid` inside a new user namespace that maps the caller's
/// effective uid and gid to them (one id each, setgroups denied) — `unshare -Ur` with 0, 0.
/// Needs no privilege.
///
/// Returns 0, or `-EINVAL` for a NULL `sb`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_rootless(
    sb: *mut mntns_sandbox,
    uid: u32,
    gid: u32,
) -> c_int {
    guard("mntns_sandbox_set_rootless", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        sb.change(|s| s.identity(Identity::Rootless { uid, gid }));
        Ok(0)
    })
}

/// Runs the command with the caller's own identity and privileges, without a user
/// namespace. Creating the other namespaces then needs root (`-EPERM` when the sandbox is
/// planned otherwise), and it contradicts `MNTNS_NS_USER` (`-EINVAL` then).
///
/// Returns 0, or `-EINVAL` for a NULL `sb`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_host_identity(sb: *mut mntns_sandbox) -> c_int {
    guard("mntns_sandbox_set_host_identity", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        sb.change(|s| s.identity(Identity::Host));
        Ok(0)
    })
}

/// Returns to the default identity: rootless (as `mntns_sandbox_set_rootless(sb, 0, 0)`)
/// when the caller is not root or asked for `MNTNS_NS_USER`, the caller's own otherwise.
///
/// Returns 0, or `-EINVAL` for a NULL `sb`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_auto_identity(sb: *mut mntns_sandbox) -> c_int {
    guard("mntns_sandbox_set_auto_identity", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        sb.change(|s| s.identity(Identity::Auto));
        Ok(0)
    })
}

/// Gives the sandbox a new user namespace with explicit maps, written by the parent: the
/// texts hold one `inside outside count` line per range, as `/proc/PID/uid_map` does
/// (`"0 100000 65536"`; lines separated by `\n`, empty lines ignored). Maps wider than the
/// caller's own ids need `CAP_SETUID`/`CAP_SETGID` (root). The command then runs as `uid`
/// and `gid` inside; both maps must map 0 (the setup runs as root of the namespace) and
/// them. `allow_setgroups` is 1 to leave `setgroups(2)` allowed (only with privileged
/// maps), 0 to deny it. The library copies the texts.
///
/// Returns 0, or `-EINVAL` for NULL arguments, a malformed line (its number and text are
/// in the message) or `allow_setgroups` other than 0 or 1. Overlapping, empty or too many
/// lines and unmapped `uid`/`gid` are `-EINVAL` when the sandbox is planned; maps the
/// kernel refuses are `-EPERM` at spawn.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `uid_map` and `gid_map` are NULL
/// or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_id_maps(
    sb: *mut mntns_sandbox,
    uid_map: *const c_char,
    gid_map: *const c_char,
    allow_setgroups: c_int,
    uid: u32,
    gid: u32,
) -> c_int {
    guard("mntns_sandbox_set_id_maps", |call| {
        // SAFETY: the caller's contract.
        let (sb, uid_text, gid_text) = unsafe {
            (
                handle(call, sb)?,
                call.text(uid_map, "uid_map")?,
                call.text(gid_map, "gid_map")?,
            )
        };
        let identity = Identity::Maps {
            uid_map: id_maps(call, uid_text, "uid_map")?,
            gid_map: id_maps(call, gid_text, "gid_map")?,
            setgroups: if call.boolean(allow_setgroups, "allow_setgroups")? {
                SetGroups::Allow
            } else {
                SetGroups::Deny
            },
            uid,
            gid,
        };
        sb.change(|s| s.identity(identity));
        Ok(0)
    })
}

/// Sets the hostname inside the sandbox (bytes, 1 to 64 of them, checked when planned);
/// this gives the sandbox a UTS namespace, so the host's is never changed. The library
/// copies `name`.
///
/// Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `name` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_hostname(
    sb: *mut mntns_sandbox,
    name: *const c_char,
) -> c_int {
    guard("mntns_sandbox_set_hostname", |call| {
        // SAFETY: the caller's contract.
        let (sb, name) = unsafe { (handle(call, sb)?, bytes(call, name, "name")?) };
        let name = name.to_owned();
        sb.change(|s| s.hostname(name));
        Ok(0)
    })
}

/// Sets the variable `key` to `value` in the command's environment, replacing an earlier
/// `_setenv` or `_unsetenv` of it. Both are bytes; the library copies them.
///
/// The environment starts as the caller's, read when the sandbox is planned (the first
/// `_plan`, `_explain`, `_spawn` or `_enter` after a change), not at every spawn.
///
/// Returns 0, or `-EINVAL` for NULL arguments; an empty key or one with `=` is `-EINVAL`
/// when the sandbox is planned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `key` and `value` are NULL or
/// NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_setenv(
    sb: *mut mntns_sandbox,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    guard("mntns_sandbox_setenv", |call| {
        // SAFETY: the caller's contract.
        let (sb, key, value) = unsafe {
            (
                handle(call, sb)?,
                bytes(call, key, "key")?,
                bytes(call, value, "value")?,
            )
        };
        let (key, value) = (key.to_owned(), value.to_owned());
        sb.change(|s| s.setenv(key, value));
        Ok(0)
    })
}

/// Removes the variable `key` from the command's environment (replacing an earlier
/// `_setenv` of it). The library copies `key`.
///
/// Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `key` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_unsetenv(
    sb: *mut mntns_sandbox,
    key: *const c_char,
) -> c_int {
    guard("mntns_sandbox_unsetenv", |call| {
        // SAFETY: the caller's contract.
        let (sb, key) = unsafe { (handle(call, sb)?, bytes(call, key, "key")?) };
        let key = key.to_owned();
        sb.change(|s| s.unsetenv(key));
        Ok(0)
    })
}

/// Starts the command's environment empty instead of the caller's, and forgets the
/// variables set so far (`env -i`); later `_setenv` calls add to it. Without `PATH`, a
/// command without a `/` is looked up in `/usr/local/bin:/usr/bin:/bin`.
///
/// Returns 0, or `-EINVAL` for a NULL `sb`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_clearenv(sb: *mut mntns_sandbox) -> c_int {
    guard("mntns_sandbox_clearenv", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        sb.change(Spec::env_clear);
        Ok(0)
    })
}

/// Sets the command's working directory, an absolute path inside the sandbox (default `/`;
/// a relative one is `-EINVAL` when planned). The library copies `dir`.
///
/// Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `dir` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_cwd(
    sb: *mut mntns_sandbox,
    dir: *const c_char,
) -> c_int {
    guard("mntns_sandbox_set_cwd", |call| {
        // SAFETY: the caller's contract.
        let (sb, dir) = unsafe { (handle(call, sb)?, call.path(dir, "dir")?) };
        let dir = dir.to_path_buf();
        sb.change(|s| s.cwd(dir));
        Ok(0)
    })
}

/// One stdio argument: inherit, /dev/null, or a descriptor (which must be open at spawn).
fn stdio_arg(call: Call, fd: c_int, arg: &str) -> Result<Stdio> {
    match fd {
        MNTNS_STDIO_INHERIT => Ok(Stdio::Inherit),
        MNTNS_STDIO_NULL => Ok(Stdio::Null),
        fd if fd < 0 => Err(call.error(
            Errno::EBADF,
            format!(
                "{arg} {fd} is not an open file descriptor, MNTNS_STDIO_INHERIT (-1) or \
                 MNTNS_STDIO_NULL (-2)"
            ),
        )),
        fd => Ok(Stdio::Fd(fd)),
    }
}

/// Sets where the command's stdin, stdout and stderr come from: a descriptor of the caller
/// (the command gets a copy of it; the caller keeps it and must keep it open until the
/// spawns that use it return), `MNTNS_STDIO_INHERIT` (-1, the caller's own stream, the
/// default) or `MNTNS_STDIO_NULL` (the host's `/dev/null`).
///
/// Returns 0, or `-EINVAL` for a NULL `sb`, `-EBADF` for another negative value. A
/// descriptor closed by the time of a spawn makes that spawn fail with `-EBADF`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_stdio(
    sb: *mut mntns_sandbox,
    in_fd: c_int,
    out_fd: c_int,
    err_fd: c_int,
) -> c_int {
    guard("mntns_sandbox_set_stdio", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let stdin = stdio_arg(call, in_fd, "in_fd")?;
        let stdout = stdio_arg(call, out_fd, "out_fd")?;
        let stderr = stdio_arg(call, err_fd, "err_fd")?;
        sb.change(|s| s.stdin(stdin).stdout(stdout).stderr(stderr));
        Ok(0)
    })
}

/// Passes the caller's descriptor `fd` to the command as descriptor `target_fd` (3 or
/// more, each target once; checked when planned). Every other descriptor of the caller but
/// the stdio ones is closed in the sandbox. The caller keeps `fd` and must keep it open
/// until the spawns that use it return.
///
/// Returns 0, or `-EINVAL` for a NULL `sb`, `-EBADF` for a negative `fd`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_pass_fd(
    sb: *mut mntns_sandbox,
    fd: c_int,
    target_fd: c_int,
) -> c_int {
    guard("mntns_sandbox_pass_fd", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        call.fd(fd, "fd")?;
        sb.change(|s| s.pass_fd(fd, target_fd));
        Ok(0)
    })
}

/// With `yes` 1, starts the command in a new session (`setsid`), detached from the
/// caller's controlling terminal; 0 (the default) keeps it.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or `yes` other than 0 or 1.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_new_session(
    sb: *mut mntns_sandbox,
    yes: c_int,
) -> c_int {
    guard("mntns_sandbox_set_new_session", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let yes = call.boolean(yes, "yes")?;
        sb.change(|s| s.new_session(yes));
        Ok(0)
    })
}

/// With `yes` 1, sets `PR_SET_NO_NEW_PRIVS` for the command: setuid binaries and file
/// capabilities grant nothing. 0 (the default) leaves it unset.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or `yes` other than 0 or 1.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_no_new_privs(
    sb: *mut mntns_sandbox,
    yes: c_int,
) -> c_int {
    guard("mntns_sandbox_set_no_new_privs", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let yes = call.boolean(yes, "yes")?;
        sb.change(|s| s.no_new_privs(yes));
        Ok(0)
    })
}

/// With `yes` 1 (the default), the command starts with SIGPIPE and SIGXFSZ at their default
/// action even when the caller ignores them (an ignored signal stays ignored across
/// `exec`; Rust and Python runtimes ignore these, and a C program may too), as Rust's
/// `Command` and Python's `subprocess` do. 0 passes the caller's dispositions on unchanged.
/// Signals the caller handles always start at their default.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or `yes` other than 0 or 1.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_restore_signals(
    sb: *mut mntns_sandbox,
    yes: c_int,
) -> c_int {
    guard("mntns_sandbox_set_restore_signals", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let yes = call.boolean(yes, "yes")?;
        sb.change(|s| s.restore_signals(yes));
        Ok(0)
    })
}

/// With `yes` 1, `mntns_sandbox_spawn` returns once the sandbox is set up, before its
/// command runs: its namespaces can be read or joined meanwhile, however quickly the command
/// would exit; `mntns_child_resume` runs the command. 0 (the default) runs it at once.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or `yes` other than 0 or 1.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_start_paused(
    sb: *mut mntns_sandbox,
    yes: c_int,
) -> c_int {
    guard("mntns_sandbox_set_start_paused", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let yes = call.boolean(yes, "yes")?;
        sb.change(|s| s.start_paused(yes));
        Ok(0)
    })
}

/// With `yes` 1 (the default), the sandbox is killed (`SIGKILL`) when the **thread** that
/// spawned it exits (`PR_SET_PDEATHSIG` is per thread): spawn from a thread that lives as
/// long as the sandbox should. 0 lets the sandbox outlive its parent.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or `yes` other than 0 or 1.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_die_with_parent(
    sb: *mut mntns_sandbox,
    yes: c_int,
) -> c_int {
    guard("mntns_sandbox_set_die_with_parent", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let yes = call.boolean(yes, "yes")?;
        sb.change(|s| s.die_with_parent(yes));
        Ok(0)
    })
}

/// Keeps the old root mounted at `path` inside the new root (`pivot_root . old-root`)
/// instead of detaching it; NULL returns to the default (detached). `"old-root"` and
/// `"/old-root"` mean the same. The library copies `path`.
///
/// Returns 0, or `-EINVAL` for a NULL `sb`; a `path` with `..` or naming the root itself is
/// `-EINVAL` when planned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `path` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_keep_old_root(
    sb: *mut mntns_sandbox,
    path: *const c_char,
) -> c_int {
    guard("mntns_sandbox_set_keep_old_root", |call| {
        // SAFETY: the caller's contract.
        let (sb, path) = unsafe { (handle(call, sb)?, call.optional_path(path)) };
        sb.plan = None;
        sb.old_root = path.map(Path::to_path_buf);
        Ok(0)
    })
}

/// Sets how `/` is made non-shared in the sandbox before anything is mounted:
/// `MNTNS_PROPAGATION_SLAVE` (the default, `--make-rslave`: host mounts still appear,
/// nothing goes back) or `MNTNS_PROPAGATION_PRIVATE` (`--make-rprivate`).
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or another value.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_root_propagation(
    sb: *mut mntns_sandbox,
    propagation: c_int,
) -> c_int {
    guard("mntns_sandbox_set_root_propagation", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let propagation = match propagation {
            MNTNS_PROPAGATION_SLAVE => RootPropagation::Slave,
            MNTNS_PROPAGATION_PRIVATE => RootPropagation::Private,
            other => {
                return Err(call.invalid(format!(
                    "propagation {other:#x} is not MNTNS_PROPAGATION_SLAVE or \
                     MNTNS_PROPAGATION_PRIVATE"
                )));
            }
        };
        sb.change(|s| s.root_propagation(propagation));
        Ok(0)
    })
}

/// Sets how the sandbox's first process is created: `MNTNS_CLONE_AUTO` (the default),
/// `MNTNS_CLONE_VFORK` or `MNTNS_CLONE_FORK`; the others exist for benchmarks and tests.
///
/// Returns 0, or `-EINVAL` for a NULL `sb` or another value; `MNTNS_CLONE_VFORK` for a
/// sandbox that needs the fork path is `-EINVAL` when planned.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_clone_mode(
    sb: *mut mntns_sandbox,
    mode: c_int,
) -> c_int {
    guard("mntns_sandbox_set_clone_mode", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let mode = match mode {
            MNTNS_CLONE_AUTO => CloneMode::Auto,
            MNTNS_CLONE_VFORK => CloneMode::Vfork,
            MNTNS_CLONE_FORK => CloneMode::Fork,
            other => {
                return Err(call.invalid(format!(
                    "mode {other} is not one of MNTNS_CLONE_AUTO, MNTNS_CLONE_VFORK, \
                     MNTNS_CLONE_FORK"
                )));
            }
        };
        sb.change(|s| s.clone_mode(mode));
        Ok(0)
    })
}

/// Sets the command `mntns_sandbox_spawn(sb, NULL, …)` runs and `_explain` shows: `argv`
/// is a NULL-terminated array (`argv[0]` without a `/` is looked up in the sandbox's
/// `PATH`, inside the new root). The library copies the strings (bytes, not necessarily
/// UTF-8). An empty array (`{NULL}`) forgets the command.
///
/// Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `argv` is NULL or a
/// NULL-terminated array of NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_set_command(
    sb: *mut mntns_sandbox,
    argv: *const *const c_char,
) -> c_int {
    guard("mntns_sandbox_set_command", |call| {
        // SAFETY: the caller's contract.
        let (sb, argv) = unsafe { (handle(call, sb)?, argv_arg(argv)) };
        let argv = argv.ok_or_else(|| call.invalid("argv is NULL"))?;
        sb.change(|s| s.command(argv));
        Ok(0)
    })
}

/// Validates the whole sandbox and compiles it now (the core's `Spec::plan`): paths,
/// sizes, id maps, conflicts, bind sources and the root are checked, and every string the
/// spawn needs is built, once. `_explain`, `_spawn` and `_enter` do this themselves when
/// the sandbox changed since the last time; calling it first reports mistakes early and
/// takes the cost out of the first spawn. Nothing is created and no process is started.
///
/// Returns 0, or `-errno` with the argument named in `mntns_last_error()`: `-EINVAL` for
/// a NULL `sb`, relative or `..` targets, two mounts on one target, bad id maps, a hostname
/// over 64 bytes, `MNTNS_CLONE_VFORK` where it cannot work, bad descriptors to pass…;
/// `-ENOENT`/`-ENOTDIR`/`-EACCES` for a root or bind source that is missing or unusable;
/// `-EPERM` for `mntns_sandbox_set_host_identity` without root; `-ENAMETOOLONG`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_plan(sb: *mut mntns_sandbox) -> c_int {
    guard("mntns_sandbox_plan", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        sb.plan()?;
        Ok(0)
    })
}

/// Writes what spawning the sandbox does, as numbered steps a person would type by hand
/// (`mntns run --explain`): the clone and its namespaces, `mount --make-rslave /`, each
/// mount, `pivot_root`, descriptors, exec. NUL-terminated, into `buf` of `len` bytes. The
/// sandbox is planned first when it changed (see `mntns_sandbox_plan`).
///
/// Returns the length of the text without the NUL (> 0), like `snprintf` and
/// `mntns_nsid_format`; with `buf` NULL and `len` 0 it only returns that length (call it
/// so, allocate length + 1, call again). Nothing is written on failure: `-ERANGE` when
/// `len` is too small (the message says how many bytes are needed); `-EINVAL` for a NULL
/// `sb` or a NULL `buf` with `len` > 0; the errors of `mntns_sandbox_plan`.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `buf` is NULL or valid for
/// writing `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_explain(
    sb: *mut mntns_sandbox,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard("mntns_sandbox_explain", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        let text = sb.plan()?.to_string();
        // SAFETY: the caller's contract.
        unsafe { copy_text(call, &text, buf, len) }
    })
}

/// Runs `argv` (a NULL-terminated array; `argv[0]` without a `/` is looked up in the
/// sandbox's `PATH` inside the new root) in a new sandbox; NULL runs the command set with
/// `mntns_sandbox_set_command`. The sandbox is planned first when it changed; otherwise
/// the cached plan is used, so spawning many times costs only the spawn.
///
/// Safe to call from a multithreaded program (other threads may be allocating or holding
/// locks): between clone and exec the child touches only memory built beforehand and makes
/// only system calls. A rootless sandbox works too (its user namespace is created in the
/// single-threaded child).
///
/// On success writes to `*child_out` a new handle owned by the caller: wait for it with
/// `mntns_child_wait`, release it with `mntns_child_free` (which kills and reaps a child
/// that was not waited for). Returns 0, or `-errno`: the errors of `mntns_sandbox_plan`;
/// `-EINVAL` for a NULL `sb` or `child_out`, no command; for a failed setup step the
/// errno of that step with the step, path and a hint in `mntns_last_error()` (`mount tmpfs
/// on /usr/x: EROFS …`), the child already reaped; `-ENOENT` with step `exec` for a
/// command not found in the sandbox; `-EPERM`, `-ENOSPC`, `-EUSERS` from clone with the
/// sysctl or limit that explains them.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread; `argv` is NULL or a
/// NULL-terminated array of NUL-terminated strings; `child_out` is NULL or valid for
/// writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_spawn(
    sb: *mut mntns_sandbox,
    argv: *const *const c_char,
    child_out: *mut *mut mntns_child,
) -> c_int {
    guard("mntns_sandbox_spawn", |call| {
        // SAFETY: the caller's contract.
        let (sb, argv, out) = unsafe {
            (
                handle(call, sb)?,
                argv_arg(argv),
                call.out(child_out, "child_out")?,
            )
        };
        let plan = sb.plan()?;
        let child = match argv {
            Some(argv) => plan.spawn_argv(argv)?,
            None => plan.spawn()?,
        };
        out.set(mntns_child::into_raw(child));
        Ok(0)
    })
}

/// Runs the sandbox's setup in the **calling process** instead of a child — new
/// namespaces, the mounts, the pivot into the new root — and returns; no command is run.
/// For single-threaded programs that want to continue inside, as after `unshare -m` and
/// `pivot_root`. Descriptors stay as they are.
///
/// Returns 0, or `-errno`: the errors of `mntns_sandbox_plan`; `-EINVAL` for a NULL `sb`,
/// in a multithreaded process ("the calling process has N threads"), and for sandboxes
/// that need a parent while they are set up (`mntns_sandbox_set_id_maps`, a root archive);
/// the failed step's errno as for `mntns_sandbox_spawn`. A failure midway leaves the
/// process in the partly set-up namespaces.
///
/// # Safety
/// `sb` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_sandbox_enter(sb: *mut mntns_sandbox) -> c_int {
    guard("mntns_sandbox_enter", |call| {
        // SAFETY: the caller's contract.
        let sb = unsafe { handle(call, sb) }?;
        sb.plan()?.enter()?;
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> *mut mntns_sandbox {
        let mut sb = std::ptr::null_mut();
        // SAFETY: a valid out pointer.
        assert_eq!(unsafe { mntns_sandbox_new(&mut sb) }, 0);
        sb
    }

    #[test]
    fn the_plan_is_cached_until_a_setter_runs() {
        let sb = new();
        // SAFETY: sb is a live handle used by this thread only; freed once at the end.
        unsafe {
            assert!((*sb).plan.is_none());
            assert_eq!(mntns_sandbox_plan(sb), 0);
            let first: *const Plan = (*sb).plan.as_ref().unwrap();
            assert_eq!(mntns_sandbox_plan(sb), 0);
            let mut buf = [0 as c_char; 8192];
            assert!(mntns_sandbox_explain(sb, buf.as_mut_ptr(), buf.len()) > 0);
            assert!(std::ptr::eq(first, (*sb).plan.as_ref().unwrap()));
            // Every setter drops it, even one whose value is the same as before.
            assert_eq!(mntns_sandbox_set_new_session(sb, 0), 0);
            assert!((*sb).plan.is_none());
            assert_eq!(mntns_sandbox_set_keep_old_root(sb, c"old".as_ptr()), 0);
            assert_eq!(mntns_sandbox_plan(sb), 0);
            assert_eq!(mntns_sandbox_set_keep_old_root(sb, std::ptr::null()), 0);
            assert!((*sb).plan.is_none());
            // A refused setter changes nothing, the cache included.
            assert_eq!(mntns_sandbox_plan(sb), 0);
            assert_eq!(mntns_sandbox_set_base(sb, 9), -libc::EINVAL);
            assert!((*sb).plan.is_some());
            mntns_sandbox_free(sb);
        }
    }

    /// Runs `body` with a `Call` (inside a guard, so a failed assertion comes back as
    /// ENOTRECOVERABLE with its message).
    fn with_call(body: impl FnOnce(Call)) {
        let rc: c_int = guard("mntns_test", |call| {
            body(call);
            Ok(0)
        });
        // SAFETY: mntns_last_error returns a valid NUL-terminated string.
        let last = unsafe { CStr::from_ptr(crate::error::mntns_last_error()) };
        assert_eq!(rc, 0, "{last:?}");
    }

    #[test]
    fn id_map_text() {
        with_call(|call| {
            let maps = id_maps(call, "0 1000 1\n\n  1 100000 65536  \n", "uid_map").unwrap();
            assert_eq!(
                maps,
                vec![IdMap::new(0, 1000, 1), IdMap::new(1, 100000, 65536)]
            );
            assert!(id_maps(call, "", "uid_map").unwrap().is_empty());
            let e = id_maps(call, "0 0 1\n0 0", "gid_map").unwrap_err();
            assert!(e.to_string().contains("gid_map line 2: \"0 0\""), "{e}");
        });
    }

    #[test]
    fn text_is_copied_like_snprintf_but_never_cut() {
        with_call(|call| {
            let mut buf = [b'x' as c_char; 6];
            // SAFETY: the buffers are valid for the lengths given; NULL with 0 only measures.
            unsafe {
                assert_eq!(
                    copy_text(call, "hello", std::ptr::null_mut(), 0).unwrap(),
                    5
                );
                assert_eq!(copy_text(call, "hello", buf.as_mut_ptr(), 6).unwrap(), 5);
                assert_eq!(CStr::from_ptr(buf.as_ptr()).to_bytes(), b"hello");
                let mut small = [b'x' as c_char; 5];
                let e = copy_text(call, "hello", small.as_mut_ptr(), 5).unwrap_err();
                assert_eq!(e.errno(), Errno::ERANGE);
                assert!(small.iter().all(|&c| c == b'x' as c_char));
                let e = copy_text(call, "hello", buf.as_mut_ptr(), 0).unwrap_err();
                assert_eq!(e.errno(), Errno::ERANGE);
                let e = copy_text(call, "hello", std::ptr::null_mut(), 3).unwrap_err();
                assert_eq!(e.errno(), Errno::EINVAL);
            }
        });
    }
}
