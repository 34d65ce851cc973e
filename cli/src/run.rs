//! `mntns run`: run a command in a sandbox. Only parsing and printing here; the sandbox is
//! the core's `Spec` → `Plan` → `spawn`.

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use clap::{ArgAction, ArgMatches, Args};
use mntns::{Base, Identity, MountEntry, Namespaces, NsKind, Root, Size, Spec, TmpfsOptions};

pub mod quick;

/// Exit status when the sandbox could not be set up (as `env`, `chroot` and `timeout` do).
pub const EXIT_SETUP: i32 = 125;
/// Exit status when the command was found but could not be executed.
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit status when the command was not found.
pub const EXIT_NOT_FOUND: i32 = 127;

/// Run a command in a new mount namespace with its own root.
///
/// By default the root is a tmpfs holding the host's /usr and /etc (read-only), the bin and
/// lib links, a fresh /proc, a minimal /dev and a tmpfs /tmp; rootless when not run as
/// root. Mount options add to that default, in the order given.
#[derive(Args, Debug, Default)]
#[command(
    after_help = "Examples:\n  mntns run -- sh -c 'mount | grep tmp; readlink /proc/self/ns/mnt'\n  mntns run --tmpfs /scratch:size=1m --ro-bind /srv/data /data -- ls /data\n  mntns run --bare --ro-bind /bin/busybox /bin/sh -- /bin/sh -c 'echo hi'\n  mntns run --rootfs-tar alpine.tar --unshare pid -- /bin/sh\n  mntns run --explain --unshare-all -- true\n\nExit status: the command's (128+N when killed by signal N); 125 when the sandbox could\nnot be set up; 126 when the command cannot be executed; 127 when it is not found."
)]
pub struct RunArgs {
    /// Use a host directory as the root (bound onto itself).
    #[arg(long, value_name = "DIR", conflicts_with = "rootfs_tar")]
    rootfs: Option<PathBuf>,
    /// Unpack a tar archive (plain or gzip, e.g. from `docker export`) into a tmpfs root.
    #[arg(long, value_name = "FILE")]
    rootfs_tar: Option<PathBuf>,
    /// Size of the root tmpfs (bytes, k/m/g/t suffixes, or a percent of RAM).
    #[arg(long, value_name = "SIZE")]
    root_size: Option<String>,
    /// Start from an empty root instead of the default one.
    #[arg(long)]
    bare: bool,
    /// Mount a tmpfs: DEST or DEST:size=…,mode=…,nr_inodes=…,uid=…,gid=…,noswap,ro,nosuid…
    #[arg(long, value_name = "DEST[:OPTIONS]", action = ArgAction::Append)]
    tmpfs: Vec<String>,
    /// Bind a host path (recursively, read-write).
    #[arg(long, num_args = 2, value_names = ["SRC", "DEST"], action = ArgAction::Append)]
    bind: Vec<PathBuf>,
    /// Bind a host path read-only (on every submount).
    #[arg(long, num_args = 2, value_names = ["SRC", "DEST"], action = ArgAction::Append)]
    ro_bind: Vec<PathBuf>,
    /// Mount a new proc (needs a PID namespace when rootless).
    #[arg(long, value_name = "DEST", action = ArgAction::Append)]
    proc: Vec<PathBuf>,
    /// Make a minimal /dev (null, zero, full, random, urandom, tty, pts, ptmx, shm).
    #[arg(long, value_name = "DEST", action = ArgAction::Append)]
    dev: Vec<PathBuf>,
    /// Create a directory.
    #[arg(long, value_name = "DEST", action = ArgAction::Append)]
    dir: Vec<PathBuf>,
    /// Create a symlink DEST pointing to TARGET.
    #[arg(long, num_args = 2, value_names = ["TARGET", "DEST"], action = ArgAction::Append)]
    symlink: Vec<PathBuf>,
    /// Also create these namespaces: user, pid, uts, ipc, net, cgroup, time (comma-separated).
    #[arg(long, value_name = "KINDS", value_delimiter = ',', action = ArgAction::Append)]
    unshare: Vec<String>,
    /// Create every kind of namespace.
    #[arg(long)]
    unshare_all: bool,
    /// The uid inside (creates a user namespace mapping you to it).
    #[arg(long)]
    uid: Option<u32>,
    /// The gid inside (creates a user namespace mapping you to it).
    #[arg(long)]
    gid: Option<u32>,
    /// The hostname inside (creates a UTS namespace).
    #[arg(long)]
    hostname: Option<OsString>,
    /// The working directory inside (default /).
    #[arg(long, value_name = "DIR")]
    chdir: Option<PathBuf>,
    /// Set an environment variable.
    #[arg(long, num_args = 2, value_names = ["VAR", "VALUE"], action = ArgAction::Append)]
    setenv: Vec<OsString>,
    /// Remove an environment variable.
    #[arg(long, value_name = "VAR", action = ArgAction::Append)]
    unsetenv: Vec<OsString>,
    /// Start from an empty environment.
    #[arg(long)]
    clearenv: bool,
    /// Keep the old root mounted at DIR (inside the new root) instead of detaching it.
    #[arg(long, value_name = "DIR")]
    keep_old_root: Option<PathBuf>,
    /// Kill the sandbox when mntns exits (the default).
    #[arg(long, overrides_with = "no_die_with_parent")]
    die_with_parent: bool,
    /// Let the sandbox outlive mntns.
    #[arg(long)]
    no_die_with_parent: bool,
    /// Run the command in a new session (setsid).
    #[arg(long)]
    new_session: bool,
    /// Set no_new_privs: setuid binaries grant nothing.
    #[arg(long)]
    no_new_privs: bool,
    /// Write the child pid and namespace ids, then the exit code, as JSON lines to FD.
    #[arg(long, value_name = "FD")]
    json_status_fd: Option<i32>,
    /// Print the plan, numbered steps as you would type them by hand, and exit.
    #[arg(long)]
    explain: bool,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// Runs `mntns run`; returns the exit status.
pub fn main(args: RunArgs, order: &Order) -> i32 {
    let spec = match spec(&args, order) {
        Ok(s) => s,
        Err(e) => return fail(&e, EXIT_SETUP),
    };
    let plan = match spec.plan() {
        Ok(p) => p,
        Err(e) => return fail(&e, EXIT_SETUP),
    };
    if args.explain {
        print!("{plan}");
        return 0;
    }
    let mut json = args.json_status_fd.map(|fd| {
        // SAFETY: the caller gave us this descriptor to write to; we own it from now on.
        unsafe { std::fs::File::from_raw_fd(fd) }
    });
    catch_signals();
    let mut child = match plan.spawn() {
        Ok(c) => c,
        Err(e) => return fail(&e, exec_failure_code(&e)),
    };
    if let Some(f) = json.as_mut() {
        // The sandbox waits before its command (start_paused): its namespaces are there to
        // be read, however quickly the command would exit.
        let mut line = format!("{{ \"child-pid\": {}", child.pid());
        for kind in plan.namespaces().kinds() {
            if let Ok(id) = child.ns_id(kind) {
                line.push_str(&format!(
                    ", \"{}-namespace\": {}",
                    json_kind(kind),
                    id.inode()
                ));
            }
        }
        line.push_str(" }\n");
        let _ = f.write_all(line.as_bytes());
        if let Err(e) = child.resume() {
            return fail(&e, exec_failure_code(&e));
        }
    }
    forward_signals_to(&mut child);
    let status = match child.wait() {
        Ok(s) => s,
        Err(e) => return fail(&e, EXIT_SETUP),
    };
    let code = status.shell_code();
    if let Some(f) = json.as_mut() {
        let _ = f.write_all(format!("{{ \"exit-code\": {code} }}\n").as_bytes());
    }
    code
}

/// 127 when the command was not found, 126 when it could not be executed, 125 when the
/// sandbox could not be set up.
fn exec_failure_code(e: &mntns::Error) -> i32 {
    match (e.step(), e.errno()) {
        ("exec", mntns::Errno::ENOENT) => EXIT_NOT_FOUND,
        ("exec", _) => EXIT_CANNOT_EXECUTE,
        _ => EXIT_SETUP,
    }
}

/// bubblewrap's JSON names for the namespace kinds.
fn json_kind(kind: NsKind) -> &'static str {
    match kind {
        NsKind::Mount => "mnt",
        other => other.name(),
    }
}

fn fail(e: &mntns::Error, code: i32) -> i32 {
    eprintln!("mntns: {e}");
    code
}

/// Builds the spec from the options, mounts in command-line order.
fn spec(args: &RunArgs, order: &Order) -> mntns::Result<Spec> {
    let mut root_tmpfs = TmpfsOptions::new().mode(0o755);
    if let Some(size) = &args.root_size {
        root_tmpfs = root_tmpfs.size(Size::parse(size)?);
    }
    let (root, base) = match (&args.rootfs, &args.rootfs_tar) {
        (Some(dir), _) => (Root::Dir(dir.clone()), Base::System),
        (None, Some(tar)) => (
            Root::Tar {
                path: tar.clone(),
                tmpfs: root_tmpfs,
            },
            Base::System,
        ),
        (None, None) => (Root::Tmpfs(root_tmpfs), Base::Host),
    };
    let base = if args.bare { Base::Bare } else { base };
    let mut spec = Spec::new().root(root).base(base);

    let mut namespaces = Namespaces::MOUNT;
    if args.unshare_all {
        namespaces = Namespaces::all();
    }
    for kind in &args.unshare {
        namespaces |= kind.trim().parse::<NsKind>()?.flag();
    }
    spec = spec.namespaces(namespaces);
    if args.uid.is_some() || args.gid.is_some() || namespaces.contains(Namespaces::USER) {
        spec = spec.identity(Identity::Rootless {
            uid: args.uid.unwrap_or(0),
            gid: args.gid.unwrap_or(0),
        });
    }
    if let Some(h) = &args.hostname {
        spec = spec.hostname(h.clone());
    }
    for entry in ordered_mounts(args, order)? {
        spec = spec.mount(entry);
    }
    if let Some(dir) = &args.chdir {
        spec = spec.cwd(dir.clone());
    }
    if args.clearenv {
        spec = spec.env_clear();
    }
    for var in &args.unsetenv {
        spec = spec.unsetenv(var.clone());
    }
    for pair in args.setenv.chunks(2) {
        if let [k, v] = pair {
            spec = spec.setenv(k.clone(), v.clone());
        }
    }
    if let Some(old) = &args.keep_old_root {
        spec = spec.keep_old_root(old.clone());
    }
    Ok(spec
        .start_paused(args.json_status_fd.is_some())
        .die_with_parent(!args.no_die_with_parent)
        .new_session(args.new_session)
        .no_new_privs(args.no_new_privs)
        .command(&args.command))
}

/// Where each mount option appeared on the command line: one entry per occurrence, its
/// id and a position that orders it among the others. Mount options apply in this order.
#[derive(Debug, Default)]
pub struct Order(Vec<(&'static str, usize)>);

impl Order {
    /// The mount options' ids, with how many values each occurrence takes.
    const MOUNTS: [(&'static str, usize); 7] = [
        ("tmpfs", 1),
        ("bind", 2),
        ("ro_bind", 2),
        ("proc", 1),
        ("dev", 1),
        ("dir", 1),
        ("symlink", 2),
    ];

    /// The order clap saw (the index of each occurrence's first value).
    pub fn from_matches(m: &ArgMatches) -> Self {
        let mut order = Order::default();
        for (id, per) in Self::MOUNTS {
            for index in m.indices_of(id).into_iter().flatten().step_by(per) {
                order.push(id, index);
            }
        }
        order
    }

    fn push(&mut self, id: &'static str, position: usize) {
        self.0.push((id, position));
    }

    /// The position of the `n`th occurrence of option `id`.
    fn at(&self, id: &str, n: usize) -> usize {
        let mut of_id = self.0.iter().filter(|(i, _)| *i == id);
        of_id.nth(n).map_or(usize::MAX, |(_, position)| *position)
    }
}

/// The mount options as entries, in the order they appear on the command line.
fn ordered_mounts(args: &RunArgs, order: &Order) -> mntns::Result<Vec<MountEntry>> {
    let mut out: Vec<(usize, MountEntry)> = Vec::new();
    for (i, t) in args.tmpfs.iter().enumerate() {
        let (dest, opts) = match t.split_once(':') {
            Some((d, o)) => (d, TmpfsOptions::parse(o)?),
            None => (t.as_str(), TmpfsOptions::new()),
        };
        out.push((
            order.at("tmpfs", i),
            MountEntry::Tmpfs {
                target: dest.into(),
                options: opts,
            },
        ));
    }
    for (id, list, readonly) in [
        ("bind", &args.bind, false),
        ("ro_bind", &args.ro_bind, true),
    ] {
        for (i, pair) in list.chunks(2).enumerate() {
            if let [src, dst] = pair {
                out.push((
                    order.at(id, i),
                    MountEntry::Bind {
                        source: src.clone(),
                        target: dst.clone(),
                        readonly,
                        recursive: true,
                        flags: mntns::MountFlags::empty(),
                    },
                ));
            }
        }
    }
    for (i, p) in args.proc.iter().enumerate() {
        out.push((order.at("proc", i), MountEntry::Proc { target: p.clone() }));
    }
    for (i, p) in args.dev.iter().enumerate() {
        out.push((order.at("dev", i), MountEntry::Dev { target: p.clone() }));
    }
    for (i, p) in args.dir.iter().enumerate() {
        out.push((
            order.at("dir", i),
            MountEntry::Dir {
                target: p.clone(),
                mode: 0o755,
            },
        ));
    }
    for (i, pair) in args.symlink.chunks(2).enumerate() {
        if let [link, dest] = pair {
            out.push((
                order.at("symlink", i),
                MountEntry::Symlink {
                    link: link.clone(),
                    target: dest.clone(),
                },
            ));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

/// Where caught signals go: the sandbox's pidfd once it exists (-1 before).
static FORWARD_PIDFD: AtomicI32 = AtomicI32::new(-1);
/// Signals caught before the sandbox existed, as a bit mask, forwarded right after.
static PENDING: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = FORWARD_PIDFD.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: pidfd_send_signal is a plain system call, async-signal-safe; the pidfd
        // stays open until mntns exits.
        unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd, sig, 0usize, 0u32) };
    } else {
        PENDING.fetch_or(1 << sig, Ordering::SeqCst);
    }
}

/// The signals `mntns run` passes on to the sandbox instead of dying from them (a dying
/// mntns would take the sandbox with it through the death signal).
const FORWARD: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Catches the forwarded signals from now on (before the spawn, so none is lost; the
/// sandbox starts with default handlers whatever ours are). The handler forwards them itself
/// once the sandbox exists, so waiting needs nothing but a plain blocking wait.
fn catch_signals() {
    for sig in FORWARD {
        // SAFETY: installing a handler that only makes async-signal-safe calls.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// From now on caught signals go to the sandbox; those caught before go now.
fn forward_signals_to(child: &mut mntns::Child) {
    if let Some(fd) = child.pidfd() {
        FORWARD_PIDFD.store(fd.as_raw_fd(), Ordering::SeqCst);
    }
    let pending = PENDING.swap(0, Ordering::SeqCst);
    for sig in FORWARD {
        if pending & (1 << sig) != 0 {
            let _ = child.kill(sig);
        }
    }
}
