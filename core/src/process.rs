//! Process identity and facts about the calling process that several modules need: the
//! [`Pid`] type, and how many threads the caller has (the kernel treats namespace changes in
//! a multithreaded process differently).

use std::fmt;

use crate::error::{Error, Result};

/// A process id, as seen from the caller's pid namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(i32);

impl Pid {
    /// Wraps a raw pid.
    ///
    /// # Errors
    /// `EINVAL` for zero or negative values (they name process groups or "self" to the
    /// kernel, never one process).
    pub fn from_raw(raw: i32) -> Result<Pid> {
        if raw <= 0 {
            return Err(Error::invalid("pid", format!("{raw} is not a process id")));
        }
        Ok(Pid(raw))
    }

    /// The calling process.
    pub fn this() -> Pid {
        Pid(std::process::id() as i32)
    }

    /// The raw value.
    pub const fn as_raw(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The number of threads of the calling process (the `Threads:` line of
/// `/proc/self/status`).
///
/// # Errors
/// The open or read error of `/proc/self/status` (for instance when /proc is not mounted).
pub(crate) fn thread_count() -> Result<usize> {
    const PATH: &str = "/proc/self/status";
    let status = std::fs::read(PATH).map_err(|e| {
        Error::new("count threads in", crate::Errno::from(&e))
            .with_path(PATH)
            .with_hint("/proc must be mounted to tell whether the process is multithreaded")
    })?;
    status
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"Threads:"))
        .and_then(|rest| std::str::from_utf8(rest).ok())
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| {
            Error::new("count threads in", crate::Errno::EIO)
                .with_path(PATH)
                .with_hint("no Threads: line")
        })
}
