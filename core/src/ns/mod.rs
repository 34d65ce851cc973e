//! Namespaces: the eight kinds, creating them for the calling process, naming them
//! ([`NsId`], printed `mnt:[4026532211]` like `readlink /proc/PID/ns/mnt`), listing them the
//! way `lsns(8)` does, and joining them the way `nsenter(1)` does.
//!
//! Thread model: the kernel applies `unshare(CLONE_NEWNS)` to the calling *thread* only and
//! refuses `unshare(CLONE_NEWUSER)` and `setns` into a user or mount namespace in a
//! multithreaded process. [`unshare`] and [`enter`] check the thread count first and refuse
//! with an error that says so, instead of a bare `EINVAL` or a silently split process.

mod enter;
mod id;
mod list;

pub use enter::{NsSource, enter, enter_fd, enter_path, enter_pid};
pub use id::{NsFd, NsId};
pub use list::{ListOptions, NamespaceInfo, Pin, namespaces, namespaces_with};

use std::fmt;
use std::str::FromStr;

use bitflags::bitflags;

use crate::error::{Errno, Error, Result, hints};
use crate::process;

/// `CLONE_NEWTIME` (Linux 5.6); libc does not define it on every target.
const CLONE_NEWTIME: i32 = 0x0000_0080;

bitflags! {
    /// A set of namespace kinds, with the kernel's `CLONE_NEW*` values so that the raw
    /// value can be passed to `unshare(2)`/`clone(2)` and Python's `os.CLONE_NEW*`
    /// constants compare equal.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Namespaces: i32 {
        /// `CLONE_NEWNS`: mount namespace (`/proc/PID/ns/mnt`).
        const MOUNT = libc::CLONE_NEWNS;
        /// `CLONE_NEWUTS`: hostname and domain name (`uts`).
        const UTS = libc::CLONE_NEWUTS;
        /// `CLONE_NEWIPC`: System V IPC and POSIX message queues (`ipc`).
        const IPC = libc::CLONE_NEWIPC;
        /// `CLONE_NEWPID`: process ids (`pid`); applies to children, not the caller.
        const PID = libc::CLONE_NEWPID;
        /// `CLONE_NEWNET`: network devices, addresses, ports (`net`).
        const NET = libc::CLONE_NEWNET;
        /// `CLONE_NEWUSER`: user and group ids, capabilities (`user`).
        const USER = libc::CLONE_NEWUSER;
        /// `CLONE_NEWCGROUP`: the cgroup root (`cgroup`).
        const CGROUP = libc::CLONE_NEWCGROUP;
        /// `CLONE_NEWTIME`: monotonic and boot-time clock offsets (`time`); applies to
        /// children, not the caller.
        const TIME = CLONE_NEWTIME;
    }
}

impl Namespaces {
    /// Builds a set from raw `CLONE_NEW*` bits, refusing unknown bits (they are never
    /// ignored silently).
    ///
    /// # Errors
    /// `EINVAL` naming the unknown bits.
    pub fn from_raw(bits: i32) -> Result<Namespaces> {
        Namespaces::from_bits(bits).ok_or_else(|| {
            let unknown = bits & !Namespaces::all().bits();
            Error::invalid(
                "namespace flags",
                format!("unknown flag bits {unknown:#x} in {bits:#x}"),
            )
        })
    }

    /// The kinds in this set, in the order they must be joined or created (user first, so
    /// that its capabilities cover the others; mount last of the rest, as nsenter does).
    pub fn kinds(self) -> impl Iterator<Item = NsKind> {
        NsKind::ENTER_ORDER
            .into_iter()
            .filter(move |k| self.contains(k.flag()))
    }
}

impl fmt::Display for Namespaces {
    /// Comma-separated `/proc/PID/ns` names: `user,mnt,pid`; empty for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for kind in self.kinds() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(kind.name())?;
        }
        Ok(())
    }
}

/// One namespace kind, named as in `/proc/PID/ns/` and in `lsns -t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NsKind {
    /// `mnt` — [`Namespaces::MOUNT`].
    Mount,
    /// `uts` — [`Namespaces::UTS`].
    Uts,
    /// `ipc` — [`Namespaces::IPC`].
    Ipc,
    /// `pid` — [`Namespaces::PID`].
    Pid,
    /// `net` — [`Namespaces::NET`].
    Net,
    /// `user` — [`Namespaces::USER`].
    User,
    /// `cgroup` — [`Namespaces::CGROUP`].
    Cgroup,
    /// `time` — [`Namespaces::TIME`].
    Time,
}

impl NsKind {
    /// Every kind, in the order `lsns` lists them.
    pub const ALL: [NsKind; 8] = [
        NsKind::Mount,
        NsKind::Uts,
        NsKind::Ipc,
        NsKind::Pid,
        NsKind::Net,
        NsKind::User,
        NsKind::Cgroup,
        NsKind::Time,
    ];

    /// Every kind in the order to join them: user first (its capabilities cover the
    /// rest), mount last (it may hide the /proc the others are opened from), as nsenter.
    pub const ENTER_ORDER: [NsKind; 8] = [
        NsKind::User,
        NsKind::Cgroup,
        NsKind::Ipc,
        NsKind::Uts,
        NsKind::Net,
        NsKind::Pid,
        NsKind::Time,
        NsKind::Mount,
    ];

    /// The name used in `/proc/PID/ns/` and in `readlink` output: `mnt`, `uts`, `ipc`,
    /// `pid`, `net`, `user`, `cgroup`, `time`.
    pub const fn name(self) -> &'static str {
        match self {
            NsKind::Mount => "mnt",
            NsKind::Uts => "uts",
            NsKind::Ipc => "ipc",
            NsKind::Pid => "pid",
            NsKind::Net => "net",
            NsKind::User => "user",
            NsKind::Cgroup => "cgroup",
            NsKind::Time => "time",
        }
    }

    /// The single-kind flag set, whose bits are the kind's `CLONE_NEW*` value.
    pub const fn flag(self) -> Namespaces {
        match self {
            NsKind::Mount => Namespaces::MOUNT,
            NsKind::Uts => Namespaces::UTS,
            NsKind::Ipc => Namespaces::IPC,
            NsKind::Pid => Namespaces::PID,
            NsKind::Net => Namespaces::NET,
            NsKind::User => Namespaces::USER,
            NsKind::Cgroup => Namespaces::CGROUP,
            NsKind::Time => Namespaces::TIME,
        }
    }

    /// The kind whose `CLONE_NEW*` value is `value` (what `NS_GET_NSTYPE` returns).
    pub fn from_clone_flag(value: i32) -> Option<NsKind> {
        NsKind::ALL.into_iter().find(|k| k.flag().bits() == value)
    }
}

impl fmt::Display for NsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NsKind {
    type Err = Error;

    /// Parses `mnt` (also `mount`), `uts`, `ipc`, `pid`, `net` (also `network`), `user`,
    /// `cgroup`, `time`.
    fn from_str(s: &str) -> Result<NsKind> {
        let kind = match s {
            "mnt" | "mount" => NsKind::Mount,
            "uts" => NsKind::Uts,
            "ipc" => NsKind::Ipc,
            "pid" => NsKind::Pid,
            "net" | "network" => NsKind::Net,
            "user" => NsKind::User,
            "cgroup" => NsKind::Cgroup,
            "time" => NsKind::Time,
            _ => {
                return Err(Error::invalid(
                    "namespace kind",
                    format!(
                        "unknown kind {s:?}; expected one of mnt, uts, ipc, pid, net, user, \
                         cgroup, time"
                    ),
                ));
            }
        };
        Ok(kind)
    }
}

impl From<NsKind> for Namespaces {
    fn from(kind: NsKind) -> Namespaces {
        kind.flag()
    }
}

/// Moves the calling process into new namespaces of the given kinds, as `unshare(2)` does.
///
/// `PID` and `TIME` apply to the caller's future children, not to the caller. A new user
/// namespace starts with no id mapping; write one with [`crate::idmap::write_id_maps`]
/// before relying on the ids inside.
///
/// # Errors
/// - `EINVAL` with a hint when the process is multithreaded and the set contains `USER`
///   (the kernel refuses) or `MOUNT` (the kernel would move only the calling thread, so
///   `/proc/self/ns/mnt` and the other threads would disagree); also for an empty set.
/// - `EPERM`/`ENOSPC`/`EUSERS` from the kernel, with the sysctl or privilege that explains
///   it.
///
/// See `unshare(2)`.
pub fn unshare(namespaces: Namespaces) -> Result<()> {
    const STEP: &str = "unshare";
    if namespaces.is_empty() {
        return Err(Error::invalid(STEP, "no namespace kinds given"));
    }
    if namespaces.intersects(Namespaces::USER | Namespaces::MOUNT) {
        let threads = process::thread_count()?;
        if threads > 1 {
            return Err(Error::new(STEP, Errno::EINVAL).with_hint(format!(
                "the calling process has {threads} threads; unshare of {} needs a \
                 single-threaded process (the kernel refuses a new user namespace and \
                 would move only this thread into a new mount namespace); spawn a child \
                 instead",
                namespaces & (Namespaces::USER | Namespaces::MOUNT)
            )));
        }
    }
    // SAFETY: unshare(2) takes a plain flag word; the thread check above rules out the
    // split-process hazard for mount namespaces.
    let rc = unsafe { libc::unshare(namespaces.bits()) };
    if rc == 0 {
        return Ok(());
    }
    let errno = Errno::last();
    let err = Error::new(format!("unshare {namespaces}"), errno);
    Err(err.or_hint(|| hints::namespaces_refused(errno, namespaces)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_have_kernel_values() {
        assert_eq!(Namespaces::MOUNT.bits(), 0x0002_0000);
        assert_eq!(Namespaces::UTS.bits(), 0x0400_0000);
        assert_eq!(Namespaces::IPC.bits(), 0x0800_0000);
        assert_eq!(Namespaces::PID.bits(), 0x2000_0000);
        assert_eq!(Namespaces::NET.bits(), 0x4000_0000);
        assert_eq!(Namespaces::USER.bits(), 0x1000_0000);
        assert_eq!(Namespaces::CGROUP.bits(), 0x0200_0000);
        assert_eq!(Namespaces::TIME.bits(), 0x80);
    }

    #[test]
    fn unknown_bits_are_refused() {
        let e = Namespaces::from_raw(libc::CLONE_NEWNS | 0x1).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("0x1"), "{e}");
        assert_eq!(
            Namespaces::from_raw(libc::CLONE_NEWNS | libc::CLONE_NEWUSER).unwrap(),
            Namespaces::MOUNT | Namespaces::USER
        );
    }

    #[test]
    fn kinds_round_trip_names_and_flags() {
        for kind in NsKind::ALL {
            assert_eq!(kind.name().parse::<NsKind>().unwrap(), kind);
            assert_eq!(NsKind::from_clone_flag(kind.flag().bits()), Some(kind));
        }
        assert!("mnt:".parse::<NsKind>().is_err());
        assert_eq!(NsKind::ENTER_ORDER.len(), NsKind::ALL.len());
    }

    #[test]
    fn display_lists_user_first() {
        let set = Namespaces::MOUNT | Namespaces::USER | Namespaces::PID;
        assert_eq!(set.to_string(), "user,pid,mnt");
    }

    #[test]
    fn unshare_refuses_in_threaded_process() {
        // The unit-test harness runs tests on threads, so this process is multithreaded.
        let e = unshare(Namespaces::MOUNT).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("threads"), "{e}");
        let e = unshare(Namespaces::empty()).unwrap_err();
        assert!(e.to_string().contains("no namespace kinds"), "{e}");
    }
}
