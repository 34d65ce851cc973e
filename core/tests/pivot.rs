//! pivot_root against the real kernel: the whole sequence, in each case's own namespace.

use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use mntns::pivot::{PivotOptions, RootPropagation, pivot_root_with};
use mntns::{BindOptions, Errno, Namespaces, NsId, NsKind, TmpfsOptions};
use mntns_testkit::{BOTH, Ctx, ROOT, case, enter_rootless, host_mount_table, in_child, sh};

/// A tmpfs under the case's scratch directory holding the host's /usr (bound read-only) and
/// the usual bin/lib links, so commands run after the pivot.
fn make_root(ctx: &Ctx, name: &str) -> PathBuf {
    let root = ctx.dir(name);
    mntns::mount_tmpfs(&root, &TmpfsOptions::parse("size=4m,mode=755").unwrap()).unwrap();
    populate(&root);
    root
}

fn populate(root: &Path) {
    std::fs::create_dir(root.join("usr")).unwrap();
    let ro = BindOptions::new().readonly(true);
    mntns::bind(Path::new("/usr"), &root.join("usr"), &ro).unwrap();
    for link in ["bin", "lib", "lib64", "sbin"] {
        if let Ok(target) = std::fs::read_link(Path::new("/").join(link)) {
            symlink(target, root.join(link)).unwrap();
        }
    }
    std::fs::create_dir(root.join("tmp")).unwrap();
    std::fs::write(root.join("marker"), "new root\n").unwrap();
}

/// The caller's /proc, opened before a pivot so that it stays readable afterwards (the
/// detached old root keeps the mount alive for as long as the descriptor is open).
struct Proc(std::fs::File);

impl Proc {
    fn open() -> Proc {
        Proc(std::fs::File::open("/proc").unwrap())
    }

    fn read(&self, rel: &str) -> String {
        std::io::read_to_string(open_at(self, rel)).unwrap()
    }

    /// Sorted mount points of the calling thread.
    fn mount_points(&self) -> Vec<String> {
        let mut points: Vec<String> = self
            .read("thread-self/mountinfo")
            .lines()
            .map(|l| l.split(' ').nth(4).unwrap().to_owned())
            .collect();
        points.sort();
        points
    }
}

fn run(cmd: &str) -> String {
    // stdin inherited: `output()` would open /dev/null, which the new roots here lack.
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::inherit())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pivot_into_tmpfs_detaches_old_root(ctx: &Ctx) {
    let root = make_root(ctx, "root");
    let proc = Proc::open();
    mntns::pivot_root(&root, None).unwrap();
    assert_eq!(std::fs::read_to_string("/marker").unwrap(), "new root\n");
    assert_eq!(std::env::current_dir().unwrap(), Path::new("/"));
    // Only the new root and what was mounted in it remain: the old root is gone.
    let points = proc.mount_points();
    assert_eq!(
        points,
        vec!["/".to_owned(), "/usr".to_owned()],
        "{points:?}"
    );
    // `cd ..` from / stays at /, and a process started here sees / as its cwd.
    assert_eq!(run("cd .. && cd .. && pwd").trim(), "/");
    assert_eq!(run("cat /marker").trim(), "new root");
    assert!(
        !Path::new(ctx.scratch()).exists(),
        "the old root's paths are unreachable"
    );
}

/// Mounts a proc at `dir`: a new instance as root, a recursive bind of the old one
/// rootless (a user namespace may not mount a proc of a pid namespace it does not own).
fn mount_proc(dir: &str) {
    let c = std::ffi::CString::new(dir).unwrap();
    // SAFETY: constant strings and a NUL-terminated target.
    let rc = unsafe {
        libc::mount(
            c"proc".as_ptr(),
            c.as_ptr(),
            c"proc".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "mount proc: {}", std::io::Error::last_os_error());
}

fn plain_directory_root_is_bound_onto_itself(ctx: &Ctx) {
    // The new root is a directory on the host filesystem, not a mount point.
    let root = ctx.dir("plain");
    populate_dirs_only(&root);
    mntns::pivot_root(&root, None).unwrap();
    assert_eq!(std::fs::read_to_string("/marker").unwrap(), "plain\n");
    assert_eq!(std::env::current_dir().unwrap(), Path::new("/"));
}

fn populate_dirs_only(root: &Path) {
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::write(root.join("marker"), "plain\n").unwrap();
}

fn keep_old_root_at_path(ctx: &Ctx) {
    let root = make_root(ctx, "root");
    let marker = ctx.scratch().join("outside");
    std::fs::write(&marker, "old\n").unwrap();
    mntns::pivot_root(&root, Some(Path::new("/old-root"))).unwrap();
    // The old root is exactly at /old-root: its files are reachable through it.
    let seen = Path::new("/old-root").join(marker.strip_prefix("/").unwrap());
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), "old\n");
    // It can then be detached, leaving the new root alone and the directory pivot_root
    // created for it (mode 0700) empty.
    mntns::unmount(Path::new("/old-root"), mntns::UnmountFlags::DETACH).unwrap();
    assert!(!seen.exists());
    let meta = std::fs::metadata("/old-root").unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    assert_eq!(std::env::current_dir().unwrap(), Path::new("/"));
}

fn walkthrough_relative_old_root_name(ctx: &Ctx) {
    let root = make_root(ctx, "root");
    std::fs::create_dir(root.join("old-root")).unwrap();
    pivot_root_with(
        &root,
        &PivotOptions::new()
            .keep_old_root("old-root")
            .propagation(RootPropagation::Private),
    )
    .unwrap();
    assert!(Path::new("/old-root/usr/bin").exists());
    assert_eq!(run("ls /marker").trim(), "/marker");
}

/// The case builds its own "host": `/` rshared, then child namespaces (whose mounts start as
/// peers of ours) make `/` rslave, build a root, pivot and mount there. Nothing may appear in
/// our table. A control child that skips the rslave step shows that the "host" really would
/// see leaks.
fn shared_host_stays_unchanged(ctx: &Ctx) {
    make_rshared();
    let before = host_mount_table();
    let control = ctx.dir("control");
    let status = in_child(move || {
        mntns::unshare(Namespaces::MOUNT).unwrap();
        mntns::mount_tmpfs(&control, &TmpfsOptions::parse("size=1m").unwrap()).unwrap();
    });
    assert_eq!(status, 0);
    assert_ne!(
        before,
        host_mount_table(),
        "control: a shared mount must propagate"
    );
    mntns::unmount(&ctx.scratch().join("control"), mntns::UnmountFlags::DETACH).unwrap();
    assert_eq!(before, host_mount_table());
    for i in 0..20 {
        let name = format!("root{i}");
        let root = ctx.dir(&name);
        let status = in_child(move || {
            mntns::unshare(Namespaces::MOUNT).unwrap();
            mntns::set_propagation(Path::new("/"), mntns::Propagation::Slave, true).unwrap();
            mntns::mount_tmpfs(&root, &TmpfsOptions::parse("size=1m").unwrap()).unwrap();
            populate(&root);
            mntns::pivot_root(&root, None).unwrap();
            std::fs::create_dir("/tmp/t").unwrap();
            mntns::mount_tmpfs(
                Path::new("/tmp/t"),
                &TmpfsOptions::parse("size=64k").unwrap(),
            )
            .unwrap();
        });
        assert_eq!(status, 0);
    }
    assert_eq!(
        before,
        host_mount_table(),
        "a sandbox leaked into the shared outer table"
    );
}

fn make_rshared() {
    // SAFETY: constant strings.
    let rc = unsafe {
        libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_SHARED,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "make / rshared: {}", std::io::Error::last_os_error());
}

fn shared_new_root_still_pivots(ctx: &Ctx) {
    make_rshared();
    let root = make_root(ctx, "root");
    // The new root itself shared with a peer: pivot_root(2) alone would fail with EINVAL.
    let peer = ctx.dir("peer");
    mntns::bind(&root, &peer, &BindOptions::new()).unwrap();
    assert!(sh("grep ' shared:' /proc/self/mountinfo | wc -l").trim() != "0");
    mntns::pivot_root(&root, None).unwrap();
    assert_eq!(std::fs::read_to_string("/marker").unwrap(), "new root\n");
}

fn refuses_in_namespace_of_pid_1(ctx: &Ctx) {
    let _ = ctx;
    // Make this process's own mount namespace the one of "pid 1": a new pid namespace whose
    // first process is us, with a /proc of that pid namespace.
    mntns::unshare(Namespaces::PID).unwrap();
    let status = in_child(|| {
        assert_eq!(std::process::id(), 1);
        mntns::unshare(Namespaces::MOUNT).unwrap();
        mount_proc("/proc");
        let before = host_mount_table();
        let e = mntns::pivot_root(Path::new("/tmp"), None).unwrap_err();
        assert_eq!(e.errno(), Errno::EPERM);
        assert!(e.to_string().contains("initial mount namespace"), "{e}");
        assert_eq!(
            before,
            host_mount_table(),
            "the refusal must come before any change"
        );
    });
    assert_eq!(status, 0);
}

fn bad_new_roots_are_named(ctx: &Ctx) {
    let missing = ctx.scratch().join("missing");
    let e = mntns::pivot_root(&missing, None).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT);
    assert_eq!(e.path(), Some(missing.as_path()));
    assert!(e.to_string().starts_with("open new root "), "{e}");

    let file = ctx.scratch().join("file");
    std::fs::write(&file, "").unwrap();
    let e = mntns::pivot_root(&file, None).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOTDIR);

    let fifo = ctx.scratch().join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo on a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let e = mntns::pivot_root(&fifo, None).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOTDIR);
    assert_eq!(e.path(), Some(fifo.as_path()));

    let e = mntns::pivot_root(&file, Some(Path::new("../escape"))).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains(".."), "{e}");

    // A symlink to a directory is followed (the caller names the new root on its side).
    let root = make_root(ctx, "real");
    let link = ctx.scratch().join("link");
    symlink(&root, &link).unwrap();
    mntns::pivot_root(&link, None).unwrap();
    assert_eq!(std::fs::read_to_string("/marker").unwrap(), "new root\n");
}

/// A directory the caller cannot search gives EACCES, not EPERM. Root can search anything,
/// so the directory belongs to an unmapped uid and the caller is rootless.
fn unsearchable_root_is_eacces(ctx: &Ctx) {
    let parent = ctx.dir("locked");
    let root = parent.join("root");
    std::fs::create_dir(&root).unwrap();
    let c = std::ffi::CString::new(parent.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: chown on a NUL-terminated path.
    assert_eq!(unsafe { libc::chown(c.as_ptr(), 12345, 12345) }, 0);
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o700)).unwrap();
    let status = in_child(move || {
        enter_rootless();
        let e = mntns::pivot_root(&root, None).unwrap_err();
        assert_eq!(e.errno(), Errno::EACCES, "{e}");
        assert_eq!(e.path(), Some(root.as_path()));
    });
    assert_eq!(status, 0);
}

fn pivot_into_current_root_is_explained(_ctx: &Ctx) {
    let e = mntns::pivot_root(Path::new("/"), None).unwrap_err();
    assert!(matches!(e.errno(), Errno::EINVAL | Errno::EBUSY), "{e}");
    assert!(e.to_string().contains("already the current root"), "{e}");
}

fn ids_and_cwd_after_pivot(ctx: &Ctx) {
    let id = NsId::of_self(NsKind::Mount).unwrap();
    let root = make_root(ctx, "root");
    let inode = std::fs::metadata(&root).unwrap().ino();
    let proc = Proc::open();
    mntns::pivot_root(&root, None).unwrap();
    assert_eq!(std::fs::metadata("/").unwrap().ino(), inode);
    // pivot_root changes the root, not the namespace.
    let ns = NsId::of_fd(open_at(&proc, "thread-self/ns/mnt").as_fd()).unwrap();
    assert_eq!(ns, id);
    // getcwd is "/" and not "(unreachable)/…".
    assert_eq!(run("pwd -P").trim(), "/");
}

fn open_at(proc: &Proc, rel: &str) -> std::fs::File {
    use std::os::fd::{AsRawFd, FromRawFd};
    let c = std::ffi::CString::new(rel).unwrap();
    // SAFETY: openat on an open directory fd and a NUL-terminated relative path.
    let fd = unsafe {
        libc::openat(
            proc.0.as_raw_fd(),
            c.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    assert!(
        fd >= 0,
        "open /proc/{rel}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: fd is a new descriptor we own.
    unsafe { std::fs::File::from_raw_fd(fd) }
}

fn main() {
    mntns_testkit::main(&[
        case!(pivot_into_tmpfs_detaches_old_root, BOTH),
        case!(plain_directory_root_is_bound_onto_itself, BOTH),
        case!(keep_old_root_at_path, BOTH),
        case!(walkthrough_relative_old_root_name, BOTH),
        case!(shared_host_stays_unchanged, BOTH),
        case!(shared_new_root_still_pivots, BOTH),
        case!(refuses_in_namespace_of_pid_1, ROOT),
        case!(bad_new_roots_are_named, BOTH),
        case!(unsearchable_root_is_eacces, ROOT),
        case!(pivot_into_current_root_is_explained, BOTH),
        case!(ids_and_cwd_after_pivot, BOTH),
    ]);
}
