//! `mntns id`: a namespace's id, exactly as `readlink /proc/PID/ns/KIND` prints it.

use mntns::{Errno, Error, NsFd, NsKind, Pid};

pub const EXAMPLES: &str = "Examples:\n  \
    mntns id                      # mnt:[4026531841], like readlink /proc/self/ns/mnt\n  \
    mntns id 1234 -t net          # net:[4026532008], like readlink /proc/1234/ns/net\n  \
    mntns id --all                # one line per kind\n  \
    mntns id --kernel-id          # mnt:[4026531841] 1, with the 64-bit id (Linux 6.8)";

#[derive(clap::Args)]
pub struct Args {
    /// The process whose namespace to name (default: this one, as /proc/self).
    #[arg(value_parser = parse_pid)]
    pid: Option<Pid>,
    /// The kind: mnt, uts, ipc, pid, net, user, cgroup, time.
    #[arg(short = 't', long = "type", value_parser = parse_kind, default_value = "mnt", conflicts_with = "all")]
    kind: NsKind,
    /// One line per kind this kernel has (mnt, uts, ipc, pid, net, user, cgroup, time).
    #[arg(short = 'a', long)]
    all: bool,
    /// Add the kernel's 64-bit mount namespace id, the one statmount and listmount take
    /// (Linux 6.8; mount namespaces only).
    #[arg(short = 'k', long)]
    kernel_id: bool,
}

pub fn parse_pid(s: &str) -> Result<Pid, String> {
    let raw: i32 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a process id"))?;
    Pid::from_raw(raw).map_err(|e| e.to_string())
}

pub fn parse_kind(s: &str) -> Result<NsKind, String> {
    s.parse()
        .map_err(|e: Error| e.hint().unwrap_or("").to_owned())
}

pub fn run(args: Args) -> Result<u8, Error> {
    let kinds = if args.all {
        NsKind::ALL.to_vec()
    } else {
        vec![args.kind]
    };
    let mut out = String::new();
    for kind in kinds {
        let ns = match args.pid {
            Some(pid) => NsFd::of_pid(pid, kind),
            None => NsFd::of_self(kind),
        };
        let ns = match ns {
            Ok(ns) => ns,
            // --all: a kind this kernel does not have (a process that is gone is ESRCH).
            Err(e) if args.all && e.errno() == Errno::ENOENT => continue,
            Err(e) => return Err(e),
        };
        out.push_str(&ns.id().to_string());
        if args.kernel_id {
            match ns.kernel_id()? {
                Some(id) => out.push_str(&format!(" {id}")),
                None if kind == NsKind::Mount => {
                    return Err(Error::new(
                        format!("get the 64-bit id of {}", ns.id()),
                        Errno::ENOSYS,
                    )
                    .with_hint("NS_GET_MNTNS_ID needs Linux 6.8"));
                }
                // Other kinds have no 64-bit id: the line is the id alone.
                None => {}
            }
        }
        out.push('\n');
    }
    crate::output::write_stdout(out.as_bytes())?;
    Ok(0)
}
