//! Mount tables against the real kernel: the statmount and mountinfo backends give the
//! same records, those records equal `findmnt -J`, another namespace's table is read
//! without entering it (held by a live process or only by an fd), and the fallbacks work
//! when statmount is missing or refused. Each case runs in a forked child with its own
//! mount namespace (see the mntns-testkit crate); every mount is made there.

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use mntns::table::{self, Mount, TableSource};
use mntns::{Errno, Namespaces, NsFd, NsKind, Pid};
use mntns_testkit::{BOTH, Ctx, NOBODY_ONLY, assert_no_fd_leak, case, deny_syscalls, in_child, nr};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn cstr(p: &[u8]) -> CString {
    CString::new(p).unwrap()
}

/// mount(2) with raw bytes, panicking with the errno.
fn mount(source: &[u8], target: &Path, fstype: &str, flags: libc::c_ulong, data: &str) {
    let (s, t, f, d) = (
        cstr(source),
        cstr(target.as_os_str().as_bytes()),
        cstr(fstype.as_bytes()),
        cstr(data.as_bytes()),
    );
    // SAFETY: all pointers are NUL-terminated strings that outlive the call.
    let rc = unsafe { libc::mount(s.as_ptr(), t.as_ptr(), f.as_ptr(), flags, d.as_ptr().cast()) };
    assert_eq!(
        rc,
        0,
        "mount {fstype} on {}: {}",
        target.display(),
        std::io::Error::last_os_error()
    );
}

fn tmpfs(target: &Path, source: &[u8], flags: libc::c_ulong, data: &str) {
    std::fs::create_dir_all(target).unwrap();
    mount(source, target, "tmpfs", flags, data);
}

fn bind(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    mount(from.as_os_str().as_bytes(), to, "", libc::MS_BIND, "");
}

fn propagate(target: &Path, flags: libc::c_ulong) {
    let t = cstr(target.as_os_str().as_bytes());
    // SAFETY: a propagation change with NUL-terminated strings and no data.
    let rc = unsafe {
        libc::mount(
            c"none".as_ptr(),
            t.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        )
    };
    assert_eq!(
        rc,
        0,
        "propagation of {}: {}",
        target.display(),
        std::io::Error::last_os_error()
    );
}

/// A tmpfs made with the new mount API and no source at all (the kernel shows `none`).
fn fsmount_tmpfs(target: &Path) {
    std::fs::create_dir_all(target).unwrap();
    let t = cstr(target.as_os_str().as_bytes());
    // SAFETY: raw new-mount-API calls with NUL-terminated strings; every returned fd is
    // checked and closed.
    unsafe {
        let fs = libc::syscall(
            libc::SYS_fsopen,
            c"tmpfs".as_ptr(),
            1, /* FSOPEN_CLOEXEC */
        );
        assert!(fs >= 0, "fsopen: {}", std::io::Error::last_os_error());
        let rc = libc::syscall(
            libc::SYS_fsconfig,
            fs,
            6, /* FSCONFIG_CMD_CREATE */
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_void>(),
            0,
        );
        assert_eq!(rc, 0, "fsconfig: {}", std::io::Error::last_os_error());
        let mnt = libc::syscall(libc::SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
        assert!(mnt >= 0, "fsmount: {}", std::io::Error::last_os_error());
        let rc = libc::syscall(
            libc::SYS_move_mount,
            mnt,
            c"".as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            4, /* MOVE_MOUNT_F_EMPTY_PATH */
        );
        assert_eq!(rc, 0, "move_mount: {}", std::io::Error::last_os_error());
        libc::close(mnt as i32);
        libc::close(fs as i32);
    }
}

/// Paths with every byte the kernel escapes, and bytes that are not UTF-8.
fn awkward_names(base: &Path) -> Vec<PathBuf> {
    [
        &b"with space"[..],
        b"with\ttab",
        b"with\\backslash",
        b"with\nnewline",
        b"not-utf8-\xff\xfe",
        b" leading and trailing ",
    ]
    .iter()
    .map(|n| base.join(OsStr::from_bytes(n)))
    .collect()
}

/// A varied table in the case's namespace: awkward paths and sources, flags, options,
/// bind mounts of subdirectories, shared, slave and unbindable mounts. Returns the
/// targets it created.
fn build_varied_table(base: &Path) -> Vec<PathBuf> {
    let mut made = Vec::new();
    for (i, dir) in awkward_names(base).into_iter().enumerate() {
        let source: &[u8] = match i {
            0 => b"src with space",
            1 => b"src\\with\\backslash",
            2 => b"src-\xe9-latin1",
            _ => b"tmpfs",
        };
        tmpfs(&dir, source, 0, "size=64k");
        made.push(dir);
    }
    let flagged = base.join("flagged");
    tmpfs(
        &flagged,
        b"flagged",
        libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_NOATIME,
        "size=1m,mode=700,nr_inodes=100",
    );
    made.push(flagged);
    let strict = base.join("strict");
    tmpfs(
        &strict,
        b"strict",
        libc::MS_STRICTATIME | libc::MS_NODIRATIME | 256, /* MS_NOSYMFOLLOW */
        "mode=1777",
    );
    made.push(strict);
    let synced = base.join("synced");
    tmpfs(
        &synced,
        b"synced",
        libc::MS_SYNCHRONOUS | libc::MS_DIRSYNC | libc::MS_LAZYTIME,
        "size=8k",
    );
    made.push(synced);
    let nodiratime = base.join("nodiratime");
    tmpfs(
        &nodiratime,
        b"nodiratime",
        libc::MS_NODIRATIME | libc::MS_NOEXEC,
        "",
    );
    made.push(nodiratime);
    // shared → peer → bind of a subdirectory (root "/sub") → slave, shared slave.
    let shared = base.join("shared");
    tmpfs(&shared, b"shared", 0, "size=32k");
    std::fs::create_dir(shared.join("sub")).unwrap();
    propagate(&shared, libc::MS_SHARED);
    let peer = base.join("peer");
    bind(&shared, &peer);
    let sub = base.join("sub bind");
    bind(&shared.join("sub"), &sub);
    let slave = base.join("slave");
    bind(&shared, &slave);
    propagate(&slave, libc::MS_SLAVE);
    let shared_slave = base.join("shared slave");
    bind(&shared, &shared_slave);
    propagate(&shared_slave, libc::MS_SLAVE);
    propagate(&shared_slave, libc::MS_SHARED);
    let unbindable = base.join("unbindable");
    tmpfs(&unbindable, b"unb", 0, "");
    propagate(&unbindable, libc::MS_UNBINDABLE);
    // No source at all (new mount API), and an empty one.
    let sourceless = base.join("sourceless");
    fsmount_tmpfs(&sourceless);
    let empty_source = base.join("empty source");
    tmpfs(&empty_source, b"", 0, "");
    made.extend([
        shared,
        peer,
        sub,
        slave,
        shared_slave,
        unbindable,
        sourceless,
        empty_source,
    ]);
    made
}

/// A record without the unique ids, which only statmount knows.
#[derive(Debug, PartialEq, Eq)]
struct Comparable {
    parent_id: u32,
    dev: (u32, u32),
    root: PathBuf,
    target: PathBuf,
    fstype: Vec<u8>,
    source: Option<Vec<u8>>,
    options: String,
    super_options: Vec<u8>,
    propagation: mntns::table::MountPropagation,
}

fn by_id(table: &[Mount]) -> BTreeMap<u32, Comparable> {
    let map: BTreeMap<u32, Comparable> = table
        .iter()
        .map(|m| {
            (
                m.id(),
                Comparable {
                    parent_id: m.parent_id(),
                    dev: (m.major(), m.minor()),
                    root: m.root().to_path_buf(),
                    target: m.target().to_path_buf(),
                    fstype: m.fstype().as_bytes().to_vec(),
                    source: m.source().map(|s| s.as_bytes().to_vec()),
                    options: m.options().to_owned(),
                    super_options: m.super_options().as_bytes().to_vec(),
                    propagation: m.propagation(),
                },
            )
        })
        .collect();
    assert_eq!(map.len(), table.len(), "duplicate mount ids");
    map
}

/// Asserts two tables hold the same records, ignoring unique ids; says what differs.
fn assert_same(what: &str, a: &[Mount], b: &[Mount]) {
    let (a, b) = (by_id(a), by_id(b));
    let mut diffs = Vec::new();
    for (id, ra) in &a {
        match b.get(id) {
            None => diffs.push(format!("{id} only in the first: {ra:?}")),
            Some(rb) if rb != ra => diffs.push(format!("{id} differs:\n  {ra:?}\n  {rb:?}")),
            Some(_) => {}
        }
    }
    for (id, rb) in &b {
        if !a.contains_key(id) {
            diffs.push(format!("{id} only in the second: {rb:?}"));
        }
    }
    assert!(diffs.is_empty(), "{what}:\n{}", diffs.join("\n"));
}

fn find<'a>(table: &'a [Mount], target: &Path) -> Option<&'a Mount> {
    table.iter().rev().find(|m| m.target() == target)
}

/// Every table read both ways and by Auto; asserts they agree and that statmount carries
/// unique ids while mountinfo does not. Auto reads a process's table from mountinfo (one
/// read instead of a call per mount) and another namespace's with statmount: `auto_ids`
/// says which one this is.
fn both_ways(
    auto_ids: bool,
    read: impl Fn(TableSource) -> mntns::Result<Vec<Mount>>,
) -> Vec<Mount> {
    let st = read(TableSource::Statmount).unwrap();
    let mi = read(TableSource::Mountinfo).unwrap();
    let auto = read(TableSource::Auto).unwrap();
    assert!(
        st.iter()
            .all(|m| m.unique_id().is_some() && m.parent_unique_id().is_some())
    );
    assert!(mi.iter().all(|m| m.unique_id().is_none()));
    assert!(
        auto.iter().all(|m| m.unique_id().is_some() == auto_ids),
        "Auto should use {} here",
        if auto_ids { "statmount" } else { "mountinfo" }
    );
    assert_same("statmount vs mountinfo", &st, &mi);
    assert_same("statmount vs auto", &st, &auto);
    st
}

/// Oracle: `findmnt -J` over the same table (this thread's, or `-N pid`'s) has the same
/// rows. findmnt prints non-UTF-8 bytes raw inside its JSON, so both sides are compared
/// as lossy UTF-8.
fn assert_matches_findmnt(table: &[Mount], task: Option<libc::pid_t>) {
    let mut cmd = Command::new("findmnt");
    cmd.args([
        "-J",
        "-l",
        "-A",
        "-v",
        "-o",
        "ID,PARENT,MAJ:MIN,FSROOT,TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,PROPAGATION",
    ]);
    if let Some(pid) = task {
        cmd.args(["-N", &pid.to_string()]);
    }
    let out = cmd.output().expect("run findmnt");
    assert!(
        out.status.success(),
        "findmnt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).expect("findmnt JSON");
    let rows = json["filesystems"].as_array().expect("filesystems array");
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let mut seen = 0;
    for row in rows {
        let id = row["id"].as_u64().expect("numeric id") as u32;
        let m = table
            .iter()
            .find(|m| m.id() == id)
            .unwrap_or_else(|| panic!("findmnt row {row} is not in our table"));
        seen += 1;
        let ctx = format!("mount {id} ({})", m.target().display());
        assert_eq!(
            row["parent"].as_u64(),
            Some(u64::from(m.parent_id())),
            "{ctx}"
        );
        assert_eq!(
            text(&row["maj:min"]),
            Some(format!("{}:{}", m.major(), m.minor())),
            "{ctx}"
        );
        assert_eq!(
            text(&row["fsroot"]),
            Some(lossy(m.root().as_os_str().as_bytes())),
            "{ctx}"
        );
        assert_eq!(
            text(&row["target"]),
            Some(lossy(m.target().as_os_str().as_bytes())),
            "{ctx}"
        );
        assert_eq!(
            text(&row["source"]),
            m.source().map(|s| lossy(s.as_bytes())),
            "{ctx}"
        );
        assert_eq!(
            text(&row["fstype"]),
            Some(lossy(m.fstype().as_bytes())),
            "{ctx}"
        );
        assert_eq!(
            text(&row["vfs-options"]).as_deref(),
            Some(m.options()),
            "{ctx}"
        );
        assert_eq!(
            text(&row["fs-options"]),
            Some(lossy(m.super_options().as_bytes())),
            "{ctx}"
        );
        assert_eq!(
            text(&row["propagation"]),
            Some(m.propagation().to_string()),
            "{ctx}"
        );
    }
    assert_eq!(
        seen,
        table.len(),
        "findmnt lists {seen} mounts, we list {}",
        table.len()
    );
}

/// A child process in its own mount namespace (made by `setup` after unshare), alive until
/// [`Holder::finish`].
struct Holder {
    pid: libc::pid_t,
    go: Option<OwnedFd>,
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds is an array of two ints for the kernel to fill.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: two new descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn spawn_holder(setup: impl FnOnce()) -> Holder {
    let (ready_r, ready_w) = pipe();
    let (go_r, go_w) = pipe();
    // SAFETY: the test case is single-threaded; the child runs `setup` and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        drop(ready_r);
        drop(go_w);
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            mntns::unshare(Namespaces::MOUNT).unwrap();
            setup();
        }))
        .is_ok();
        let mut byte = [0u8; 1];
        // SAFETY: plain reads and writes on our pipe ends, then _exit.
        unsafe {
            if ok {
                libc::write(ready_w.as_raw_fd(), b"1".as_ptr().cast(), 1);
                // Blocks until the parent closes its end.
                libc::read(go_r.as_raw_fd(), byte.as_mut_ptr().cast(), 1);
            }
            libc::_exit(if ok { 0 } else { 1 })
        }
    }
    drop(ready_w);
    drop(go_r);
    let mut byte = [0u8; 1];
    // SAFETY: reading one byte from our pipe end.
    let n = unsafe { libc::read(ready_r.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
    assert_eq!(n, 1, "the namespace holder failed its setup");
    Holder {
        pid,
        go: Some(go_w),
    }
}

impl Holder {
    fn pid(&self) -> Pid {
        Pid::from_raw(self.pid).unwrap()
    }

    /// Lets the holder exit and reaps it.
    fn finish(mut self) {
        assert_eq!(self.release(), 0, "the namespace holder failed");
    }

    fn release(&mut self) -> i32 {
        if self.go.take().is_none() {
            return 0;
        }
        let mut status = 0;
        // SAFETY: waitpid on our own child.
        unsafe { libc::waitpid(self.pid, &mut status, 0) };
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            128
        }
    }
}

impl Drop for Holder {
    /// A failed assertion must not leave the holder running.
    fn drop(&mut self) {
        self.release();
    }
}

// ---------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------

/// statmount and mountinfo give the same records for the caller's namespace, also for
/// paths with spaces, tabs, newlines, backslashes and non-UTF-8 bytes, decoded.
fn backends_agree_on_awkward_table(ctx: &Ctx) {
    let made = build_varied_table(&ctx.dir("base"));
    let table = both_ways(false, |s| table::mounts_with(None, s));
    for target in &made {
        let m = find(&table, target)
            .unwrap_or_else(|| panic!("{} missing from {table:#?}", target.display()));
        assert_eq!(m.fstype(), "tmpfs");
    }
    let m = find(&table, &made[0]).unwrap();
    assert_eq!(m.source(), Some(OsStr::new("src with space")));
    // Rootless, tmpfs adds its owner (uid=65534,gid=65534): compare the start.
    assert!(
        m.super_options().as_bytes().starts_with(b"rw,size=64k"),
        "{m:?}"
    );
    let m = find(&table, &made[2]).unwrap();
    assert_eq!(m.source().unwrap().as_bytes(), b"src-\xe9-latin1");
    // The flags come out in the kernel's order, from the kernel.
    let flagged = find(&table, &ctx.scratch().join("base/flagged")).unwrap();
    assert_eq!(flagged.options(), "ro,nosuid,nodev,noexec,noatime");
    assert!(flagged.is_read_only());
    let strict = find(&table, &ctx.scratch().join("base/strict")).unwrap();
    assert_eq!(strict.options(), "rw,nodiratime,nosymfollow");
    let synced = find(&table, &ctx.scratch().join("base/synced")).unwrap();
    let super_opts = synced.super_options().as_bytes();
    assert!(
        super_opts.starts_with(b"rw,sync,dirsync,lazytime,size=8k"),
        "{synced:?}"
    );
    let nodiratime = find(&table, &ctx.scratch().join("base/nodiratime")).unwrap();
    assert_eq!(nodiratime.options(), "rw,noexec,nodiratime,relatime");
    let sourceless = find(&table, &ctx.scratch().join("base/sourceless")).unwrap();
    assert_eq!(sourceless.source(), Some(OsStr::new("none")));
    let empty = find(&table, &ctx.scratch().join("base/empty source")).unwrap();
    assert_eq!(empty.source(), None);
    let sub = find(&table, &ctx.scratch().join("base/sub bind")).unwrap();
    assert_eq!(sub.root(), Path::new("/sub"));
    let prop = |name: &str| {
        find(&table, &ctx.scratch().join("base").join(name))
            .unwrap()
            .propagation()
    };
    assert_eq!(prop("shared").to_string(), "shared");
    assert_eq!(prop("peer").shared, prop("shared").shared);
    assert_eq!(prop("slave").to_string(), "private,slave");
    assert_eq!(prop("slave").master, prop("shared").shared);
    assert_eq!(prop("shared slave").to_string(), "shared,slave");
    assert_eq!(prop("unbindable").to_string(), "private,unbindable");
    // The parent links form a tree rooted at "/".
    let root = find(&table, Path::new("/")).expect("a / mount");
    for m in &table {
        if m.id() != root.id() {
            assert!(
                table.iter().any(|p| p.id() == m.parent_id()),
                "{m:?} has no parent"
            );
        }
    }
}

/// The records equal findmnt's for the same namespace.
fn findmnt_oracle(ctx: &Ctx) {
    build_varied_table(&ctx.dir("base"));
    let table = table::mounts(None).unwrap();
    assert_matches_findmnt(&table, None);
    let mi = table::mounts_with(None, TableSource::Mountinfo).unwrap();
    assert_matches_findmnt(&mi, None);
}

/// Another live process's namespace: read by namespace and by pid, without entering it;
/// a tmpfs made there is in its table and not in ours; findmnt -N agrees.
fn other_process_namespace(ctx: &Ctx) {
    let there = ctx.dir("only-there");
    let there2 = there.clone();
    let holder = spawn_holder(move || tmpfs(&there2, b"elsewhere", 0, "size=16k"));
    let ns = NsFd::of_pid(holder.pid(), NsKind::Mount).unwrap();
    assert_ne!(ns.id(), mntns::NsId::of_self(NsKind::Mount).unwrap());

    let theirs = both_ways(true, |s| table::mounts_of_namespace_with(&ns, s));
    let m = find(&theirs, &there).expect("the tmpfs made in the other namespace");
    assert_eq!(m.source(), Some(OsStr::new("elsewhere")));
    assert!(
        m.super_options().as_bytes().starts_with(b"rw,size=16k"),
        "{m:?}"
    );
    let by_pid = both_ways(false, |s| table::mounts_with(Some(holder.pid()), s));
    assert_same("by namespace vs by pid", &theirs, &by_pid);
    assert_matches_findmnt(&by_pid, Some(holder.pid));

    let ours = table::mounts(None).unwrap();
    assert!(
        find(&ours, &there).is_none(),
        "leaked into the caller's table"
    );
    // Our own namespace through its NsFd is our own table.
    let own = NsFd::of_self(NsKind::Mount).unwrap();
    assert_same(
        "own namespace",
        &ours,
        &table::mounts_of_namespace(&own).unwrap(),
    );
    holder.finish();
}

/// A namespace held only by an open fd: its last process exited. statmount reads it by
/// id; the mountinfo backend forks a child that joins it. Both agree, leak no fd, and
/// work from a multithreaded caller.
fn namespace_held_only_by_fd(ctx: &Ctx) {
    let there = ctx.dir("pinned");
    let there2 = there.clone();
    let holder = spawn_holder(move || tmpfs(&there2, b"pinned-src", 0, "size=8k"));
    let ns = NsFd::of_pid(holder.pid(), NsKind::Mount).unwrap();
    let pid = holder.pid;
    holder.finish();
    // Nothing in /proc is in that namespace any more.
    let procs = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| {
            mntns::NsId::of_pid(Pid::from_raw(p).unwrap(), NsKind::Mount).ok() == Some(ns.id())
        })
        .count();
    assert_eq!(procs, 0, "process {pid} should be gone");

    let table = both_ways(true, |s| table::mounts_of_namespace_with(&ns, s));
    let m = find(&table, &there).expect("the tmpfs of the pinned namespace");
    assert_eq!(m.source(), Some(OsStr::new("pinned-src")));
    assert!(find(&table::mounts(None).unwrap(), &there).is_none());

    assert_no_fd_leak(|| {
        table::mounts_of_namespace_with(&ns, TableSource::Mountinfo).unwrap();
    });

    // From a multithreaded caller, with other threads allocating and locking all along.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let lock = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (stop, lock) = (stop.clone(), lock.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut v = lock.lock().unwrap();
                    v.push(vec![0u8; 4096]);
                    if v.len() > 64 {
                        v.clear();
                    }
                }
            })
        })
        .collect();
    for _ in 0..50 {
        let again = table::mounts_of_namespace_with(&ns, TableSource::Mountinfo).unwrap();
        assert_same("threaded caller", &table, &again);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
}

/// A namespace pinned only by a bind mount of its nsfs file (as `ip netns` and
/// `unshare --mount=FILE` keep them): opened by path, it reads like any other.
fn namespace_pinned_by_bind_mount(ctx: &Ctx) {
    mntns_testkit::prepare_mount_ns_binds();
    let there = ctx.dir("pinned");
    let there2 = there.clone();
    let holder = spawn_holder(move || tmpfs(&there2, b"bound", 0, ""));
    let file = ctx.scratch().join("mnt-ns");
    std::fs::write(&file, b"").unwrap();
    let ns_file = PathBuf::from(format!("/proc/{}/ns/mnt", holder.pid));
    mount(ns_file.as_os_str().as_bytes(), &file, "", libc::MS_BIND, "");
    holder.finish();
    let ns = NsFd::open(&file).unwrap();
    let table = both_ways(true, |s| table::mounts_of_namespace_with(&ns, s));
    let m = find(&table, &there).expect("the tmpfs of the bound namespace");
    assert_eq!(m.source(), Some(OsStr::new("bound")));
    // Our own table shows the pin itself: an nsfs mount on the file.
    let ours = table::mounts(None).unwrap();
    assert_eq!(find(&ours, &file).expect("the pin").fstype(), "nsfs");
    assert!(find(&ours, &there).is_none());
}

/// With statmount and listmount failing (ENOSYS: an old kernel; EPERM: a seccomp policy),
/// Auto still works and equals what statmount said before the filter.
fn fallback_without_statmount(ctx: &Ctx) {
    build_varied_table(&ctx.dir("base"));
    let there = ctx.dir("pinned");
    let there2 = there.clone();
    let holder = spawn_holder(move || tmpfs(&there2, b"pinned", 0, ""));
    let ns = NsFd::of_pid(holder.pid(), NsKind::Mount).unwrap();
    holder.finish();
    let own_before = table::mounts_with(None, TableSource::Statmount).unwrap();
    let pinned_before = table::mounts_of_namespace_with(&ns, TableSource::Statmount).unwrap();

    for errno in [libc::ENOSYS, libc::EPERM] {
        let status = in_child(|| {
            deny_syscalls(&[nr::STATMOUNT, nr::LISTMOUNT], errno);
            let own = table::mounts(None).unwrap();
            assert!(
                own.iter().all(|m| m.unique_id().is_none()),
                "not the fallback"
            );
            assert_same("own table after the filter", &own_before, &own);
            let pinned = table::mounts_of_namespace(&ns).unwrap();
            assert!(pinned.iter().all(|m| m.unique_id().is_none()));
            assert_same("pinned table after the filter", &pinned_before, &pinned);
            assert!(find(&pinned, &there).is_some());
            let e = table::mounts_with(None, TableSource::Statmount).unwrap_err();
            assert_eq!(e.errno().raw(), errno);
            if errno == libc::ENOSYS {
                assert!(e.to_string().contains("Linux 6.8"), "{e}");
            }
            let e = table::mounts_of_namespace_with(&ns, TableSource::Statmount).unwrap_err();
            assert_eq!(e.errno().raw(), errno);
        });
        assert_eq!(status, 0, "with statmount failing with errno {errno}");
    }
}

/// More mounts than one listmount batch (512), and strings longer than statmount's
/// first buffer: the paging and the EOVERFLOW retry give the whole table.
fn large_table_and_long_strings(ctx: &Ctx) {
    let stack = ctx.dir("stack");
    for i in 0..600 {
        mount(
            format!("layer{i}").as_bytes(),
            &stack,
            "tmpfs",
            0,
            "size=4k",
        );
    }
    // A mount point near PATH_MAX and a 3000-byte source: over 4 KiB of strings.
    let mut deep = ctx.dir("deep");
    while deep.as_os_str().len() < 3500 {
        deep.push("d".repeat(200));
    }
    let long_source = vec![b'S'; 3000];
    tmpfs(&deep, &long_source, 0, "size=4k");
    let table = both_ways(false, |s| table::mounts_with(None, s));
    let stacked = table.iter().filter(|m| m.target() == stack).count();
    assert_eq!(stacked, 600);
    let m = find(&table, &deep).expect("the deep mount");
    assert_eq!(m.source().unwrap().as_bytes(), &long_source[..]);
    assert_matches_findmnt(&table, None);
}

/// A process that exited (reaped, or a zombie) gives ESRCH "process N has exited" with
/// every backend.
fn exited_process_is_esrch(_ctx: &Ctx) {
    // SAFETY: the case is single-threaded; the child exits at once.
    let zombie = unsafe { libc::fork() };
    if zombie == 0 {
        // SAFETY: ends the child.
        unsafe { libc::_exit(0) };
    }
    // Wait for it to be a zombie (state Z), without reaping it.
    let stat = format!("/proc/{zombie}/stat");
    while !std::fs::read_to_string(&stat)
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let check = |pid: libc::pid_t| {
        for source in [
            TableSource::Auto,
            TableSource::Statmount,
            TableSource::Mountinfo,
        ] {
            let e = table::mounts_with(Some(Pid::from_raw(pid).unwrap()), source).unwrap_err();
            assert_eq!(e.errno(), Errno::ESRCH, "{source}: {e}");
            assert!(
                e.to_string().contains(&format!("process {pid} has exited")),
                "{e}"
            );
        }
    };
    check(zombie);
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(zombie, &mut status, 0) };
    check(zombie);
}

/// An unprivileged caller looking at a namespace owned by a user namespace it has no
/// capabilities over (here: after unsharing its own user namespace, at the namespace it
/// came from). statmount refuses (ENOENT, said why); another user namespace's process's
/// ns files need CAP_SYS_PTRACE, so Auto reads that process's mountinfo instead and gets
/// its table, as findmnt -N does; with only an fd and no process it may look at, joining
/// is refused and the error says why.
fn statmount_refused_falls_back(_ctx: &Ctx) {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let me_pid = Pid::from_raw(me).unwrap();
    let expected = table::mounts(None).unwrap();
    let status = in_child(|| {
        let host = NsFd::of_self(NsKind::Mount).unwrap();
        mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();

        let e = table::mounts_of_namespace_with(&host, TableSource::Statmount).unwrap_err();
        assert_eq!(e.errno(), Errno::ENOENT, "{e}");
        assert!(e.to_string().contains("CAP_SYS_ADMIN"), "{e}");
        let e = table::mounts_of_namespace(&host).unwrap_err();
        assert_eq!(e.errno(), Errno::EPERM, "{e}");
        assert!(
            e.to_string().contains("setns") && e.to_string().contains("CAP_SYS_ADMIN"),
            "{e}"
        );

        let e = table::mounts_with(Some(me_pid), TableSource::Statmount).unwrap_err();
        assert_eq!(e.errno(), Errno::EACCES, "{e}");
        assert!(e.to_string().contains("ptrace"), "{e}");
        let auto = table::mounts(Some(me_pid)).unwrap();
        assert!(
            auto.iter().all(|m| m.unique_id().is_none()),
            "not the fallback"
        );
        assert_same("fallback vs the process's own view", &expected, &auto);
        assert_matches_findmnt(&auto, Some(me));
    });
    assert_eq!(status, 0);
}

/// Only mount namespaces have mount tables: other kinds are refused before any syscall.
fn other_kinds_refused(_ctx: &Ctx) {
    let net = NsFd::of_self(NsKind::Net).unwrap();
    for source in [
        TableSource::Auto,
        TableSource::Statmount,
        TableSource::Mountinfo,
    ] {
        let e = table::mounts_of_namespace_with(&net, source).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("not a mount namespace"), "{e}");
    }
}

fn main() {
    mntns_testkit::main(&[
        case!(backends_agree_on_awkward_table, BOTH),
        case!(findmnt_oracle, BOTH),
        case!(other_process_namespace, BOTH),
        case!(namespace_held_only_by_fd, BOTH),
        case!(namespace_pinned_by_bind_mount, BOTH),
        case!(fallback_without_statmount, BOTH),
        case!(large_table_and_long_strings, BOTH),
        case!(exited_process_is_esrch, BOTH),
        case!(statmount_refused_falls_back, NOBODY_ONLY),
        case!(other_kinds_refused, BOTH),
    ]);
}
