//! Filling a sandbox's root from a tar archive (plain or gzip — what `docker export`
//! writes), safely.
//!
//! The parent unpacks into the child's fresh root tmpfs through `/proc/PID/root` while the
//! child waits, so the child itself never allocates. Every path is resolved *inside* the
//! root (`openat2(RESOLVE_IN_ROOT)`, one component created at a time), so no entry lands
//! outside it whatever symlinks earlier entries made; entries with `..` fail the unpack
//! (GNU tar and the `tar` crate silently skip them; a root that is missing files without a
//! word is worse than an error). Device nodes are created with `mknod` where the caller may
//! (root outside any user namespace); rootless, they become empty files (a sandbox's /dev
//! comes from [`crate::MountEntry::Dev`] anyway). FIFOs, symlinks, hard links, modes
//! (setuid included, for root), owners (for root, when the user namespace can represent
//! them) and modification times are restored. A
//! failed unpack leaves nothing behind: the tmpfs belongs to the child, which is killed.

use std::ffi::{CStr, CString, OsStr};
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Errno, Error, Result};
use crate::exec::open_in_root;

/// Unpacks `archive` into the directory `root` (the child's root, seen through
/// `/proc/PID/root`).
pub(crate) fn unpack_into(archive: &Path, root: &Path) -> Result<()> {
    let root_c = CString::new(root.as_os_str().as_bytes())
        .map_err(|_| Error::invalid("unpack root archive", "path contains a NUL byte"))?;
    // SAFETY: NUL-terminated path.
    let fd = unsafe {
        libc::open(
            root_c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Error::last_os("open the sandbox's root").with_path(root));
    }
    // SAFETY: a new descriptor we own.
    let root_fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let file = File::open(archive)
        .map_err(|e| Error::new("open root archive", Errno::from(&e)).with_path(archive))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let gzip = {
        let head = std::io::BufRead::fill_buf(&mut reader)
            .map_err(|e| Error::new("read root archive", Errno::from(&e)).with_path(archive))?;
        head.starts_with(&[0x1f, 0x8b])
    };
    let input: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    Unpacker {
        root: root_fd.as_raw_fd(),
        // SAFETY: geteuid has no preconditions.
        privileged: unsafe { libc::geteuid() } == 0,
        archive,
        dirs: Vec::new(),
    }
    .run(input)
}

struct Unpacker<'a> {
    root: RawFd,
    privileged: bool,
    archive: &'a Path,
    /// Directories and their modes, applied at the end (a read-only directory must still
    /// receive its entries).
    dirs: Vec<(CString, u32)>,
}

impl Unpacker<'_> {
    fn err(&self, step: &str, entry: &Path, errno: Errno) -> Error {
        Error::new(format!("unpack {}: {step}", self.archive.display()), errno).with_path(entry)
    }

    fn run(mut self, input: Box<dyn Read>) -> Result<()> {
        let mut ar = tar::Archive::new(input);
        let entries = ar.entries().map_err(|e| {
            Error::new("read root archive", Errno::from(&e)).with_path(self.archive)
        })?;
        for entry in entries {
            let mut entry = entry.map_err(|e| {
                Error::new("read root archive", Errno::from(&e))
                    .with_path(self.archive)
                    .with_hint(format!("not a valid tar archive: {e}"))
            })?;
            self.entry(&mut entry)?;
        }
        for (path, mode) in self.dirs.iter().rev() {
            // SAFETY: the directory was created inside the root; fchmodat on a relative path
            // resolves it again, which is safe because the sandbox is not running yet and
            // every component was created by us without following symlinks out.
            let fd =
                open_in_root(self.root, path, libc::O_PATH | libc::O_DIRECTORY).map_err(|e| {
                    self.err(
                        "open directory",
                        Path::new(OsStr::from_bytes(path.as_bytes())),
                        Errno::from_raw(e),
                    )
                })?;
            let fd = owned(fd);
            let proc = format!("/proc/self/fd/{}", fd.as_raw_fd());
            std::fs::set_permissions(&proc, std::os::unix::fs::PermissionsExt::from_mode(*mode))
                .map_err(|e| {
                    self.err(
                        "chmod",
                        Path::new(OsStr::from_bytes(path.as_bytes())),
                        Errno::from(&e),
                    )
                })?;
        }
        Ok(())
    }

    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<()> {
        let raw = entry.path_bytes().into_owned();
        let shown = PathBuf::from(OsStr::from_bytes(&raw));
        let Some(rel) = relative(&raw) else {
            return Err(self.err("refuse entry", &shown, Errno::EINVAL).with_hint(
                "the entry's path has \"..\" components and would land outside the root",
            ));
        };
        let header = entry.header().clone();
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let kind = header.entry_type();
        if rel.to_bytes().is_empty() {
            // "./" itself: the root's own mode.
            if kind.is_dir() {
                self.dirs.push((CString::new(".").expect("constant"), mode));
            }
            return Ok(());
        }
        let (parent, name) = self.parent(&rel, &shown)?;
        let p = parent.as_raw_fd();
        match kind {
            tar::EntryType::Directory => {
                // SAFETY: p is a directory inside the root; name is one component.
                let rc = unsafe { libc::mkdirat(p, name.as_ptr(), 0o700) };
                if rc < 0 && Errno::last() != Errno::EEXIST {
                    return Err(self.err("mkdir", &shown, Errno::last()));
                }
                self.dirs.push((rel.clone(), mode));
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                self.replace(p, &name, &shown)?;
                let mut file = File::from(self.create(p, &name, &shown, "create file")?);
                std::io::copy(entry, &mut file)
                    .map_err(|e| self.err("write file", &shown, Errno::from(&e)))?;
            }
            tar::EntryType::Symlink => {
                let link = header
                    .link_name_bytes()
                    .ok_or_else(|| self.err("read link", &shown, Errno::EINVAL))?;
                let link = CString::new(link.into_owned())
                    .map_err(|_| self.err("read link", &shown, Errno::EINVAL))?;
                self.replace(p, &name, &shown)?;
                // SAFETY: NUL-terminated strings; the link text is stored as is and
                // resolved inside the sandbox later.
                if unsafe { libc::symlinkat(link.as_ptr(), p, name.as_ptr()) } < 0 {
                    return Err(self.err("symlink", &shown, Errno::last()));
                }
            }
            tar::EntryType::Link => {
                let target = header
                    .link_name_bytes()
                    .ok_or_else(|| self.err("read link", &shown, Errno::EINVAL))?;
                let Some(target_rel) = relative(&target) else {
                    return Err(self
                        .err("refuse hard link", &shown, Errno::EINVAL)
                        .with_hint("the link's target would be outside the root"));
                };
                let target_shown = PathBuf::from(OsStr::from_bytes(&target));
                let (tparent, tname) = self.parent(&target_rel, &target_shown)?;
                self.replace(p, &name, &shown)?;
                // SAFETY: both directories are inside the root; names are one component;
                // no flags, so a symlink target is linked itself, never followed.
                let rc = unsafe {
                    libc::linkat(tparent.as_raw_fd(), tname.as_ptr(), p, name.as_ptr(), 0)
                };
                if rc < 0 {
                    return Err(self.err("hard link", &shown, Errno::last()));
                }
                return Ok(());
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                self.replace(p, &name, &shown)?;
                let fmt = match kind {
                    tar::EntryType::Char => libc::S_IFCHR,
                    tar::EntryType::Block => libc::S_IFBLK,
                    _ => libc::S_IFIFO,
                };
                let dev = libc::makedev(
                    header.device_major().ok().flatten().unwrap_or(0),
                    header.device_minor().ok().flatten().unwrap_or(0),
                );
                // SAFETY: creating a node in a directory inside the root.
                let rc = unsafe { libc::mknodat(p, name.as_ptr(), fmt | 0o600, dev) };
                if rc < 0 {
                    let errno = Errno::last();
                    if errno != Errno::EPERM || fmt == libc::S_IFIFO {
                        return Err(self.err("mknod", &shown, errno));
                    }
                    // Rootless: device nodes cannot be created; leave an empty file so the
                    // path exists (bind a host device over it if it is needed).
                    drop(self.create(p, &name, &shown, "create placeholder")?);
                }
            }
            // PAX and GNU long-name headers are consumed by the tar crate itself.
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => return Ok(()),
            other => {
                return Err(self
                    .err("unpack entry", &shown, Errno::EINVAL)
                    .with_hint(format!("unsupported tar entry type {other:?}")));
            }
        }
        self.finish(p, &name, &header, mode, kind, &shown)
    }

    /// Owner (for root), mode and modification time of a new entry.
    fn finish(
        &self,
        p: RawFd,
        name: &CStr,
        header: &tar::Header,
        mode: u32,
        kind: tar::EntryType,
        shown: &Path,
    ) -> Result<()> {
        let is_link = kind == tar::EntryType::Symlink;
        if self.privileged {
            if let (Ok(uid), Ok(gid)) = (header.uid(), header.gid()) {
                // SAFETY: changing an entry we created; never through a symlink.
                let rc = unsafe {
                    libc::fchownat(
                        p,
                        name.as_ptr(),
                        uid as u32,
                        gid as u32,
                        libc::AT_SYMLINK_NOFOLLOW,
                    )
                };
                // EINVAL: an owner this user namespace cannot represent (an archive made in
                // another namespace); the entry keeps the unpacker's, as GNU tar does after a
                // warning.
                if rc < 0 && Errno::last() != Errno::EINVAL {
                    return Err(self.err("chown", shown, Errno::last()));
                }
            }
        }
        if !is_link && !kind.is_dir() {
            // After chown, which clears setuid bits.
            // SAFETY: as above (the entry is not a symlink).
            if unsafe { libc::fchmodat(p, name.as_ptr(), mode as libc::mode_t, 0) } < 0 {
                return Err(self.err("chmod", shown, Errno::last()));
            }
        }
        if let Ok(mtime) = header.mtime() {
            let t = libc::timespec {
                tv_sec: mtime as libc::time_t,
                tv_nsec: 0,
            };
            let times = [t, t];
            // SAFETY: two valid timespecs; never through a symlink.
            unsafe { libc::utimensat(p, name.as_ptr(), times.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
        }
        Ok(())
    }

    /// Creates a new, empty regular file `name` in the directory `p` (never through a
    /// symlink, never over an existing file).
    fn create(&self, p: RawFd, name: &CStr, shown: &Path, step: &str) -> Result<OwnedFd> {
        // SAFETY: creating a new file (O_EXCL, O_NOFOLLOW) in a directory inside the root.
        let fd = unsafe {
            libc::openat(
                p,
                name.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                0o600 as libc::c_uint,
            )
        };
        if fd < 0 {
            return Err(self.err(step, shown, Errno::last()));
        }
        Ok(owned(fd))
    }

    /// Removes an existing non-directory at `name` (a later entry replaces an earlier one,
    /// as tar does).
    fn replace(&self, p: RawFd, name: &CStr, shown: &Path) -> Result<()> {
        // SAFETY: unlinking one component in a directory inside the root.
        let rc = unsafe { libc::unlinkat(p, name.as_ptr(), 0) };
        if rc < 0 {
            let errno = Errno::last();
            if errno != Errno::ENOENT {
                return Err(self.err("replace", shown, errno));
            }
        }
        Ok(())
    }

    /// The directory that holds `rel` (created as needed, each step resolved inside the
    /// root) and the last component.
    fn parent(&self, rel: &CStr, shown: &Path) -> Result<(OwnedFd, CString)> {
        let bytes = rel.to_bytes();
        let (dir, name) = match bytes.iter().rposition(|&b| b == b'/') {
            Some(i) => (&bytes[..i], &bytes[i + 1..]),
            None => (&b""[..], bytes),
        };
        let name = CString::new(name).expect("no NUL in a CStr");
        let mut prefix: Vec<u8> = Vec::with_capacity(dir.len());
        // SAFETY: dup of the root descriptor, which stays open for the whole unpack.
        let mut fd = owned(unsafe { libc::fcntl(self.root, libc::F_DUPFD_CLOEXEC, 0) });
        for comp in dir.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(comp);
            let c = CString::new(prefix.clone()).expect("no NUL");
            let next = match open_in_root(self.root, &c, libc::O_PATH | libc::O_DIRECTORY) {
                Ok(n) => n,
                Err(libc::ENOENT) => {
                    let cc = CString::new(comp).expect("no NUL");
                    // SAFETY: fd is a directory inside the root; cc is one component.
                    let rc = unsafe { libc::mkdirat(fd.as_raw_fd(), cc.as_ptr(), 0o755) };
                    if rc < 0 && Errno::last() != Errno::EEXIST {
                        return Err(self.err("mkdir", shown, Errno::last()));
                    }
                    open_in_root(self.root, &c, libc::O_PATH | libc::O_DIRECTORY)
                        .map_err(|e| self.err("open directory", shown, Errno::from_raw(e)))?
                }
                Err(e) => return Err(self.err("open directory", shown, Errno::from_raw(e))),
            };
            fd = owned(next);
        }
        Ok((fd, name))
    }
}

fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: callers pass descriptors they just opened and own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// The path of an entry relative to the root: leading `/` and `./` dropped, `.` components
/// skipped; `None` when it has `..`.
fn relative(raw: &[u8]) -> Option<CString> {
    let path = Path::new(OsStr::from_bytes(raw));
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(n.as_bytes());
            }
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    CString::new(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        assert_eq!(relative(b"./usr/bin/sh").unwrap().as_bytes(), b"usr/bin/sh");
        assert_eq!(relative(b"/etc//passwd").unwrap().as_bytes(), b"etc/passwd");
        assert_eq!(relative(b"./").unwrap().as_bytes(), b"");
        assert!(relative(b"../x").is_none());
        assert!(relative(b"a/../../x").is_none());
        assert!(relative(b"a/..").is_none());
    }
}
