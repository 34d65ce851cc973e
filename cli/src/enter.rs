//! `mntns enter`: run a command in the namespaces of another process, as `nsenter(1)`.
//!
//! The namespaces are joined by the core ([`mntns::enter`], one atomic `setns` on a pidfd
//! where the kernel has it), then the command replaces this process (`execvp`). Joining a
//! pid or time namespace only applies to children, so then, as nsenter does, a child is
//! forked to run the command and this process waits and passes its exit status on.
//!
//! Exit status: the command's; 125 when entering failed, 126 when the command could not
//! be run, 127 when it was not found (the conventions of `env`, `chroot` and `nsenter`).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use mntns::{Errno, Error, Namespaces, NsSource, Pid};

pub const EXAMPLES: &str = "Examples:\n  \
    mntns enter -t 1234 --all                # $SHELL in every namespace of process 1234\n  \
    mntns enter -t 1234 -m -- findmnt        # findmnt in its mount namespace only\n  \
    mntns enter -t 1234 -U -m -n -- ip addr  # rootless: join its user namespace too\n\
    \nExit status: the command's; 125 when entering failed, 126 when the command cannot \
    be run, 127 when it is not found.";

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("kinds").multiple(true).required(true))]
pub struct Args {
    /// The process whose namespaces to enter.
    #[arg(short = 't', long = "target", value_name = "PID", value_parser = crate::id::parse_pid)]
    target: Pid,
    /// Enter its mount namespace.
    #[arg(short = 'm', long, group = "kinds")]
    mount: bool,
    /// Enter its UTS namespace (hostname).
    #[arg(short = 'u', long, group = "kinds")]
    uts: bool,
    /// Enter its IPC namespace.
    #[arg(short = 'i', long, group = "kinds")]
    ipc: bool,
    /// Enter its network namespace.
    #[arg(short = 'n', long, group = "kinds")]
    net: bool,
    /// Enter its pid namespace (the command runs in a child, as with nsenter).
    #[arg(short = 'p', long, group = "kinds")]
    pid: bool,
    /// Enter its user namespace (joined first, so its capabilities cover the others).
    #[arg(short = 'U', long, group = "kinds")]
    user: bool,
    /// Enter its cgroup namespace.
    #[arg(short = 'C', long, group = "kinds")]
    cgroup: bool,
    /// Enter its time namespace (the command runs in a child, as with nsenter).
    #[arg(short = 'T', long, group = "kinds")]
    time: bool,
    /// Enter all its namespaces, as nsenter --all: its mount namespace and every other one
    /// it does not share with us.
    #[arg(short = 'a', long, group = "kinds")]
    all: bool,
    /// Do not fork before running the command, even for a pid or time namespace (the
    /// command then stays in its own; its children are in the joined one).
    #[arg(short = 'F', long = "no-fork")]
    no_fork: bool,
    /// The command and its arguments (default: $SHELL, else /bin/sh).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<OsString>,
}

/// Exit status when entering failed.
const SETUP_FAILED: u8 = 125;

pub fn run(args: Args) -> u8 {
    let kinds = match kinds(&args) {
        Ok(kinds) => kinds,
        Err(e) => return fail(&e, SETUP_FAILED),
    };
    if let Err(e) = mntns::enter(NsSource::Pid(args.target), kinds) {
        return fail(&e, SETUP_FAILED);
    }
    let command = if args.command.is_empty() {
        vec![std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into())]
    } else {
        args.command
    };
    let for_children = kinds.intersects(Namespaces::PID | Namespaces::TIME);
    if for_children && !args.no_fork {
        return run_in_child(&command);
    }
    exec(&command)
}

fn kinds(args: &Args) -> Result<Namespaces, Error> {
    if args.all {
        return Namespaces::entered_by_all(args.target);
    }
    let mut kinds = Namespaces::empty();
    for (on, kind) in [
        (args.mount, Namespaces::MOUNT),
        (args.uts, Namespaces::UTS),
        (args.ipc, Namespaces::IPC),
        (args.net, Namespaces::NET),
        (args.pid, Namespaces::PID),
        (args.user, Namespaces::USER),
        (args.cgroup, Namespaces::CGROUP),
        (args.time, Namespaces::TIME),
    ] {
        if on {
            kinds |= kind;
        }
    }
    Ok(kinds)
}

fn fail(e: &Error, code: u8) -> u8 {
    eprintln!("mntns: {e}");
    code
}

/// Replaces this process with `command` (searched in `$PATH`); returns only on failure,
/// with 127 for a command that does not exist and 126 for one that cannot be run.
fn exec(command: &[OsString]) -> u8 {
    let err = std::process::Command::new(&command[0])
        .args(&command[1..])
        .exec();
    let errno = Errno::from(&err);
    let code = if errno == Errno::ENOENT { 127 } else { 126 };
    fail(&Error::new("exec", errno).with_path(&command[0]), code)
}

/// Forks; the child runs `command` (so it is in the joined pid and time namespaces), this
/// process waits and exits as the child did (dying of the same signal if it was killed).
fn run_in_child(command: &[OsString]) -> u8 {
    // SAFETY: this process is single-threaded; the child only execs (or exits).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return fail(&Error::last_os("fork"), SETUP_FAILED);
    }
    if pid == 0 {
        return exec(command);
    }
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child with a valid status pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            break;
        }
        if rc < 0 && Errno::last() != Errno::EINTR {
            return fail(&Error::last_os("wait for the command"), SETUP_FAILED);
        }
    }
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        // SAFETY: restoring the default action and raising the child's signal on
        // ourselves, so our parent sees the same death; plain libc calls.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
        return 128 + sig as u8;
    }
    libc::WEXITSTATUS(status) as u8
}
