//! What a caller wants from a sandbox: namespaces, a root, mounts inside it, an identity, and
//! how to run the command. A [`Spec`] is plain data built with chained methods; nothing is
//! checked or touched until [`Spec::plan`] validates all of it and compiles a
//! [`Plan`](crate::Plan).
//!
//! ```no_run
//! use mntns::{Spec, TmpfsOptions};
//!
//! # fn main() -> mntns::Result<()> {
//! let plan = Spec::host()                              // /usr, /etc, /proc, /dev, /tmp
//!     .tmpfs("/scratch", TmpfsOptions::parse("size=64m")?)
//!     .ro_bind("/srv/data", "/data")
//!     .hostname("box")
//!     .command(["/bin/sh", "-c", "df -h /scratch; ls /data"])
//!     .plan()?;
//! let status = plan.spawn()?.wait()?;
//! # Ok(())
//! # }
//! ```

use std::ffi::{OsStr, OsString};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::idmap::{IdMap, SetGroups};
use crate::mount::{MountFlags, TmpfsOptions};
use crate::ns::Namespaces;
use crate::pivot::RootPropagation;

/// The longest hostname the kernel accepts (`HOST_NAME_MAX`).
pub(crate) const HOST_NAME_MAX: usize = 64;

/// What a sandbox has before its own mounts are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Base {
    /// Nothing: an empty root (as bubblewrap starts).
    #[default]
    Bare,
    /// The kernel filesystems a program expects: `/proc` (a new one with a PID namespace;
    /// the host's bound otherwise), a minimal `/dev` and a tmpfs `/tmp`. For roots that
    /// bring their own content ([`Root::Dir`], [`Root::Tar`]).
    System,
    /// [`Base::System`] plus the host's `/usr` and `/etc` read-only and the `/bin`, `/lib*`,
    /// `/sbin` links or read-only binds the host has: a ready-to-use sandbox that needs no
    /// root image (what `mntns run` starts from).
    Host,
}

/// Where the sandbox's root comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// A fresh, empty tmpfs (the default), with these options. Without a size the kernel's
    /// default applies (half of RAM); it is never unlimited unless asked for.
    Tmpfs(TmpfsOptions),
    /// A directory of the host, bound onto itself and used as the root. Mount points the spec
    /// needs are created in it (as bubblewrap does). A symlink to a directory is followed.
    Dir(PathBuf),
    /// A tar archive (plain or gzip, e.g. what `docker export` writes) unpacked into a fresh
    /// tmpfs with these options. Entries are confined to the root (`..` entries fail the
    /// spawn; symlinks are resolved inside the root); device nodes and FIFOs are created for
    /// real where the caller may (device nodes need root outside any user namespace;
    /// rootless, they become empty files); a failed unpack leaves nothing behind.
    Tar {
        /// The archive.
        path: PathBuf,
        /// The tmpfs it is unpacked into.
        tmpfs: TmpfsOptions,
    },
}

impl Default for Root {
    fn default() -> Root {
        Root::Tmpfs(TmpfsOptions::new().mode(0o755))
    }
}

/// One mount or filesystem entry made inside the new root, in the order given. Targets are
/// absolute paths *inside the new root*, resolved there: a symlink on the way is followed
/// inside the root and never out of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountEntry {
    /// A tmpfs (`--tmpfs DEST`).
    Tmpfs {
        /// Where, inside the root.
        target: PathBuf,
        /// Size, mode, inodes, owner, flags.
        options: TmpfsOptions,
    },
    /// A bind mount of a host path (`--bind`, `--ro-bind`).
    Bind {
        /// The host path (followed if it is a symlink).
        source: PathBuf,
        /// Where, inside the root.
        target: PathBuf,
        /// Read-only, on every submount too.
        readonly: bool,
        /// Bring submounts along (`--rbind`); true unless asked otherwise.
        recursive: bool,
        /// Extra flags (nosuid, nodev, noexec…).
        flags: MountFlags,
    },
    /// A new proc filesystem (`--proc DEST`). Needs a PID namespace in a rootless sandbox.
    Proc {
        /// Where, inside the root.
        target: PathBuf,
    },
    /// A minimal /dev (`--dev DEST`): a tmpfs with null, zero, full, random, urandom and tty
    /// (bound from the host), `pts` (a devpts instance of its own), `ptmx`, `shm` and the
    /// `fd`, `stdin`, `stdout`, `stderr` links.
    Dev {
        /// Where, inside the root.
        target: PathBuf,
    },
    /// A directory (`--dir DEST`), with its parents.
    Dir {
        /// Where, inside the root.
        target: PathBuf,
        /// Its mode (0755 by default).
        mode: u32,
    },
    /// A symlink (`--symlink TARGET DEST`).
    Symlink {
        /// What the link points to (any text; resolved inside the sandbox).
        link: PathBuf,
        /// Where the link is created, inside the root.
        target: PathBuf,
    },
    /// A regular file with the given contents.
    File {
        /// Where, inside the root.
        target: PathBuf,
        /// Its contents.
        contents: Vec<u8>,
        /// Its mode (0644 by default).
        mode: u32,
    },
}

impl MountEntry {
    /// The path inside the root this entry creates or mounts on.
    pub fn target(&self) -> &Path {
        match self {
            MountEntry::Tmpfs { target, .. }
            | MountEntry::Bind { target, .. }
            | MountEntry::Proc { target }
            | MountEntry::Dev { target }
            | MountEntry::Dir { target, .. }
            | MountEntry::Symlink { target, .. }
            | MountEntry::File { target, .. } => target,
        }
    }
}

/// Who the command runs as.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Identity {
    /// Rootless when the caller is not root ([`Identity::Rootless`] as uid 0, gid 0), the
    /// host's identity otherwise.
    #[default]
    Auto,
    /// No user namespace: the caller's own identity and privileges (needs root to create the
    /// other namespaces).
    Host,
    /// A new user namespace mapping the caller's effective uid and gid to `uid` and `gid`
    /// inside (one id each, setgroups denied) — `unshare -Ur` with `uid: 0`, bubblewrap's
    /// default with the caller's own ids. Needs no privilege.
    Rootless {
        /// The uid inside.
        uid: u32,
        /// The gid inside.
        gid: u32,
    },
    /// A new user namespace with explicit maps, written by the parent (wider maps need
    /// `CAP_SETUID`/`CAP_SETGID`, i.e. root), then `setresuid`/`setresgid` to `uid`/`gid`.
    Maps {
        /// The uid map.
        uid_map: Vec<IdMap>,
        /// The gid map.
        gid_map: Vec<IdMap>,
        /// Whether setgroups stays allowed.
        setgroups: SetGroups,
        /// The uid the command runs as, inside.
        uid: u32,
        /// The gid the command runs as, inside.
        gid: u32,
    },
}

/// Where one of the command's standard streams comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Stdio {
    /// The caller's own (the default).
    #[default]
    Inherit,
    /// The host's `/dev/null` (opened by the parent, so the root needs no /dev).
    Null,
    /// A descriptor of the caller; it must stay open until the spawn returns.
    Fd(RawFd),
}

/// The sandbox's environment: the caller's (read when the spec is planned), or empty, with
/// variables set and removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    pub(crate) clear: bool,
    pub(crate) set: Vec<(OsString, OsString)>,
    pub(crate) unset: Vec<OsString>,
}

/// How the sandbox's first process is created. [`CloneMode::Auto`] is right for everyone;
/// the others exist for benchmarks and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CloneMode {
    /// `Vfork` when the plan lets the child do everything alone (no PID namespace, no maps
    /// to be written by the parent, no archive to unpack), `Fork` otherwise.
    #[default]
    Auto,
    /// `clone(CLONE_VM|CLONE_VFORK)` on a separate stack, posix_spawn style: no page table
    /// copy, so a large parent spawns as fast as a small one.
    Vfork,
    /// `clone3` with a copy of the address space (copy-on-write), as `fork` does.
    Fork,
}

/// Everything a sandbox is made of. Build it with the chained methods, then call
/// [`Spec::plan`]. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub(crate) namespaces: Namespaces,
    pub(crate) root: Root,
    pub(crate) base: Base,
    pub(crate) mounts: Vec<MountEntry>,
    pub(crate) identity: Identity,
    pub(crate) hostname: Option<OsString>,
    pub(crate) env: Env,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) argv: Vec<OsString>,
    pub(crate) stdio: [Stdio; 3],
    pub(crate) pass_fds: Vec<(RawFd, RawFd)>,
    pub(crate) new_session: bool,
    pub(crate) no_new_privs: bool,
    pub(crate) restore_signals: bool,
    pub(crate) die_with_parent: bool,
    pub(crate) keep_old_root: Option<PathBuf>,
    pub(crate) clone_mode: CloneMode,
    pub(crate) propagation: RootPropagation,
    pub(crate) paused: bool,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec::new()
    }
}

impl Spec {
    /// A bare sandbox: a new mount namespace whose root is an empty tmpfs (as bubblewrap
    /// starts), rootless when the caller is not root, dying with its parent.
    pub fn new() -> Spec {
        Spec {
            namespaces: Namespaces::MOUNT,
            root: Root::default(),
            base: Base::Bare,
            mounts: Vec::new(),
            identity: Identity::Auto,
            hostname: None,
            env: Env::default(),
            cwd: None,
            argv: Vec::new(),
            stdio: [Stdio::Inherit; 3],
            pass_fds: Vec::new(),
            new_session: false,
            no_new_privs: false,
            restore_signals: true,
            die_with_parent: true,
            keep_old_root: None,
            clone_mode: CloneMode::Auto,
            propagation: RootPropagation::Slave,
            paused: false,
        }
    }

    /// A ready-to-use sandbox (what `mntns run` starts from): a tmpfs root with the host's
    /// `/usr` and `/etc` read-only, the `/bin`, `/lib*`, `/sbin` links or read-only binds the
    /// host has, a fresh `/proc` (with a PID namespace; the host's `/proc` bound otherwise), a
    /// minimal `/dev` and a tmpfs `/tmp`. Mounts added to the spec come after these; one on
    /// the same target replaces the default one.
    pub fn host() -> Spec {
        Spec::new().base(Base::Host)
    }

    /// What the sandbox has before its own mounts (default [`Base::Bare`] for
    /// [`Spec::new`], [`Base::Host`] for [`Spec::host`]).
    pub fn base(mut self, base: Base) -> Spec {
        self.base = base;
        self
    }

    /// The base (see [`Spec::base`]).
    pub fn get_base(&self) -> Base {
        self.base
    }

    /// Adds namespaces besides the mount namespace (which every sandbox has): `USER`, `PID`,
    /// `UTS`, `IPC`, `NET`, `CGROUP`, `TIME`.
    pub fn namespaces(mut self, namespaces: Namespaces) -> Spec {
        self.namespaces |= namespaces | Namespaces::MOUNT;
        self
    }

    /// The root: a tmpfs (default), a directory or a tar archive.
    pub fn root(mut self, root: Root) -> Spec {
        self.root = root;
        self
    }

    /// Adds a mount entry (applied in order after the root is made).
    pub fn mount(mut self, entry: MountEntry) -> Spec {
        self.mounts.push(entry);
        self
    }

    /// Adds a tmpfs at `target` inside the root.
    pub fn tmpfs(self, target: impl Into<PathBuf>, options: TmpfsOptions) -> Spec {
        self.mount(MountEntry::Tmpfs {
            target: target.into(),
            options,
        })
    }

    /// Binds the host's `source` at `target` (recursively, read-write).
    pub fn bind(self, source: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Spec {
        self.mount(MountEntry::Bind {
            source: source.into(),
            target: target.into(),
            readonly: false,
            recursive: true,
            flags: MountFlags::empty(),
        })
    }

    /// Binds the host's `source` at `target`, read-only on every submount.
    pub fn ro_bind(self, source: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Spec {
        self.mount(MountEntry::Bind {
            source: source.into(),
            target: target.into(),
            readonly: true,
            recursive: true,
            flags: MountFlags::empty(),
        })
    }

    /// Mounts a new proc filesystem at `target`.
    pub fn proc(self, target: impl Into<PathBuf>) -> Spec {
        self.mount(MountEntry::Proc {
            target: target.into(),
        })
    }

    /// Makes a minimal /dev at `target`.
    pub fn dev(self, target: impl Into<PathBuf>) -> Spec {
        self.mount(MountEntry::Dev {
            target: target.into(),
        })
    }

    /// Creates a directory (mode 0755) at `target`.
    pub fn dir(self, target: impl Into<PathBuf>) -> Spec {
        self.mount(MountEntry::Dir {
            target: target.into(),
            mode: 0o755,
        })
    }

    /// Creates a symlink at `target` pointing to `link`.
    pub fn symlink(self, link: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Spec {
        self.mount(MountEntry::Symlink {
            link: link.into(),
            target: target.into(),
        })
    }

    /// Creates a file (mode 0644) at `target` with `contents`.
    pub fn file(self, target: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) -> Spec {
        self.mount(MountEntry::File {
            target: target.into(),
            contents: contents.into(),
            mode: 0o644,
        })
    }

    /// Who the command runs as (default [`Identity::Auto`]).
    pub fn identity(mut self, identity: Identity) -> Spec {
        self.identity = identity;
        self
    }

    /// The hostname inside (adds a UTS namespace, so the host's is never changed).
    pub fn hostname(mut self, name: impl Into<OsString>) -> Spec {
        self.hostname = Some(name.into());
        self
    }

    /// Starts from an empty environment instead of the caller's.
    pub fn env_clear(mut self) -> Spec {
        self.env.clear = true;
        self.env.set.clear();
        self
    }

    /// Sets a variable.
    pub fn setenv(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Spec {
        let key = key.into();
        self.env.unset.retain(|k| *k != key);
        self.env.set.retain(|(k, _)| *k != key);
        self.env.set.push((key, value.into()));
        self
    }

    /// Removes a variable.
    pub fn unsetenv(mut self, key: impl Into<OsString>) -> Spec {
        let key = key.into();
        self.env.set.retain(|(k, _)| *k != key);
        self.env.unset.push(key);
        self
    }

    /// The working directory inside the root (default `/`).
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Spec {
        self.cwd = Some(dir.into());
        self
    }

    /// The command and its arguments; `argv[0]` without a `/` is looked up in the sandbox's
    /// `PATH` (inside the new root).
    pub fn command<I, S>(mut self, argv: I) -> Spec
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.argv = argv.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }

    /// Where stdin comes from (default: inherited).
    pub fn stdin(mut self, stdio: Stdio) -> Spec {
        self.stdio[0] = stdio;
        self
    }

    /// Where stdout goes (default: inherited).
    pub fn stdout(mut self, stdio: Stdio) -> Spec {
        self.stdio[1] = stdio;
        self
    }

    /// Where stderr goes (default: inherited).
    pub fn stderr(mut self, stdio: Stdio) -> Spec {
        self.stdio[2] = stdio;
        self
    }

    /// Passes the caller's descriptor `fd` to the command as descriptor `target` (≥ 3). Every
    /// other descriptor but 0, 1 and 2 is closed in the sandbox.
    pub fn pass_fd(mut self, fd: RawFd, target: RawFd) -> Spec {
        self.pass_fds.push((fd, target));
        self
    }

    /// Starts the command in a new session (`setsid`), detached from the caller's terminal.
    pub fn new_session(mut self, yes: bool) -> Spec {
        self.new_session = yes;
        self
    }

    /// Sets `PR_SET_NO_NEW_PRIVS`: setuid binaries and file capabilities grant nothing.
    pub fn no_new_privs(mut self, yes: bool) -> Spec {
        self.no_new_privs = yes;
        self
    }

    /// Sets SIGPIPE and SIGXFSZ back to their default action in the command, on by default.
    ///
    /// A signal the caller ignores stays ignored across `exec`, and language runtimes
    /// ignore these two for themselves: Rust ignores SIGPIPE, Python SIGPIPE and SIGXFSZ.
    /// Without the reset, a command spawned from such a program would see `EPIPE` where
    /// a shell pipeline expects it to die (`yes | head -1` printing "Broken pipe"). This is
    /// what Rust's `Command` and Python's `subprocess` (`restore_signals=True`) do. Other
    /// ignored signals (`nohup`'s SIGHUP) are inherited either way, and handled ones always
    /// start at their default.
    pub fn restore_signals(mut self, yes: bool) -> Spec {
        self.restore_signals = yes;
        self
    }

    /// Kills the sandbox when the thread that spawned it exits (`PR_SET_PDEATHSIG`, on by
    /// default). The kernel ties this to the spawning *thread*: spawn from a thread that
    /// lives as long as the sandbox should.
    pub fn die_with_parent(mut self, yes: bool) -> Spec {
        self.die_with_parent = yes;
        self
    }

    /// Keeps the old root mounted at `path` inside the new root instead of detaching it.
    pub fn keep_old_root(mut self, path: impl Into<PathBuf>) -> Spec {
        self.keep_old_root = Some(path.into());
        self
    }

    /// How `/` is made non-shared before anything is mounted (default rslave).
    pub fn root_propagation(mut self, propagation: RootPropagation) -> Spec {
        self.propagation = propagation;
        self
    }

    /// Stops the sandbox once it is set up, just before the command runs: `spawn` returns a
    /// [`Child`](crate::Child) that waits for [`Child::resume`](crate::Child::resume). Its
    /// namespaces can be looked at, joined or reported meanwhile (what `mntns run
    /// --json-status-fd` does), however quickly the command would exit. Uses the clone3
    /// (fork) path.
    pub fn start_paused(mut self, yes: bool) -> Spec {
        self.paused = yes;
        self
    }

    /// How the first process is created (default [`CloneMode::Auto`]).
    pub fn clone_mode(mut self, mode: CloneMode) -> Spec {
        self.clone_mode = mode;
        self
    }

    /// The mount entries, in order, without the host defaults.
    pub fn mounts(&self) -> &[MountEntry] {
        &self.mounts
    }

    /// Validates everything and compiles the spec into a [`Plan`](crate::Plan): every path,
    /// option string, id map and environment string built once, so running it needs no
    /// allocation.
    ///
    /// # Errors
    /// `EINVAL` naming the argument for bad input (NUL bytes, relative or escaping targets,
    /// two mounts on one target, bad sizes, bad id maps, a hostname over 64 bytes…);
    /// `ENOENT`/`ENOTDIR`/`EACCES` naming a root or bind source that is missing or not
    /// usable; `ENAMETOOLONG`. Nothing is created before these checks pass.
    pub fn plan(&self) -> Result<crate::Plan> {
        crate::plan::compile(self)
    }
}

/// Checks a path that names something inside the new root: absolute, no NUL, no `..`, not
/// the root itself, within PATH_MAX. Returns its components.
pub(crate) fn inside_components(path: &Path, what: &'static str) -> Result<Vec<OsString>> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        return Err(Error::invalid(what, "path contains a NUL byte").with_path(path));
    }
    if !path.is_absolute() {
        return Err(Error::invalid(
            what,
            "paths inside the sandbox must be absolute (they are resolved in the new root)",
        )
        .with_path(path));
    }
    if bytes.len() >= libc::PATH_MAX as usize {
        return Err(Error::new(what, crate::Errno::ENAMETOOLONG)
            .with_path(path)
            .with_hint(format!(
                "the path is {} bytes; PATH_MAX is {}",
                bytes.len(),
                libc::PATH_MAX
            )));
    }
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => {
                if n.len() > 255 {
                    return Err(Error::new(what, crate::Errno::ENAMETOOLONG)
                        .with_path(path)
                        .with_hint("a path component is longer than NAME_MAX (255)"));
                }
                out.push(n.to_owned());
            }
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::invalid(
                    what,
                    "\"..\" is not allowed in paths inside the sandbox",
                )
                .with_path(path));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(what, "the path names the root itself").with_path(path));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_paths() {
        let c = inside_components(Path::new("/a/./b//c/"), "t").unwrap();
        assert_eq!(c, vec![OsString::from("a"), "b".into(), "c".into()]);
        for bad in ["a/b", "/a/../b", "/", "/a\0b", ""] {
            assert!(inside_components(Path::new(bad), "t").is_err(), "{bad:?}");
        }
        let long = format!("/{}", "x".repeat(256));
        let e = inside_components(Path::new(&long), "t").unwrap_err();
        assert_eq!(e.errno(), crate::Errno::ENAMETOOLONG);
    }

    #[test]
    fn env_set_and_unset_replace_each_other() {
        let s = Spec::new()
            .setenv("A", "1")
            .unsetenv("A")
            .setenv("B", "2")
            .setenv("B", "3");
        assert_eq!(s.env.set, vec![(OsString::from("B"), OsString::from("3"))]);
        assert_eq!(s.env.unset, vec![OsString::from("A")]);
    }

    #[test]
    fn namespaces_always_include_mount() {
        let s = Spec::new().namespaces(Namespaces::PID);
        assert!(s.namespaces.contains(Namespaces::MOUNT | Namespaces::PID));
    }
}
