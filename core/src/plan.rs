//! A [`Spec`] compiled into a flat list of steps with every byte pre-built: paths as
//! `CString`s (each target with all its parent prefixes, for creating them inside the root),
//! mount option strings, id-map lines, the environment. Running a plan (the `exec` module)
//! then needs no allocation, no locks and no environment reads — only system calls — which
//! is what makes spawning safe from threaded hosts.
//!
//! A plan prints as the numbered steps a person would type by hand (`mntns run --explain`).

use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Errno, Error, Result, hints};
use crate::idmap::{self, IdMap, SetGroups};
use crate::mount::{MountFlags, TmpfsOptions};
use crate::ns::Namespaces;
use crate::pivot::RootPropagation;
use crate::spec::{
    Base, CloneMode, HOST_NAME_MAX, Identity, MountEntry, Root, Spec, Stdio, inside_components,
};

/// Where the root is assembled before the pivot: a directory that exists on every system,
/// over which the root tmpfs is mounted *in the sandbox's own namespace* (bind sources were
/// opened before, so a source under it stays reachable).
const STAGING_CANDIDATES: &[&str] = &["/tmp", "/mnt", "/run", "/var/tmp"];

/// Devices the minimal /dev binds from the host (those the host has).
const DEV_NODES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// The host's device nodes among [`DEV_NODES`] (a container may lack /dev/tty, say).
fn host_dev_nodes() -> impl Iterator<Item = PathBuf> {
    DEV_NODES
        .iter()
        .map(|n| Path::new("/dev").join(n))
        .filter(|p| p.exists())
}

/// How the first process is created, resolved from [`CloneMode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Vfork,
    Fork,
}

/// A mount target inside the new root, pre-built: every prefix of its parent (`a`, `a/b`)
/// for creating missing directories, the parent, the full path and the last component.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// `a`, `a/b`, … up to and including the parent of the target (empty for `/x`).
    pub(crate) prefixes: Vec<CString>,
    /// Each component of the parent, matching `prefixes` (for `mkdirat`).
    pub(crate) names: Vec<CString>,
    /// The whole path relative to the root (`a/b/c`).
    pub(crate) full: CString,
    /// The last component (`c`).
    pub(crate) name: CString,
    /// Refuse any symlink on the way (`/proc` and `/dev` must be real directories of the
    /// root, or a mount there could be steered by the root's contents).
    pub(crate) strict: bool,
}

/// What a target must be when it has to be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetKind {
    Dir,
    /// Like the bind source in slot `n` (a directory or a file).
    LikeSource(usize),
}

/// Descriptor slots the child fills: slot 0 is the new root, the others bind sources.
pub(crate) const ROOT_SLOT: usize = 0;

/// One step run in the child (or, for [`crate::Plan::enter`], in the caller).
#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// Wait for the parent's go-ahead (maps written, archive unpacked).
    WaitParent,
    /// Tell the parent the sandbox has reached this point (the staging root is ready to be
    /// filled; or, paused, everything but the command is ready); a `WaitParent` follows.
    ReportReady,
    /// Write a `/proc/self` file (`setgroups`, `uid_map`, `gid_map`).
    WriteProcFile { path: CString, data: Vec<u8> },
    /// `sethostname`.
    SetHostname { name: CString },
    /// `mount --make-r{slave,private} /`.
    RootPropagation { flags: libc::c_ulong },
    /// Open a bind source with `O_PATH` into a slot (before the staging root hides it).
    OpenSource { path: CString, slot: usize },
    /// Mount the root tmpfs over the staging directory and open it (slot 0).
    MountRootTmpfs {
        staging: CString,
        data: CString,
        flags: libc::c_ulong,
    },
    /// Bind a directory root onto itself and open it (slot 0).
    BindRootDir { dir: CString },
    /// Mount a tmpfs on a target.
    Tmpfs {
        target: Target,
        data: CString,
        flags: libc::c_ulong,
    },
    /// Bind the source in `slot` onto a target.
    Bind {
        slot: usize,
        target: Target,
        recursive: bool,
        readonly: bool,
        flags: MountFlags,
        /// Mount points under the bind, relative to the root, for the read-only fallback on
        /// kernels without mount_setattr (computed only there).
        submounts: Vec<CString>,
    },
    /// Mount a new proc.
    Proc { target: Target },
    /// Mount a new devpts instance.
    Devpts { target: Target, data: CString },
    /// Create a directory (and its parents).
    Dir { target: Target, mode: u32 },
    /// Create a symlink.
    Symlink { target: Target, link: CString },
    /// Create a file with contents.
    File {
        target: Target,
        contents: Vec<u8>,
        mode: u32,
    },
    /// Switch root; keep the old root at a path or detach it.
    PivotRoot { old_root: Option<CString> },
    /// `setresgid`/`setresuid` inside the user namespace (and `setgroups(0, NULL)` when
    /// allowed).
    SetIds {
        uid: u32,
        gid: u32,
        drop_groups: bool,
    },
    /// `chdir` to the working directory.
    Chdir { dir: CString },
}

impl Op {
    /// The target inside the new root this step creates or mounts on, if it has one.
    fn target(&self) -> Option<&Target> {
        match self {
            Op::Tmpfs { target, .. }
            | Op::Bind { target, .. }
            | Op::Proc { target }
            | Op::Devpts { target, .. }
            | Op::Dir { target, .. }
            | Op::Symlink { target, .. }
            | Op::File { target, .. } => Some(target),
            _ => None,
        }
    }
}

/// A step: what to do, and how to say it.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub(crate) op: Op,
    /// The failing step as an error names it ("bind /usr onto").
    pub(crate) step: String,
    /// The path it concerns.
    pub(crate) path: Option<PathBuf>,
    /// How a person would type it (`--explain`).
    pub(crate) shell: String,
}

/// The steps after the plan's own, each identified in failure records by
/// `steps.len() + the variant's value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Late {
    /// Move the caller's descriptors into place (stdio, passed fds).
    Fds = 0,
    /// Mark every other descriptor close-on-exec.
    CloseFds = 1,
    /// `setsid`.
    Session = 2,
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs = 3,
    /// `PR_SET_PDEATHSIG`.
    DeathSignal = 4,
    /// The parent died before the death signal was armed.
    ParentGone = 5,
    /// Fork the command from the PID namespace's init.
    ForkCommand = 6,
    /// Signal dispositions and mask.
    Signals = 7,
    /// `execve`.
    Exec = 8,
}

impl Late {
    pub(crate) const ALL: [Late; 9] = [
        Late::Fds,
        Late::CloseFds,
        Late::Session,
        Late::NoNewPrivs,
        Late::DeathSignal,
        Late::ParentGone,
        Late::ForkCommand,
        Late::Signals,
        Late::Exec,
    ];
}

/// Maps the parent writes for the child (explicit, privileged maps).
#[derive(Clone, Debug)]
pub(crate) struct ParentMaps {
    pub(crate) uid: Vec<IdMap>,
    pub(crate) gid: Vec<IdMap>,
    pub(crate) setgroups: SetGroups,
}

/// A validated, compiled sandbox: spawn it as many times as you like, from any thread.
/// [`fmt::Display`] prints the numbered steps (`mntns run --explain`).
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) namespaces: Namespaces,
    pub(crate) mode: Mode,
    pub(crate) steps: Vec<Step>,
    pub(crate) slots: usize,
    pub(crate) parent_maps: Option<ParentMaps>,
    pub(crate) tar: Option<PathBuf>,
    pub(crate) staging: Option<PathBuf>,
    pub(crate) argv: Vec<CString>,
    pub(crate) env: Vec<CString>,
    pub(crate) path_dirs: Vec<Vec<u8>>,
    pub(crate) stdio: [Stdio; 3],
    pub(crate) pass_fds: Vec<(RawFd, RawFd)>,
    pub(crate) new_session: bool,
    pub(crate) no_new_privs: bool,
    pub(crate) restore_signals: bool,
    pub(crate) die_with_parent: bool,
    pub(crate) rootless: bool,
    pub(crate) paused: bool,
}

impl Plan {
    /// The namespaces the sandbox gets.
    pub fn namespaces(&self) -> Namespaces {
        self.namespaces
    }

    /// Whether the sandbox runs in a user namespace of its own.
    pub fn has_user_namespace(&self) -> bool {
        self.namespaces.contains(Namespaces::USER)
    }

    /// Whether spawning uses the vfork-style path (no copy of the caller's page tables).
    pub fn uses_vfork(&self) -> bool {
        self.mode == Mode::Vfork
    }

    /// The error for a failure record `{step, errno}` from the child.
    pub(crate) fn failure(&self, step: u32, errno: Errno, launch_argv0: &OsStr) -> Error {
        let n = self.steps.len() as u32;
        if let Some(s) = self.steps.get(step as usize) {
            let mut e = Error::new(s.step.clone(), errno);
            if let Some(p) = &s.path {
                e = e.with_path(p);
            }
            return e.or_hint(|| step_hint(&s.op, errno, self.rootless));
        }
        let late = step
            .checked_sub(n)
            .and_then(|i| Late::ALL.get(i as usize))
            .copied();
        let Some(late) = late else {
            return Error::new(format!("sandbox step {step}"), errno);
        };
        let name = match late {
            Late::Fds => "set up the command's descriptors",
            Late::CloseFds => "close the caller's other descriptors",
            Late::Session => "setsid",
            Late::NoNewPrivs => "prctl(PR_SET_NO_NEW_PRIVS)",
            Late::DeathSignal => "prctl(PR_SET_PDEATHSIG)",
            Late::ParentGone => "check the parent",
            Late::ForkCommand => "fork the command from the sandbox's init",
            Late::Signals => "reset signal handlers",
            Late::Exec => "exec",
        };
        let mut e = Error::new(name, errno);
        match late {
            Late::Exec => {
                e = e.with_path(launch_argv0);
                if errno == Errno::ENOENT {
                    let path = self
                        .env
                        .iter()
                        .find_map(|v| v.as_bytes().strip_prefix(b"PATH="))
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .unwrap_or_else(|| DEFAULT_PATH.to_owned());
                    e = e.with_hint(format!(
                        "command not found in the sandbox's root (PATH={path}); the root must \
                         contain the command and, for a dynamic executable, its loader and \
                         libraries"
                    ));
                } else if errno == Errno::EACCES {
                    e = e.with_hint("the command is not executable, or its directory not searchable, inside the sandbox");
                } else if errno == Errno::ENOEXEC {
                    e = e.with_hint("not an executable format the kernel knows");
                }
            }
            Late::ParentGone => {
                e = e.with_hint("the parent exited before the sandbox could tie itself to it")
            }
            Late::CloseFds if errno == Errno::EMFILE => {
                e = e.with_hint("too many open files (RLIMIT_NOFILE)")
            }
            Late::Fds if errno == Errno::EBADF => {
                e = e.with_hint("a descriptor given for stdio or to pass is not open")
            }
            _ => {}
        }
        e
    }
}

/// The PATH used when the sandbox's environment has none (what execvp uses).
pub(crate) const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

fn step_hint(op: &Op, errno: Errno, rootless: bool) -> Option<String> {
    if errno == Errno::ENOSPC {
        return hints::mount_limit(errno);
    }
    match op {
        Op::Proc { target } | Op::Tmpfs { target, .. }
            if target.strict && errno == Errno::ELOOP =>
        {
            Some(
                "the root has a symlink on the way to this /proc or /dev mount point; libmntns \
                 refuses to mount them through a symlink (make it a real directory)"
                    .to_owned(),
            )
        }
        Op::Proc { .. } if errno == Errno::EPERM => Some(
            "a new proc needs CAP_SYS_ADMIN over the sandbox's PID namespace: add \
             Namespaces::PID (--unshare pid), or bind the host's /proc"
                .to_owned(),
        ),
        Op::Proc { .. } | Op::Devpts { .. } if errno == Errno::EPERM || errno == Errno::EBUSY => {
            None
        }
        Op::Bind { .. } if errno == Errno::EPERM && rootless => Some(
            "flags locked by the parent namespace cannot be cleared in a user namespace".to_owned(),
        ),
        Op::Tmpfs { .. } | Op::MountRootTmpfs { .. } if errno == Errno::EINVAL => Some(
            "the kernel refused the tmpfs options (noswap is allowed only outside user namespaces)"
                .to_owned(),
        ),
        Op::OpenSource { .. } if errno == Errno::ENOENT => {
            Some("the bind source does not exist".to_owned())
        }
        Op::WriteProcFile { .. } if errno == Errno::EPERM => Some(
            "the id map was refused: an unprivileged caller may map only its own uid and gid"
                .to_owned(),
        ),
        Op::SetHostname { .. } if errno == Errno::EPERM => {
            Some("setting the hostname needs a UTS namespace of the sandbox's own".to_owned())
        }
        Op::PivotRoot { .. } if errno == Errno::EINVAL || errno == Errno::EBUSY => Some(
            "pivot_root refused the assembled root (shared propagation or not a mount point)"
                .to_owned(),
        ),
        op if op.target().is_some() && (errno == Errno::ELOOP || errno == Errno::EXDEV) => {
            Some("the target resolves through a symlink the sandbox refuses".to_owned())
        }
        op if op.target().is_some() && errno == Errno::EROFS => Some(
            "the directory that should hold the target is read-only (e.g. inside a read-only \
             bind): mount a tmpfs there first or pick another target"
                .to_owned(),
        ),
        _ if errno == Errno::EPERM => hints::mount_eperm(errno),
        _ => None,
    }
}

impl fmt::Display for Plan {
    /// The numbered steps, as a person would do them by hand.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = 0;
        let mut line = |f: &mut fmt::Formatter<'_>, text: &str| -> fmt::Result {
            n += 1;
            writeln!(f, "{n:>3}. {text}")
        };
        let mut clone = format!("clone({})", flag_names(self.namespaces));
        clone.push_str(match self.mode {
            Mode::Vfork => "   # CLONE_VM|CLONE_VFORK: no copy of the caller's memory",
            Mode::Fork => "   # copy-on-write child",
        });
        line(f, &clone)?;
        if let Some(maps) = &self.parent_maps {
            let uid = maps.uid.iter().map(|m| m.to_string()).collect::<Vec<_>>();
            let gid = maps.gid.iter().map(|m| m.to_string()).collect::<Vec<_>>();
            line(
                f,
                &format!(
                    "parent: write uid_map \"{}\", gid_map \"{}\"{}",
                    uid.join("\\n"),
                    gid.join("\\n"),
                    if maps.setgroups == SetGroups::Deny {
                        ", setgroups \"deny\""
                    } else {
                        ""
                    }
                ),
            )?;
        }
        let mut readies = 0;
        for s in &self.steps {
            if matches!(s.op, Op::ReportReady) {
                readies += 1;
                if self.paused && (self.tar.is_none() || readies == 2) {
                    line(
                        f,
                        "pause: spawn returns here; Child::resume() runs the command",
                    )?;
                    continue;
                }
                if let Some(tar) = &self.tar {
                    line(
                        f,
                        &format!(
                            "parent: tar -C {} -xf {}   # confined to the new root",
                            self.staging.as_deref().unwrap_or(Path::new("?")).display(),
                            tar.display()
                        ),
                    )?;
                }
                continue;
            }
            if matches!(s.op, Op::WaitParent) {
                continue;
            }
            line(f, &s.shell)?;
        }
        if self.die_with_parent {
            line(
                f,
                "prctl(PR_SET_PDEATHSIG, SIGKILL)   # die with the spawning thread",
            )?;
        }
        if self.new_session {
            line(f, "setsid")?;
        }
        if self.no_new_privs {
            line(f, "prctl(PR_SET_NO_NEW_PRIVS, 1)")?;
        }
        line(f, "close every descriptor but 0, 1, 2 and the passed ones")?;
        if self.restore_signals {
            line(
                f,
                "signal(SIGPIPE and SIGXFSZ, SIG_DFL)   # runtimes ignore them; exec would keep that",
            )?;
        }
        if self.namespaces.contains(Namespaces::PID) {
            line(
                f,
                "fork: pid 1 stays as init (reaps, forwards SIGTERM/SIGINT/SIGHUP)",
            )?;
        }
        let argv: Vec<String> = self
            .argv
            .iter()
            .map(|a| shell_quote(OsStr::from_bytes(a.as_bytes())))
            .collect();
        line(
            f,
            &format!(
                "exec {}",
                if argv.is_empty() {
                    "COMMAND".to_owned()
                } else {
                    argv.join(" ")
                }
            ),
        )
    }
}

fn flag_names(ns: Namespaces) -> String {
    let names: Vec<&str> = ns
        .kinds()
        .map(|k| match k {
            crate::NsKind::Mount => "CLONE_NEWNS",
            crate::NsKind::Uts => "CLONE_NEWUTS",
            crate::NsKind::Ipc => "CLONE_NEWIPC",
            crate::NsKind::Pid => "CLONE_NEWPID",
            crate::NsKind::Net => "CLONE_NEWNET",
            crate::NsKind::User => "CLONE_NEWUSER",
            crate::NsKind::Cgroup => "CLONE_NEWCGROUP",
            crate::NsKind::Time => "CLONE_NEWTIME",
        })
        .collect();
    names.join("|")
}

/// Quotes a word for the explain output the way a shell would need it.
pub(crate) fn shell_quote(s: &OsStr) -> String {
    let text = s.to_string_lossy();
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-=+:,%@".contains(&b));
    if safe {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// ` -o DATA,FLAGS` as `mount(8)` takes it, or nothing.
fn mount_o(data: &str, flags: MountFlags) -> String {
    let mut all: Vec<&str> = data.split(',').filter(|s| !s.is_empty()).collect();
    for name in flags.names() {
        all.push(name);
    }
    if all.is_empty() {
        String::new()
    } else {
        format!(" -o {}", all.join(","))
    }
}

fn show(p: &Path) -> String {
    shell_quote(p.as_os_str())
}

fn cstring(bytes: &[u8], what: &'static str, path: &Path) -> Result<CString> {
    CString::new(bytes).map_err(|_| Error::invalid(what, "contains a NUL byte").with_path(path))
}

fn target(path: &Path, what: &'static str) -> Result<Target> {
    let comps = inside_components(path, what)?;
    let mut prefixes = Vec::with_capacity(comps.len());
    let mut names = Vec::with_capacity(comps.len());
    let mut acc: Vec<u8> = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        if i > 0 {
            acc.push(b'/');
        }
        acc.extend_from_slice(c.as_bytes());
        if i + 1 < comps.len() {
            prefixes.push(cstring(&acc, what, path)?);
            names.push(cstring(c.as_bytes(), what, path)?);
        }
    }
    let name = comps
        .last()
        .expect("inside_components returns at least one");
    Ok(Target {
        prefixes,
        names,
        full: cstring(&acc, what, path)?,
        name: cstring(name.as_bytes(), what, path)?,
        strict: false,
    })
}

/// `Spec::plan`: validate and compile.
pub(crate) fn compile(spec: &Spec) -> Result<Plan> {
    let mut c = Compiler::new(spec)?;
    c.identity()?;
    c.hostname()?;
    c.propagation();
    let entries = c.entries()?;
    c.open_sources(&entries)?;
    c.root()?;
    for e in &entries {
        c.entry(e)?;
    }
    c.pivot()?;
    c.finish_identity();
    c.cwd()?;
    c.pause();
    c.into_plan()
}

struct Compiler<'s> {
    spec: &'s Spec,
    namespaces: Namespaces,
    steps: Vec<Step>,
    slots: usize,
    /// Bind-source path → slot.
    sources: Vec<(PathBuf, usize)>,
    parent_maps: Option<ParentMaps>,
    set_ids: Option<(u32, u32)>,
    rootless: bool,
    staging: Option<PathBuf>,
}

impl<'s> Compiler<'s> {
    fn new(spec: &'s Spec) -> Result<Compiler<'s>> {
        Ok(Compiler {
            spec,
            namespaces: spec.namespaces | Namespaces::MOUNT,
            steps: Vec::new(),
            slots: 1,
            sources: Vec::new(),
            parent_maps: None,
            set_ids: None,
            rootless: false,
            staging: None,
        })
    }

    fn push(&mut self, op: Op, step: impl Into<String>, path: Option<&Path>, shell: String) {
        self.steps.push(Step {
            op,
            step: step.into(),
            path: path.map(Path::to_path_buf),
            shell,
        });
    }

    /// The user namespace and maps: written by the child itself when they map only the
    /// caller (no privilege needed), by the parent otherwise.
    fn identity(&mut self) -> Result<()> {
        // SAFETY: geteuid/getegid have no preconditions.
        let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let identity = match &self.spec.identity {
            Identity::Auto if euid == 0 && !self.namespaces.contains(Namespaces::USER) => {
                Identity::Host
            }
            Identity::Auto => Identity::Rootless { uid: 0, gid: 0 },
            other => other.clone(),
        };
        match identity {
            Identity::Auto => unreachable!("resolved above"),
            Identity::Host => {
                if self.namespaces.contains(Namespaces::USER) {
                    return Err(Error::invalid(
                        "sandbox identity",
                        "Identity::Host keeps the caller's identity, which contradicts a new \
                         user namespace; use Identity::Rootless or Identity::Maps",
                    ));
                }
                if euid != 0 {
                    return Err(Error::new("sandbox identity", Errno::EPERM).with_hint(
                        "creating namespaces without a user namespace needs root; use \
                         Identity::Auto or Identity::Rootless",
                    ));
                }
            }
            Identity::Rootless { uid, gid } => {
                self.namespaces |= Namespaces::USER;
                self.rootless = true;
                let uid_map = format!("{uid} {euid} 1");
                let gid_map = format!("{gid} {egid} 1");
                for (name, data) in [
                    ("setgroups", "deny".to_owned()),
                    ("uid_map", uid_map),
                    ("gid_map", gid_map),
                ] {
                    let path = format!("/proc/self/{name}");
                    self.push(
                        Op::WriteProcFile {
                            path: CString::new(path.clone()).expect("no NUL"),
                            data: data.clone().into_bytes(),
                        },
                        format!("write {name}"),
                        Some(Path::new(&path)),
                        format!("echo '{data}' > {path}"),
                    );
                }
            }
            Identity::Maps {
                uid_map,
                gid_map,
                setgroups,
                uid,
                gid,
            } => {
                idmap::validate(&uid_map, "uid map")?;
                idmap::validate(&gid_map, "gid map")?;
                let inside = |maps: &[IdMap], id: u32| {
                    maps.iter().any(|m| {
                        id >= m.inside && u64::from(id) < u64::from(m.inside) + u64::from(m.count)
                    })
                };
                if !inside(&uid_map, uid) || !inside(&gid_map, gid) {
                    return Err(Error::invalid(
                        "sandbox identity",
                        format!("uid {uid} or gid {gid} is not mapped by the given maps"),
                    ));
                }
                if !inside(&uid_map, 0) || !inside(&gid_map, 0) {
                    return Err(Error::invalid(
                        "sandbox identity",
                        "the maps must map uid 0 and gid 0 inside: the sandbox is set up as root \
                         of its user namespace, then switches to the requested uid and gid",
                    ));
                }
                self.namespaces |= Namespaces::USER;
                self.rootless = euid != 0;
                self.parent_maps = Some(ParentMaps {
                    uid: uid_map,
                    gid: gid_map,
                    setgroups,
                });
                self.push(
                    Op::WaitParent,
                    "wait for the parent to write the id maps",
                    None,
                    String::new(),
                );
                // The caller's own ids may be unmapped in the new namespace (files could not
                // be created: EOVERFLOW): become root of the namespace for the setup.
                self.push(
                    Op::SetIds {
                        uid: 0,
                        gid: 0,
                        drop_groups: setgroups == SetGroups::Allow,
                    },
                    "become root of the sandbox's user namespace",
                    None,
                    "setpriv --reuid=0 --regid=0".to_owned(),
                );
                self.set_ids = Some((uid, gid));
            }
        }
        Ok(())
    }

    fn hostname(&mut self) -> Result<()> {
        let Some(name) = &self.spec.hostname else {
            return Ok(());
        };
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > HOST_NAME_MAX || bytes.contains(&0) {
            return Err(Error::invalid(
                "hostname",
                format!("{name:?} must be 1 to {HOST_NAME_MAX} bytes without NUL (HOST_NAME_MAX)"),
            ));
        }
        self.namespaces |= Namespaces::UTS;
        let shown = shell_quote(name);
        self.push(
            Op::SetHostname {
                name: CString::new(bytes).expect("checked"),
            },
            "sethostname",
            None,
            format!("hostname {shown}"),
        );
        Ok(())
    }

    fn propagation(&mut self) {
        let (flags, word) = match self.spec.propagation {
            RootPropagation::Slave => (libc::MS_SLAVE, "rslave"),
            RootPropagation::Private => (libc::MS_PRIVATE, "rprivate"),
        };
        self.push(
            Op::RootPropagation {
                flags: flags | libc::MS_REC,
            },
            format!("make / {word}"),
            Some(Path::new("/")),
            format!("mount --make-{word} /   # nothing propagates back to the host"),
        );
    }

    /// The mount entries in order: the host defaults (minus those the caller replaced),
    /// then the caller's. Two of the caller's on one target are refused.
    fn entries(&mut self) -> Result<Vec<MountEntry>> {
        let user = &self.spec.mounts;
        for (i, a) in user.iter().enumerate() {
            for b in &user[i + 1..] {
                if normalized(a.target()) == normalized(b.target()) {
                    return Err(Error::invalid(
                        "sandbox mounts",
                        format!(
                            "two entries on one target {}: {a:?} and {b:?}",
                            a.target().display()
                        ),
                    )
                    .with_path(a.target()));
                }
            }
        }
        let mut out = Vec::new();
        if self.spec.base != Base::Bare {
            for d in base_entries(self.spec.base, self.namespaces)? {
                if !user
                    .iter()
                    .any(|u| normalized(u.target()) == normalized(d.target()))
                {
                    out.push(d);
                }
            }
        }
        out.extend(user.iter().cloned());
        Ok(out)
    }

    /// Opens every bind source first, in the sandbox's namespace before the staging root
    /// exists: `O_PATH`, once; the binds later use these descriptors.
    fn open_sources(&mut self, entries: &[MountEntry]) -> Result<()> {
        let mut wanted: Vec<PathBuf> = Vec::new();
        for e in entries {
            match e {
                MountEntry::Bind { source, .. } => wanted.push(source.clone()),
                MountEntry::Dev { .. } => wanted.extend(host_dev_nodes()),
                _ => {}
            }
        }
        for source in wanted {
            if self.sources.iter().any(|(p, _)| *p == source) {
                continue;
            }
            check_source(&source)?;
            let slot = self.slots;
            self.slots += 1;
            let c = cstring(source.as_os_str().as_bytes(), "bind source", &source)?;
            self.push(
                Op::OpenSource { path: c, slot },
                "open bind source",
                Some(&source),
                format!(
                    "exec {{fd{slot}}}<{}   # O_PATH, opened once",
                    show(&source)
                ),
            );
            self.sources.push((source, slot));
        }
        Ok(())
    }

    /// Whether the sandbox's user namespace will own the caller's PID namespace (a new proc
    /// of that PID namespace needs CAP_SYS_ADMIN over its owner).
    fn owns_pid_namespace(&self) -> bool {
        if self.rootless || self.parent_maps.is_some() {
            return false;
        }
        let owner = crate::NsFd::of_self(crate::NsKind::Pid).and_then(|p| p.owner());
        match (owner, crate::NsId::of_self(crate::NsKind::User)) {
            (Ok(owner), Ok(me)) => owner.id() == me,
            _ => false,
        }
    }

    fn slot_of(&self, source: &Path) -> usize {
        self.sources
            .iter()
            .find(|(p, _)| p == source)
            .map(|(_, s)| *s)
            .expect("every source was opened")
    }

    fn root(&mut self) -> Result<()> {
        match &self.spec.root {
            Root::Tmpfs(opts) => self.root_tmpfs(opts, false),
            Root::Tar { path, tmpfs } => {
                let meta = std::fs::metadata(path).map_err(|e| {
                    Error::new("open root archive", Errno::from(&e)).with_path(path)
                })?;
                if !meta.is_file() {
                    return Err(Error::new("open root archive", Errno::EINVAL)
                        .with_path(path)
                        .with_hint("the archive must be a regular file (tar or tar.gz)"));
                }
                self.root_tmpfs(tmpfs, true)
            }
            Root::Dir(dir) => {
                let meta = std::fs::metadata(dir)
                    .map_err(|e| Error::new("open root", Errno::from(&e)).with_path(dir))?;
                if !meta.is_dir() {
                    return Err(Error::new("open root", Errno::ENOTDIR)
                        .with_path(dir)
                        .with_hint("the root must be a directory"));
                }
                // Searchable by the caller? (EACCES must not turn into EPERM later.)
                let c = cstring(dir.as_os_str().as_bytes(), "root", dir)?;
                // SAFETY: c is NUL-terminated.
                if unsafe { libc::access(c.as_ptr(), libc::X_OK) } != 0 {
                    return Err(Error::last_os("open root").with_path(dir));
                }
                if !dir.is_absolute() {
                    return Err(Error::invalid(
                        "root",
                        "the root directory must be an absolute path",
                    )
                    .with_path(dir));
                }
                self.push(
                    Op::BindRootDir { dir: c },
                    "bind the root directory onto itself",
                    Some(dir),
                    format!("mount --rbind {0} {0}; cd {0}", show(dir)),
                );
                Ok(())
            }
        }
    }

    fn root_tmpfs(&mut self, opts: &TmpfsOptions, from_tar: bool) -> Result<()> {
        let data = opts.data()?;
        let staging = STAGING_CANDIDATES
            .iter()
            .map(Path::new)
            .find(|p| p.is_dir())
            .ok_or_else(|| {
                Error::new("choose a staging directory", Errno::ENOENT).with_hint(format!(
                    "none of {} exists; the new root is assembled over one of them in the \
                     sandbox's namespace",
                    STAGING_CANDIDATES.join(", ")
                ))
            })?;
        self.staging = Some(staging.to_path_buf());
        let flags = opts.mount_flags().bits() as libc::c_ulong;
        let shown_opts = mount_o(&data, opts.mount_flags());
        self.push(
            Op::MountRootTmpfs {
                staging: CString::new(staging.as_os_str().as_bytes()).expect("constant"),
                data: CString::new(data.clone()).expect("tmpfs data has no NUL"),
                flags,
            },
            "mount the root tmpfs on",
            Some(staging),
            format!(
                "mount -t tmpfs{shown_opts} tmpfs {0}; cd {0}   # the new root",
                staging.display()
            ),
        );
        if from_tar {
            self.push(
                Op::ReportReady,
                "hand the new root to the parent for unpacking",
                None,
                String::new(),
            );
            self.push(
                Op::WaitParent,
                "wait for the parent to unpack the root archive",
                None,
                String::new(),
            );
        }
        Ok(())
    }

    fn entry(&mut self, e: &MountEntry) -> Result<()> {
        match e {
            MountEntry::Tmpfs { target: t, options } => {
                let tg = target(t, "tmpfs target")?;
                let data = options.data()?;
                let shown_opts = mount_o(&data, options.mount_flags());
                self.push(
                    Op::Tmpfs {
                        target: tg,
                        data: CString::new(data.clone()).expect("no NUL"),
                        flags: options.mount_flags().bits() as libc::c_ulong,
                    },
                    "mount tmpfs on",
                    Some(t),
                    format!(
                        "mkdir -p .{0}; mount -t tmpfs{shown_opts} tmpfs .{0}",
                        show(t)
                    ),
                );
            }
            MountEntry::Bind {
                source,
                target: t,
                readonly,
                recursive,
                flags,
            } => {
                let tg = target(t, "bind target")?;
                let slot = self.slot_of(source);
                let submounts =
                    if *readonly && *recursive && !crate::sys::mount_api::has_mount_setattr() {
                        submounts_under(source, t)?
                    } else {
                        Vec::new()
                    };
                let mut opts: Vec<String> = Vec::new();
                if *readonly {
                    opts.push("ro".into());
                }
                opts.extend(flags.names().map(str::to_owned));
                self.push(
                    Op::Bind {
                        slot,
                        target: tg,
                        recursive: *recursive,
                        readonly: *readonly,
                        flags: *flags,
                        submounts,
                    },
                    format!("bind {} onto", source.display()),
                    Some(t),
                    format!(
                        "{mk} .{t}; mount --{r}bind{o} {s} .{t}",
                        mk = if source.is_dir() { "mkdir -p" } else { "touch" },
                        t = show(t),
                        r = if *recursive { "r" } else { "" },
                        o = if opts.is_empty() {
                            String::new()
                        } else {
                            format!(" -o {}", opts.join(","))
                        },
                        s = show(source),
                    ),
                );
            }
            MountEntry::Proc { target: t } => {
                if !self.namespaces.contains(Namespaces::PID) && !self.owns_pid_namespace() {
                    return Err(Error::invalid(
                        "proc",
                        "a new proc needs a PID namespace that the sandbox's user namespace \
                         owns: add Namespaces::PID (--unshare pid), or bind the host's /proc \
                         instead",
                    )
                    .with_path(t));
                }
                let mut tg = target(t, "proc target")?;
                tg.strict = true;
                self.push(
                    Op::Proc { target: tg },
                    "mount proc on",
                    Some(t),
                    format!(
                        "mkdir -p .{0}; mount -t proc -o nosuid,nodev,noexec proc .{0}",
                        show(t)
                    ),
                );
            }
            MountEntry::Dev { target: t } => self.dev(t)?,
            MountEntry::Dir { target: t, mode } => {
                check_mode(*mode, t)?;
                let tg = target(t, "directory")?;
                self.push(
                    Op::Dir {
                        target: tg,
                        mode: *mode,
                    },
                    "create directory",
                    Some(t),
                    format!("mkdir -p -m {mode:o} .{}", show(t)),
                );
            }
            MountEntry::Symlink { link, target: t } => {
                let tg = target(t, "symlink")?;
                let l = cstring(link.as_os_str().as_bytes(), "symlink target", link)?;
                if link.as_os_str().is_empty() {
                    return Err(Error::invalid("symlink", "the link text is empty").with_path(t));
                }
                self.push(
                    Op::Symlink {
                        target: tg,
                        link: l,
                    },
                    "create symlink",
                    Some(t),
                    format!("ln -s {} .{}", show(link), show(t)),
                );
            }
            MountEntry::File {
                target: t,
                contents,
                mode,
            } => {
                check_mode(*mode, t)?;
                let tg = target(t, "file")?;
                self.push(
                    Op::File {
                        target: tg,
                        contents: contents.clone(),
                        mode: *mode,
                    },
                    "create file",
                    Some(t),
                    format!(
                        "install -m {mode:o} /dev/stdin .{}   # {} bytes",
                        show(t),
                        contents.len()
                    ),
                );
            }
        }
        Ok(())
    }

    /// The minimal /dev: a tmpfs, host device nodes bound onto empty files, a devpts of its
    /// own with ptmx pointing into it, /dev/shm and the fd links.
    fn dev(&mut self, t: &Path) -> Result<()> {
        let opts = TmpfsOptions::parse("mode=755,nosuid,size=64k,nr_inodes=64")?;
        self.entry(&MountEntry::Tmpfs {
            target: t.to_path_buf(),
            options: opts,
        })?;
        if let Some(Step {
            op: Op::Tmpfs { target, .. },
            ..
        }) = self.steps.last_mut()
        {
            target.strict = true;
        }
        for source in host_dev_nodes() {
            let node = source.file_name().expect("a device name").to_owned();
            self.entry(&MountEntry::Bind {
                target: t.join(&node),
                source,
                readonly: false,
                recursive: false,
                flags: MountFlags::empty(),
            })?;
        }
        let pts = t.join("pts");
        // No gid=5 (tty): that group is not mapped in most user namespaces.
        let data = "newinstance,ptmxmode=0666,mode=620";
        self.push(
            Op::Devpts {
                target: target(&pts, "devpts target")?,
                data: CString::new(data).expect("constant"),
            },
            "mount devpts on",
            Some(&pts),
            format!(
                "mkdir -p .{0}; mount -t devpts -o {data} devpts .{0}",
                show(&pts)
            ),
        );
        self.entry(&MountEntry::Symlink {
            link: "pts/ptmx".into(),
            target: t.join("ptmx"),
        })?;
        self.entry(&MountEntry::Tmpfs {
            target: t.join("shm"),
            options: TmpfsOptions::parse("mode=1777,nosuid,nodev")?,
        })?;
        for (name, link) in [
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            self.entry(&MountEntry::Symlink {
                link: link.into(),
                target: t.join(name),
            })?;
        }
        Ok(())
    }

    fn pivot(&mut self) -> Result<()> {
        let old = match &self.spec.keep_old_root {
            Some(p) => {
                let comps = inside_components(&absolute(p), "old root path")?;
                let joined: Vec<u8> = comps
                    .iter()
                    .map(|c| c.as_bytes().to_vec())
                    .collect::<Vec<_>>()
                    .join(&b'/');
                Some(CString::new(joined).map_err(|_| {
                    Error::invalid("old root path", "contains a NUL byte").with_path(p)
                })?)
            }
            None => None,
        };
        let shell = match &old {
            Some(o) => format!(
                "mkdir -p {0}; pivot_root . {0}; cd /",
                shell_quote(OsStr::from_bytes(o.as_bytes()))
            ),
            None => "pivot_root . .; umount -l .; cd /   # the old root is gone".to_owned(),
        };
        let path = self.spec.keep_old_root.clone();
        self.push(
            Op::PivotRoot { old_root: old },
            "pivot_root",
            path.as_deref(),
            shell,
        );
        Ok(())
    }

    fn finish_identity(&mut self) {
        if let Some((uid, gid)) = self.set_ids {
            self.push(
                Op::SetIds {
                    uid,
                    gid,
                    drop_groups: false,
                },
                "switch to the sandbox's uid and gid",
                None,
                format!("setpriv --reuid={uid} --regid={gid} --clear-groups"),
            );
        }
    }

    fn cwd(&mut self) -> Result<()> {
        let dir = self.spec.cwd.clone().unwrap_or_else(|| PathBuf::from("/"));
        if !dir.is_absolute() {
            return Err(Error::invalid(
                "working directory",
                "must be an absolute path inside the sandbox",
            )
            .with_path(&dir));
        }
        let c = cstring(dir.as_os_str().as_bytes(), "working directory", &dir)?;
        if dir != Path::new("/") {
            self.push(
                Op::Chdir { dir: c },
                "chdir",
                Some(&dir),
                format!("cd {}", show(&dir)),
            );
        }
        Ok(())
    }

    /// Stops before the command until the parent resumes the sandbox.
    fn pause(&mut self) {
        if self.spec.paused {
            self.push(
                Op::ReportReady,
                "report the sandbox ready",
                None,
                String::new(),
            );
            self.push(Op::WaitParent, "wait to be resumed", None, String::new());
        }
    }

    fn into_plan(self) -> Result<Plan> {
        let spec = self.spec;
        let argv = argv_cstrings(&spec.argv)?;
        let env = environment(spec)?;
        let path_dirs = path_dirs(&env);
        check_fds(spec)?;
        // CLONE_NEWTIME does not fit clone(2)'s flags (it overlaps the exit-signal byte):
        // only clone3 can create it, which is the fork path.
        let needs_parent = self.parent_maps.is_some()
            || spec.paused
            || matches!(spec.root, Root::Tar { .. })
            || self
                .namespaces
                .intersects(Namespaces::PID | Namespaces::TIME);
        let mode = match spec.clone_mode {
            CloneMode::Auto if needs_parent => Mode::Fork,
            CloneMode::Auto | CloneMode::Vfork => Mode::Vfork,
            CloneMode::Fork => Mode::Fork,
        };
        if mode == Mode::Vfork && needs_parent {
            return Err(Error::invalid(
                "clone mode",
                "CloneMode::Vfork cannot run this plan: a PID or time namespace, id maps \
                 written by the parent or a root archive need the fork path; use \
                 CloneMode::Auto or CloneMode::Fork",
            ));
        }
        let tar = match &spec.root {
            Root::Tar { path, .. } => Some(path.clone()),
            _ => None,
        };
        Ok(Plan {
            namespaces: self.namespaces,
            mode,
            steps: self.steps,
            slots: self.slots,
            parent_maps: self.parent_maps,
            tar,
            staging: self.staging,
            argv,
            env,
            path_dirs,
            stdio: spec.stdio,
            pass_fds: spec.pass_fds.clone(),
            new_session: spec.new_session,
            no_new_privs: spec.no_new_privs,
            restore_signals: spec.restore_signals,
            die_with_parent: spec.die_with_parent,
            rootless: self.rootless,
            paused: spec.paused,
        })
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        Path::new("/").join(p)
    }
}

fn normalized(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_owned()),
            _ => None,
        })
        .collect()
}

fn check_mode(mode: u32, path: &Path) -> Result<()> {
    if mode > 0o7777 {
        return Err(Error::invalid(
            "mode",
            format!("{mode:o} is not a file mode (at most 7777)"),
        )
        .with_path(path));
    }
    Ok(())
}

fn check_source(source: &Path) -> Result<()> {
    if !source.is_absolute() {
        return Err(
            Error::invalid("bind source", "bind sources must be absolute host paths")
                .with_path(source),
        );
    }
    if source.as_os_str().as_bytes().contains(&0) {
        return Err(Error::invalid("bind source", "path contains a NUL byte").with_path(source));
    }
    std::fs::metadata(source).map(|_| ()).map_err(|e| {
        let errno = Errno::from(&e);
        let err = Error::new("open bind source", errno).with_path(source);
        if errno == Errno::ENOENT {
            err.with_hint("the bind source does not exist")
        } else {
            err
        }
    })
}

/// The mount points strictly under `source` in the caller's table, as paths relative to the
/// new root under `target` — for the read-only fallback without mount_setattr.
fn submounts_under(source: &Path, target: &Path) -> Result<Vec<CString>> {
    let table = crate::table::mounts_with(None, crate::table::TableSource::Mountinfo)?;
    let source = std::fs::canonicalize(source)
        .map_err(|e| Error::new("resolve bind source", Errno::from(&e)).with_path(source))?;
    let mut out = Vec::new();
    for m in &table {
        let Ok(rest) = m.target().strip_prefix(&source) else {
            continue;
        };
        if rest.as_os_str().is_empty() {
            continue;
        }
        let inside = absolute(target).join(rest);
        let comps = inside_components(&inside, "submount")?;
        let joined: Vec<u8> = comps
            .iter()
            .map(|c| c.as_bytes().to_vec())
            .collect::<Vec<_>>()
            .join(&b'/');
        out.push(CString::new(joined).expect("components have no NUL"));
    }
    Ok(out)
}

fn argv_cstrings(argv: &[OsString]) -> Result<Vec<CString>> {
    argv.iter()
        .map(|a| {
            CString::new(a.as_bytes()).map_err(|_| {
                Error::invalid("command", format!("argument {a:?} contains a NUL byte"))
            })
        })
        .collect()
}

/// The environment the command gets, as `KEY=VALUE` strings: the caller's variables in
/// their order (unless cleared), less those unset or set, then those set, in the order set.
/// (The spec keeps set keys unique and apart from unset ones.) Each string is built in one
/// allocation of its final size: the caller's environment is most of what a plan copies.
fn environment(spec: &Spec) -> Result<Vec<CString>> {
    for (key, value) in &spec.env.set {
        let kb = key.as_bytes();
        if kb.is_empty() || kb.contains(&b'=') || kb.contains(&0) {
            return Err(Error::invalid(
                "environment",
                format!("{key:?} is not a variable name (empty, or contains '=' or NUL)"),
            ));
        }
        if value.as_bytes().contains(&0) {
            return Err(Error::invalid(
                "environment",
                format!("the value of {key:?} contains a NUL byte"),
            ));
        }
    }
    let replaced =
        |key: &OsString| spec.env.unset.contains(key) || spec.env.set.iter().any(|(k, _)| k == key);
    let pair = |k: &OsStr, v: &OsStr| {
        let mut kv = Vec::with_capacity(k.len() + v.len() + 2);
        kv.extend_from_slice(k.as_bytes());
        kv.push(b'=');
        kv.extend_from_slice(v.as_bytes());
        CString::new(kv).ok() // none has a NUL: checked above, or a C string already
    };
    let mut env = Vec::new();
    if !spec.env.clear {
        let inherited = std::env::vars_os().filter(|(k, _)| !replaced(k));
        env.extend(inherited.filter_map(|(k, v)| pair(&k, &v)));
    }
    env.extend(spec.env.set.iter().filter_map(|(k, v)| pair(k, v)));
    Ok(env)
}

/// The directories searched for a command without a slash: the sandbox's PATH.
fn path_dirs(env: &[CString]) -> Vec<Vec<u8>> {
    let path = env
        .iter()
        .find_map(|v| v.as_bytes().strip_prefix(b"PATH="))
        .unwrap_or(DEFAULT_PATH.as_bytes());
    path.split(|&b| b == b':')
        .map(|d| {
            if d.is_empty() {
                b".".to_vec()
            } else {
                d.to_vec()
            }
        })
        .collect()
}

fn check_fds(spec: &Spec) -> Result<()> {
    let mut seen = Vec::new();
    for &(src, dst) in &spec.pass_fds {
        if dst < 3 {
            return Err(Error::invalid(
                "pass fd",
                format!("target descriptor {dst} is one of 0, 1, 2: use stdin/stdout/stderr"),
            ));
        }
        if src < 0 {
            return Err(Error::invalid(
                "pass fd",
                format!("{src} is not a descriptor"),
            ));
        }
        if seen.contains(&dst) {
            return Err(Error::invalid(
                "pass fd",
                format!("two descriptors passed as {dst}"),
            ));
        }
        seen.push(dst);
    }
    for s in spec.stdio {
        if let Stdio::Fd(fd) = s
            && fd < 0
        {
            return Err(Error::invalid("stdio", format!("{fd} is not a descriptor")));
        }
    }
    Ok(())
}

/// The entries of a [`Base`]: for `Host`, `/usr` and `/etc` read-only and the host's
/// bin/lib/sbin links (or read-only binds where they are directories); for both `Host` and
/// `System`, `/proc`, `/dev`, `/tmp`.
fn base_entries(base: Base, namespaces: Namespaces) -> Result<Vec<MountEntry>> {
    let ro = |p: &str| MountEntry::Bind {
        source: PathBuf::from(p),
        target: PathBuf::from(p),
        readonly: true,
        recursive: true,
        flags: MountFlags::empty(),
    };
    let mut out = Vec::new();
    if base == Base::Host {
        host_entries(&mut out, ro)?;
    }
    system_entries(&mut out, namespaces)?;
    Ok(out)
}

fn host_entries(out: &mut Vec<MountEntry>, ro: impl Fn(&str) -> MountEntry) -> Result<()> {
    out.push(ro("/usr"));
    for name in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
        let host = Path::new("/").join(name);
        match std::fs::symlink_metadata(&host) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&host)
                    .map_err(|e| Error::new("read link", Errno::from(&e)).with_path(&host))?;
                out.push(MountEntry::Symlink { link, target: host });
            }
            Ok(m) if m.is_dir() => out.push(ro(host.to_str().expect("ascii"))),
            _ => {}
        }
    }
    if Path::new("/etc").is_dir() {
        out.push(ro("/etc"));
    }
    Ok(())
}

fn system_entries(out: &mut Vec<MountEntry>, namespaces: Namespaces) -> Result<()> {
    if namespaces.contains(Namespaces::PID) {
        out.push(MountEntry::Proc {
            target: "/proc".into(),
        });
    } else {
        out.push(MountEntry::Bind {
            source: "/proc".into(),
            target: "/proc".into(),
            readonly: false,
            recursive: true,
            flags: MountFlags::empty(),
        });
    }
    out.push(MountEntry::Dev {
        target: "/dev".into(),
    });
    out.push(MountEntry::Tmpfs {
        target: "/tmp".into(),
        options: TmpfsOptions::parse("mode=1777,nosuid,nodev")?,
    });
    Ok(())
}
