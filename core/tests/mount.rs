//! Mount operations against the real kernel: tmpfs sizes and options, binds (recursive,
//! read-only, fallbacks, locked flags), mount flags, propagation and unmounting. Each case
//! runs in a forked child with its own mount namespace (see the mntns-testkit crate); the
//! harness checks that the host's mount table is unchanged afterwards.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use mntns::mount::{
    BindOptions, Inodes, MountFlags, Propagation, Size, TmpfsOptions, UnmountFlags, bind,
    mount_tmpfs, set_mount_flags, set_propagation, unmount,
};
use mntns::{Errno, Namespaces};
use mntns_testkit::{
    BOTH, Ctx, Mode, NOBODY, NOBODY_ONLY, ROOT, ROOTLESS, case, deny_syscalls, in_child, nr, sh,
};

// ---------------------------------------------------------------------------------------
// Helpers: what the kernel says about a mount
// ---------------------------------------------------------------------------------------

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

struct Fs {
    blocks: u64,
    bsize: u64,
    files: u64,
    ffree: u64,
}

fn statfs(p: &Path) -> Fs {
    // SAFETY: statfs is plain old data.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and writable struct.
    let rc = unsafe { libc::statfs(cpath(p).as_ptr(), &mut st) };
    assert_eq!(rc, 0, "statfs {}: {}", p.display(), Errno::last());
    Fs {
        blocks: st.f_blocks,
        bsize: st.f_bsize as u64,
        files: st.f_files,
        ffree: st.f_ffree,
    }
}

/// The per-mount flags statvfs reports, as MountFlags.
fn vfs_flags(p: &Path) -> MountFlags {
    // SAFETY: statvfs is plain old data.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and writable struct.
    let rc = unsafe { libc::statvfs(cpath(p).as_ptr(), &mut st) };
    assert_eq!(rc, 0, "statvfs {}: {}", p.display(), Errno::last());
    let f = st.f_flag;
    let mut flags = MountFlags::empty();
    for (bit, flag) in [
        (libc::ST_RDONLY, MountFlags::RDONLY),
        (libc::ST_NOSUID, MountFlags::NOSUID),
        (libc::ST_NODEV, MountFlags::NODEV),
        (libc::ST_NOEXEC, MountFlags::NOEXEC),
        (libc::ST_NOATIME, MountFlags::NOATIME),
        (libc::ST_NODIRATIME, MountFlags::NODIRATIME),
        (libc::ST_RELATIME, MountFlags::RELATIME),
        (0x2000, MountFlags::NOSYMFOLLOW),
    ] {
        if f & bit != 0 {
            flags |= flag;
        }
    }
    flags
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as u64 }
}

fn ram_pages() -> u64 {
    // SAFETY: sysinfo is plain old data.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: writable struct.
    assert_eq!(unsafe { libc::sysinfo(&mut info) }, 0);
    info.totalram as u64 * u64::from(info.mem_unit) / page_size()
}

fn round_up_to_page(n: u64) -> u64 {
    n.div_ceil(page_size()) * page_size()
}

/// Escapes a path the way mountinfo does (space, tab, newline, backslash as `\ooo`).
fn mountinfo_escape(p: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in p.as_os_str().as_bytes() {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') {
            out.extend(format!("\\{b:03o}").bytes());
        } else {
            out.push(b);
        }
    }
    out
}

/// One line of mountinfo, split into the fields the tests look at.
#[derive(Debug)]
struct MountLine {
    opts: Vec<String>,
    optional: Vec<String>,
    fstype: String,
    super_opts: Vec<String>,
}

/// The topmost mount at `target` in a mountinfo text.
fn find_mount_in(text: &[u8], target: &Path) -> Option<MountLine> {
    let want = mountinfo_escape(target);
    let mut found = None;
    for line in text.split(|&b| b == b'\n') {
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if fields.len() < 10 || fields[4] != want.as_slice() {
            continue;
        }
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let dash = fields.iter().position(|f| *f == b"-").unwrap();
        found = Some(MountLine {
            opts: s(fields[5]).split(',').map(str::to_owned).collect(),
            optional: fields[6..dash].iter().map(|f| s(f)).collect(),
            fstype: s(fields[dash + 1]),
            super_opts: s(fields[dash + 3]).split(',').map(str::to_owned).collect(),
        });
    }
    found
}

fn find_mount(target: &Path) -> Option<MountLine> {
    find_mount_in(&std::fs::read("/proc/self/mountinfo").unwrap(), target)
}

fn mounted(target: &Path) -> MountLine {
    find_mount(target).unwrap_or_else(|| panic!("{} is not mounted", target.display()))
}

fn shared_id(line: &MountLine) -> Option<&str> {
    line.optional.iter().find_map(|f| f.strip_prefix("shared:"))
}

fn master_id(line: &MountLine) -> Option<&str> {
    line.optional.iter().find_map(|f| f.strip_prefix("master:"))
}

fn errno_of(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap())
}

fn write_file(p: &Path, data: &[u8]) -> Result<(), Errno> {
    let mut f = File::create(p).map_err(errno_of)?;
    f.write_all(data).map_err(errno_of)?;
    f.sync_all().map_err(errno_of)
}

fn tmpfs(target: &Path, opts: &str) {
    mount_tmpfs(target, &TmpfsOptions::parse(opts).unwrap()).unwrap();
}

/// A process in a sibling mount namespace, created by `unshare -m` (propagation left as
/// it is) from the case's namespace at the time of the call. Dropping it ends it.
struct Sibling {
    child: Child,
    pid: u32,
}

impl Sibling {
    fn spawn() -> Sibling {
        let mut child = Command::new("unshare")
            .args([
                "-m",
                "--propagation",
                "unchanged",
                "sh",
                "-c",
                "echo $$; read x",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let pid = String::from_utf8(line).unwrap().trim().parse().unwrap();
        Sibling { child, pid }
    }

    fn find_mount(&self, target: &Path) -> Option<MountLine> {
        let text = std::fs::read(format!("/proc/{}/mountinfo", self.pid)).unwrap();
        find_mount_in(&text, target)
    }
}

impl Drop for Sibling {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Drops to nobody without capabilities (what the harness does for rootless cases).
fn drop_to_nobody() {
    // SAFETY: plain credential calls with constant arguments.
    unsafe {
        assert_eq!(libc::setgroups(0, std::ptr::null()), 0);
        assert_eq!(libc::setresgid(NOBODY, NOBODY, NOBODY), 0);
        assert_eq!(libc::setresuid(NOBODY, NOBODY, NOBODY), 0);
        assert_eq!(libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
    }
}

/// Creates a user namespace (mapping `outer_uid` to 0) and a mount namespace it owns:
/// every mount copied into it is now locked, flags included.
fn enter_less_privileged_namespace(outer_uid: u32) {
    mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();
    std::fs::write("/proc/self/setgroups", "deny").unwrap();
    std::fs::write("/proc/self/uid_map", format!("0 {outer_uid} 1")).unwrap();
    std::fs::write("/proc/self/gid_map", format!("0 {outer_uid} 1")).unwrap();
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

const NEW_MOUNT_API: &[libc::c_long] = &[nr::MOUNT_SETATTR, nr::OPEN_TREE, nr::MOVE_MOUNT];

// ---------------------------------------------------------------------------------------
// tmpfs
// ---------------------------------------------------------------------------------------

fn tmpfs_sizes_show_in_statfs(ctx: &Ctx) {
    let target = ctx.dir("t");
    for text in [
        "1", "4096", "4097", "10000", "64k", "64K", "1m", "3M", "1g", "2G", "1t", "1T", "4194304t",
    ] {
        let size = Size::parse(text).unwrap();
        let bytes = size.bytes().unwrap().unwrap();
        mount_tmpfs(&target, &TmpfsOptions::new().size(size)).unwrap();
        let fs = statfs(&target);
        assert_eq!(fs.bsize, page_size(), "{text}");
        assert_eq!(fs.blocks * fs.bsize, round_up_to_page(bytes), "{text}");
        // df agrees (an oracle users already trust).
        let df = sh(&format!("df -B1 --output=size {}", target.display()));
        let df_bytes: u64 = df.lines().nth(1).unwrap().trim().parse().unwrap();
        assert_eq!(df_bytes, round_up_to_page(bytes), "{text}: df says {df}");
        assert_eq!(mounted(&target).fstype, "tmpfs");
        unmount(&target, UnmountFlags::empty()).unwrap();
    }
}

fn tmpfs_percent_matches_the_kernel(ctx: &Ctx) {
    let ours = ctx.dir("ours");
    let kernels = ctx.dir("kernels");
    for percent in [1, 10, 33, 50, 100] {
        let text = format!("{percent}%");
        let size = Size::parse(&text).unwrap();
        assert_eq!(size, Size::Percent(percent));
        mount_tmpfs(&ours, &TmpfsOptions::new().size(size)).unwrap();
        // The same percentage parsed by the kernel itself.
        let data = CString::new(format!("size={percent}%")).unwrap();
        // SAFETY: valid C strings.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                cpath(&kernels).as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                data.as_ptr().cast(),
            )
        };
        assert_eq!(rc, 0, "{}", Errno::last());
        let (a, b) = (statfs(&ours), statfs(&kernels));
        assert_eq!(a.blocks, b.blocks, "{text}");
        assert_eq!(
            a.blocks * a.bsize,
            round_up_to_page(size.bytes().unwrap().unwrap())
        );
        assert!(a.blocks > 0 && a.blocks <= ram_pages(), "{text}");
        unmount(&ours, UnmountFlags::empty()).unwrap();
        unmount(&kernels, UnmountFlags::empty()).unwrap();
    }
}

fn tmpfs_default_is_half_of_ram(ctx: &Ctx) {
    let target = ctx.dir("t");
    mount_tmpfs(&target, &TmpfsOptions::new()).unwrap();
    let fs = statfs(&target);
    // No size: the kernel's default, half of RAM — a limit, not "unlimited" (0).
    assert_eq!(fs.blocks, ram_pages() / 2);
    assert!(fs.files > 0);
}

fn tmpfs_unlimited_only_when_asked(ctx: &Ctx) {
    let target = ctx.dir("t");
    let opts = TmpfsOptions::new()
        .size(Size::Unlimited)
        .nr_inodes(Inodes::Unlimited);
    assert_eq!(opts.data().unwrap(), "size=0,nr_inodes=0");
    mount_tmpfs(&target, &opts).unwrap();
    let fs = statfs(&target);
    assert_eq!(
        (fs.blocks, fs.files),
        (0, 0),
        "unlimited shows as 0 blocks, 0 files"
    );
    unmount(&target, UnmountFlags::empty()).unwrap();

    // The kernel's trap: a size near 2^64 wraps to 0 pages, i.e. unlimited...
    let data = c"size=18446744073709551615";
    // SAFETY: valid C strings.
    let rc = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            cpath(&target).as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    assert_eq!(rc, 0, "{}", Errno::last());
    assert_eq!(statfs(&target).blocks, 0, "the kernel made it unlimited");
    unmount(&target, UnmountFlags::empty()).unwrap();
    // ...which libmntns refuses, before mounting anything.
    for text in ["18446744073709551615", "0", "16777216t"] {
        let e = Size::parse(text).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains(&format!("{text:?}")), "{e}");
    }
    for size in [Size::Bytes(u64::MAX), Size::Bytes(0)] {
        let e = mount_tmpfs(&target, &TmpfsOptions::new().size(size)).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL, "{e}");
        assert!(find_mount(&target).is_none());
    }
    let e = mount_tmpfs(&target, &TmpfsOptions::new().nr_inodes(Inodes::Count(0))).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL, "{e}");
    assert!(find_mount(&target).is_none());
}

fn tmpfs_inodes_mode_and_owner(ctx: &Ctx) {
    let target = ctx.dir("t");
    // Rootless, only uid/gid 0 are mapped in the case's user namespace.
    let (uid, gid) = if ctx.mode == Mode::Root {
        (1234, 5678)
    } else {
        (0, 0)
    };
    let opts = TmpfsOptions::new()
        .nr_inodes(Inodes::parse("1k").unwrap())
        .mode(0o1750)
        .uid(uid)
        .gid(gid);
    mount_tmpfs(&target, &opts).unwrap();
    let fs = statfs(&target);
    assert_eq!(fs.files, 1024);
    let meta = std::fs::metadata(&target).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o1750);
    assert_eq!((meta.uid(), meta.gid()), (uid, gid));
    let line = mounted(&target);
    assert!(
        line.super_opts.contains(&"nr_inodes=1024".to_owned()),
        "{line:?}"
    );
    assert!(
        line.super_opts.contains(&"mode=1750".to_owned()),
        "{line:?}"
    );
    unmount(&target, UnmountFlags::empty()).unwrap();

    for (text, files) in [("7", 7), ("2k", 2048), ("1m", 1 << 20)] {
        tmpfs(&target, &format!("nr_inodes={text}"));
        assert_eq!(statfs(&target).files, files, "{text}");
        unmount(&target, UnmountFlags::empty()).unwrap();
    }

    if ctx.mode == Mode::Rootless {
        // An id not mapped in this user namespace: the kernel refuses; the hint says why.
        let e = mount_tmpfs(&target, &TmpfsOptions::new().uid(1234)).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL, "{e}");
        assert!(e.to_string().contains("uid 1234 may not be mapped"), "{e}");
    }
}

fn tmpfs_full_gives_enospc(ctx: &Ctx) {
    let target = ctx.dir("t");
    tmpfs(&target, "size=64k");
    let e = write_file(&target.join("big"), &vec![7u8; 256 << 10]).unwrap_err();
    assert_eq!(e, Errno::ENOSPC);
    unmount(&target, UnmountFlags::empty()).unwrap();

    tmpfs(&target, "nr_inodes=16");
    let free = statfs(&target).ffree;
    assert!(
        free > 0 && free < 16,
        "the root directory takes one inode: {free}"
    );
    let mut created = 0;
    let err = loop {
        match File::create(target.join(format!("f{created}"))) {
            Ok(_) => created += 1,
            Err(e) => break errno_of(e),
        }
        assert!(created <= 16, "more files than nr_inodes allows");
    };
    assert_eq!(err, Errno::ENOSPC);
    assert_eq!(created, free);
}

fn shmem_kib() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("Shmem:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap()
}

fn tmpfs_memory_returns_after_unmount(ctx: &Ctx) {
    const MIB_KIB: u64 = 1024;
    let target = ctx.dir("t");
    tmpfs(&target, "size=64m");
    let before = shmem_kib();
    write_file(&target.join("data"), &vec![1u8; 32 << 20]).unwrap();
    let full = shmem_kib();
    assert!(full >= before + 30 * MIB_KIB, "Shmem {before} -> {full} kB");
    unmount(&target, UnmountFlags::empty()).unwrap();
    let after = shmem_kib();
    assert!(
        after + 30 * MIB_KIB <= full,
        "Shmem {full} -> {after} kB after unmount"
    );
}

fn tmpfs_seen_only_in_its_namespace(ctx: &Ctx) {
    let target = ctx.dir("t");
    // A sibling namespace copied from this one before the mount.
    let sibling = Sibling::spawn();
    tmpfs(&target, "size=1m");
    let line = mounted(&target);
    assert_eq!(line.fstype, "tmpfs");
    assert!(
        line.super_opts.contains(&"size=1024k".to_owned()),
        "{line:?}"
    );
    let out = sh(&format!(
        "findmnt -n -o FSTYPE,SIZE -M {}",
        target.display()
    ));
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["tmpfs", "1M"],
        "{out}"
    );
    // A child that entered nothing new sees it too.
    assert_eq!(in_child(|| assert!(find_mount(&target).is_some())), 0);
    // The sibling namespace does not, and neither does findmnt looking into it.
    assert!(sibling.find_mount(&target).is_none());
    let status = Command::new("findmnt")
        .args(["-n", "--task", &sibling.pid.to_string(), "-M"])
        .arg(&target)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "findmnt found it in the sibling");
    if ctx.mode == Mode::Root {
        // The harness process lives in the host's namespace.
        // SAFETY: getppid has no preconditions.
        let parent = unsafe { libc::getppid() };
        let host = std::fs::read(format!("/proc/{parent}/mountinfo")).unwrap();
        assert!(find_mount_in(&host, &target).is_none());
    }
}

fn tmpfs_flags_apply(ctx: &Ctx) {
    let target = ctx.dir("t");
    let opts = TmpfsOptions::parse("size=1m,ro,nosuid,nodev,noexec,noatime,nosymfollow").unwrap();
    mount_tmpfs(&target, &opts).unwrap();
    let want = MountFlags::RDONLY
        | MountFlags::NOSUID
        | MountFlags::NODEV
        | MountFlags::NOEXEC
        | MountFlags::NOATIME
        | MountFlags::NOSYMFOLLOW;
    assert_eq!(vfs_flags(&target), want);
    let line = mounted(&target);
    for o in ["ro", "nosuid", "nodev", "noexec", "noatime", "nosymfollow"] {
        assert!(line.opts.contains(&o.to_owned()), "{o} missing: {line:?}");
    }
    assert_eq!(
        write_file(&target.join("x"), b"x").unwrap_err(),
        Errno::EROFS
    );
    unmount(&target, UnmountFlags::empty()).unwrap();

    tmpfs(&target, "strictatime,nodiratime");
    assert_eq!(vfs_flags(&target), MountFlags::NODIRATIME);
    assert!(mounted(&target).opts.contains(&"nodiratime".to_owned()));
}

// noswap succeeds only in the initial user namespace: a root-only behaviour.
fn tmpfs_noswap_as_root(ctx: &Ctx) {
    let target = ctx.dir("t");
    mount_tmpfs(&target, &TmpfsOptions::parse("size=1m,noswap").unwrap()).unwrap();
    let line = mounted(&target);
    assert!(line.super_opts.contains(&"noswap".to_owned()), "{line:?}");
}

// The kernel refuses noswap to mounts owned by a user namespace: a rootless-only behaviour.
fn tmpfs_noswap_refused_rootless(ctx: &Ctx) {
    let target = ctx.dir("t");
    let e = mount_tmpfs(&target, &TmpfsOptions::new().noswap(true)).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    let msg = e.to_string();
    assert!(msg.starts_with("mount tmpfs on "), "{msg}");
    assert!(
        msg.contains("only allowed in the initial user namespace"),
        "{msg}"
    );
    assert!(find_mount(&target).is_none());
}

fn tmpfs_errors_name_step_and_target(ctx: &Ctx) {
    let missing = ctx.scratch().join("missing");
    let e = mount_tmpfs(&missing, &TmpfsOptions::new()).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT);
    assert_eq!(e.step(), "mount tmpfs on");
    assert_eq!(e.path(), Some(missing.as_path()));
    assert!(
        e.to_string().contains("target directory does not exist"),
        "{e}"
    );
    let file = ctx.scratch().join("file");
    std::fs::write(&file, "x").unwrap();
    let e = mount_tmpfs(&file.join("below"), &TmpfsOptions::new()).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOTDIR, "{e}");
}

// Nobody without a user namespace: the kernel refuses and the hint says what to do.
fn tmpfs_without_privilege_says_why(ctx: &Ctx) {
    let target = ctx.dir("t");
    let e = mount_tmpfs(&target, &TmpfsOptions::new()).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM);
    assert!(e.to_string().contains("CAP_SYS_ADMIN"), "{e}");
    let e = bind(&target, &target, &BindOptions::new()).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM, "{e}");
    let e = set_propagation(Path::new("/"), Propagation::Private, true).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM, "{e}");
    assert!(e.to_string().contains("CAP_SYS_ADMIN"), "{e}");
}

fn tmpfs_on_non_utf8_path(ctx: &Ctx) {
    let name = std::ffi::OsString::from_vec(b"t\xff\xfe dir".to_vec());
    let target = ctx.scratch().join(name);
    std::fs::create_dir(&target).unwrap();
    tmpfs(&target, "size=8k");
    assert_eq!(statfs(&target).blocks * page_size(), 8192);
    assert!(find_mount(&target).is_some());
    unmount(&target, UnmountFlags::empty()).unwrap();
}

// ---------------------------------------------------------------------------------------
// Binds
// ---------------------------------------------------------------------------------------

fn bind_plain(ctx: &Ctx) {
    let src = ctx.dir("src");
    let dst = ctx.dir("dst");
    std::fs::write(src.join("file"), "hello").unwrap();
    bind(&src, &dst, &BindOptions::new()).unwrap();
    assert_eq!(std::fs::read_to_string(dst.join("file")).unwrap(), "hello");
    let (a, b) = (
        std::fs::metadata(&src).unwrap(),
        std::fs::metadata(&dst).unwrap(),
    );
    assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()));
    assert!(find_mount(&dst).is_some());
    std::fs::write(dst.join("back"), "x").unwrap();
    assert!(src.join("back").exists());
    // A single file can be bound too.
    let file_dst = ctx.scratch().join("file-dst");
    std::fs::write(&file_dst, "").unwrap();
    bind(&src.join("file"), &file_dst, &BindOptions::new()).unwrap();
    assert_eq!(std::fs::read_to_string(&file_dst).unwrap(), "hello");
}

fn check_recursive_and_not(ctx: &Ctx) {
    let src = ctx.dir("src");
    let sub = ctx.dir("src/sub");
    tmpfs(&sub, "size=1m");
    std::fs::write(sub.join("marker"), "m").unwrap();
    let rec = ctx.dir("rec");
    let flat = ctx.dir("flat");
    bind(&src, &rec, &BindOptions::new()).unwrap();
    bind(&src, &flat, &BindOptions::new().recursive(false)).unwrap();
    assert!(
        rec.join("sub/marker").exists(),
        "recursive bind brings submounts"
    );
    assert!(find_mount(&rec.join("sub")).is_some());
    assert!(flat.join("sub").is_dir());
    assert!(
        !flat.join("sub/marker").exists(),
        "non-recursive bind leaves them out"
    );
    assert!(find_mount(&flat.join("sub")).is_none());
}

fn bind_recursive_and_not(ctx: &Ctx) {
    check_recursive_and_not(ctx);
}

fn bind_recursive_and_not_fallback(ctx: &Ctx) {
    let status = in_child(|| {
        deny_syscalls(NEW_MOUNT_API, libc::ENOSYS);
        check_recursive_and_not(ctx);
    });
    assert_eq!(status, 0);
}

/// A tree with a tmpfs below and another below that (one with a space in its name, which
/// mountinfo escapes), the middle one nosuid,noexec; bound read-only and recursively:
/// every mount of the copy refuses writes, keeps its flags, and the source stays writable.
fn check_readonly_bind(ctx: &Ctx, name: &str) {
    let src = ctx.dir(&format!("{name}-src"));
    let sub = ctx.dir(&format!("{name}-src/sub"));
    tmpfs(&sub, "size=1m,nosuid,noexec");
    let deeper = sub.join("deeper dir");
    std::fs::create_dir(&deeper).unwrap();
    tmpfs(&deeper, "size=1m");
    let dst = ctx.dir(&format!("{name}-dst"));
    bind(&src, &dst, &BindOptions::new().readonly(true)).unwrap();
    for dir in [dst.clone(), dst.join("sub"), dst.join("sub/deeper dir")] {
        assert_eq!(
            write_file(&dir.join("w"), b"w").unwrap_err(),
            Errno::EROFS,
            "{}",
            dir.display()
        );
        assert!(
            vfs_flags(&dir).contains(MountFlags::RDONLY),
            "{}",
            dir.display()
        );
        assert!(mounted(&dir).opts.contains(&"ro".to_owned()));
    }
    assert!(vfs_flags(&dst.join("sub")).contains(MountFlags::NOSUID | MountFlags::NOEXEC));
    for dir in [src.clone(), sub.clone(), deeper.clone()] {
        write_file(&dir.join("w"), b"w").unwrap();
    }
    // Non-recursive: only the top mount, and it is read-only.
    let flat = ctx.dir(&format!("{name}-flat"));
    bind(
        &sub,
        &flat,
        &BindOptions::new().readonly(true).recursive(false),
    )
    .unwrap();
    assert_eq!(
        write_file(&flat.join("w2"), b"w").unwrap_err(),
        Errno::EROFS
    );
    assert!(find_mount(&flat.join("deeper dir")).is_none());
    // Extra flags apply to every mount of a recursive bind.
    let extra = ctx.dir(&format!("{name}-extra"));
    let flags = MountFlags::NODEV | MountFlags::NOEXEC | MountFlags::NOSYMFOLLOW;
    bind(&src, &extra, &BindOptions::new().flags(flags)).unwrap();
    for dir in [
        extra.clone(),
        extra.join("sub"),
        extra.join("sub/deeper dir"),
    ] {
        let got = vfs_flags(&dir);
        assert!(
            got.contains(flags) && !got.contains(MountFlags::RDONLY),
            "{got:?}"
        );
    }
    write_file(&extra.join("sub/deeper dir/w3"), b"w").unwrap();
    // The atime mode of the source's own mount ("/", from the host) is locked for a
    // rootless caller: the bind is refused with the reason, and nothing stays mounted.
    let atime = ctx.dir(&format!("{name}-atime"));
    let result = bind(&src, &atime, &BindOptions::new().flags(MountFlags::NOATIME));
    if ctx.mode == Mode::Root {
        result.unwrap();
        for dir in [
            atime.clone(),
            atime.join("sub"),
            atime.join("sub/deeper dir"),
        ] {
            assert!(
                vfs_flags(&dir).contains(MountFlags::NOATIME),
                "{}",
                dir.display()
            );
        }
    } else {
        let e = result.unwrap_err();
        assert_eq!(e.errno(), Errno::EPERM);
        let msg = e.to_string();
        assert!(
            msg.contains("cannot change the atime mode to noatime"),
            "{msg}"
        );
        assert!(msg.contains("locked by parent namespace"), "{msg}");
        assert!(
            find_mount(&atime).is_none(),
            "a failed bind is not left behind"
        );
    }
}

fn bind_readonly_is_recursive(ctx: &Ctx) {
    check_readonly_bind(ctx, "new-api");
}

fn bind_readonly_fallback_without_new_mount_api(ctx: &Ctx) {
    let status = in_child(|| {
        deny_syscalls(NEW_MOUNT_API, libc::ENOSYS);
        check_readonly_bind(ctx, "classic");
    });
    assert_eq!(status, 0);
}

fn bind_readonly_fallback_without_mount_setattr(ctx: &Ctx) {
    let status = in_child(|| {
        deny_syscalls(&[nr::MOUNT_SETATTR], libc::ENOSYS);
        check_readonly_bind(ctx, "open-tree");
    });
    assert_eq!(status, 0);
}

/// In a namespace owned by a less privileged user namespace, where the source's
/// nosuid/nodev/noexec are locked: a read-only bind keeps them and succeeds (a naive
/// remount fails with EPERM), and clearing one says it is locked.
fn check_locked_flags(locked: &Path, dst: &Path, naive: &Path) {
    // A naive read-only remount, which drops the locked flags, is refused...
    bind(locked, naive, &BindOptions::new()).unwrap();
    // SAFETY: valid C strings.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            cpath(naive).as_ptr(),
            std::ptr::null(),
            libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY,
            std::ptr::null(),
        )
    };
    assert_eq!(
        (rc, Errno::last()),
        (-1, Errno::EPERM),
        "flags are not locked"
    );
    // ...while bind() keeps them.
    bind(locked, dst, &BindOptions::new().readonly(true)).unwrap();
    let top = vfs_flags(dst);
    assert!(
        top.contains(MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV),
        "{top:?}"
    );
    let sub = vfs_flags(&dst.join("sub"));
    assert!(
        sub.contains(MountFlags::RDONLY | MountFlags::NOEXEC),
        "{sub:?}"
    );
    assert_eq!(
        write_file(&dst.join("sub/x"), b"x").unwrap_err(),
        Errno::EROFS
    );
    // Clearing a locked flag: EPERM, and the hint says why, naming the flag.
    let e = set_mount_flags(dst, MountFlags::empty(), MountFlags::NOSUID, false).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM);
    let msg = e.to_string();
    assert!(msg.contains("locked by parent namespace"), "{msg}");
    assert!(msg.contains("cannot clear nosuid"), "{msg}");
    // Clearing what we set ourselves is fine.
    set_mount_flags(dst, MountFlags::empty(), MountFlags::RDONLY, false).unwrap();
    assert!(!vfs_flags(dst).contains(MountFlags::RDONLY));
    assert!(vfs_flags(dst).contains(MountFlags::NOSUID));
    // A non-recursive bind would uncover what the locked submount hides: refused, and
    // the hint says to bind recursively.
    let e = bind(locked, naive, &BindOptions::new().recursive(false)).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains("bind recursively"), "{e}");
    // A locked submount cannot be unmounted on its own; the hint says why.
    let e = unmount(&locked.join("sub"), UnmountFlags::empty()).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains("the mount is locked"), "{e}");
}

fn bind_readonly_keeps_locked_flags(ctx: &Ctx) {
    chmod(ctx.scratch(), 0o755);
    let locked = ctx.dir("locked");
    tmpfs(&locked, "size=1m,nosuid,nodev,mode=777");
    std::fs::create_dir(locked.join("sub")).unwrap();
    tmpfs(&locked.join("sub"), "size=1m,noexec,mode=777");
    let dirs: Vec<PathBuf> = ["dst", "naive", "dst-fb", "naive-fb"]
        .iter()
        .map(|n| ctx.dir(n))
        .collect();
    let outer_uid = if ctx.mode == Mode::Root {
        NOBODY
    } else {
        // SAFETY: getuid has no preconditions.
        unsafe { libc::getuid() }
    };
    let mode = ctx.mode;
    let status = in_child(|| {
        // The flags were set by this (more privileged) namespace: root outside any user
        // namespace in Root mode, the case's own user namespace in Rootless mode.
        if mode == Mode::Root {
            drop_to_nobody();
        }
        enter_less_privileged_namespace(outer_uid);
        check_locked_flags(&locked, &dirs[0], &dirs[1]);
        let status = in_child(|| {
            deny_syscalls(NEW_MOUNT_API, libc::ENOSYS);
            check_locked_flags(&locked, &dirs[2], &dirs[3]);
        });
        assert_eq!(status, 0, "fallback path");
    });
    assert_eq!(status, 0);
}

fn bind_missing_source_or_target(ctx: &Ctx) {
    let dst = ctx.dir("dst");
    let missing = ctx.scratch().join("missing-src");
    let e = bind(&missing, &dst, &BindOptions::new()).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT);
    assert_eq!(e.step(), "open bind source");
    assert_eq!(e.path(), Some(missing.as_path()));
    assert!(e.to_string().contains("bind source does not exist"), "{e}");
    let src = ctx.dir("src");
    let no_target = ctx.scratch().join("missing-dst");
    let e = bind(&src, &no_target, &BindOptions::new()).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT);
    assert_eq!(e.path(), Some(no_target.as_path()));
    assert!(
        e.step().starts_with("bind ") && e.step().ends_with(" onto"),
        "{e}"
    );
    // A dangling symlink as source is a missing source too (followed at open).
    let dangling = ctx.scratch().join("dangling");
    std::os::unix::fs::symlink(ctx.scratch().join("nowhere"), &dangling).unwrap();
    let e = bind(&dangling, &dst, &BindOptions::new()).unwrap_err();
    assert_eq!(
        (e.errno(), e.path()),
        (Errno::ENOENT, Some(dangling.as_path()))
    );
}

fn bind_source_symlink_is_followed_once(ctx: &Ctx) {
    let real = ctx.dir("real");
    std::fs::write(real.join("inside"), "r").unwrap();
    let link = ctx.scratch().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let dst = ctx.dir("dst");
    bind(&link, &dst, &BindOptions::new()).unwrap();
    // The link was followed once, at open: the bind shows the directory it pointed to.
    assert_eq!(std::fs::read_to_string(dst.join("inside")).unwrap(), "r");
    let (a, b) = (
        std::fs::metadata(&real).unwrap(),
        std::fs::metadata(&dst).unwrap(),
    );
    assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()));
    // Repointing the link afterwards changes nothing about the bind.
    let other = ctx.dir("other");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&other, &link).unwrap();
    assert_eq!(std::fs::read_to_string(dst.join("inside")).unwrap(), "r");
}

// ---------------------------------------------------------------------------------------
// Mount flags
// ---------------------------------------------------------------------------------------

fn check_set_mount_flags(ctx: &Ctx, name: &str) {
    let top = ctx.dir(name);
    tmpfs(&top, "size=1m");
    std::fs::create_dir(top.join("sub")).unwrap();
    let sub = top.join("sub");
    tmpfs(&sub, "size=1m");
    let both = MountFlags::NOSUID | MountFlags::NOEXEC;

    set_mount_flags(&top, both, MountFlags::empty(), false).unwrap();
    assert!(vfs_flags(&top).contains(both));
    assert!(
        !vfs_flags(&sub).intersects(both),
        "non-recursive left the submount alone"
    );

    set_mount_flags(&top, both | MountFlags::NODEV, MountFlags::empty(), true).unwrap();
    for p in [&top, &sub] {
        assert!(
            vfs_flags(p).contains(both | MountFlags::NODEV),
            "{}",
            p.display()
        );
    }
    set_mount_flags(&top, MountFlags::RDONLY, MountFlags::NOEXEC, true).unwrap();
    for p in [&top, &sub] {
        let f = vfs_flags(p);
        assert!(f.contains(MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV));
        assert!(!f.contains(MountFlags::NOEXEC), "{f:?}");
    }
    // The atime mode: noatime, then back to the default relatime by clearing it.
    set_mount_flags(&top, MountFlags::NOATIME, MountFlags::empty(), true).unwrap();
    assert!(vfs_flags(&sub).contains(MountFlags::NOATIME));
    set_mount_flags(&top, MountFlags::empty(), MountFlags::NOATIME, true).unwrap();
    for p in [&top, &sub] {
        let f = vfs_flags(p);
        assert!(f.contains(MountFlags::RELATIME) && !f.contains(MountFlags::NOATIME));
    }
    set_mount_flags(&top, MountFlags::STRICTATIME, MountFlags::RDONLY, false).unwrap();
    let f = vfs_flags(&top);
    assert!(!f.intersects(MountFlags::RELATIME | MountFlags::NOATIME | MountFlags::RDONLY));
    assert!(vfs_flags(&sub).contains(MountFlags::RDONLY));

    // Not a mount point.
    let plain = ctx.dir(&format!("{name}-plain"));
    let e = set_mount_flags(&plain, MountFlags::NOSUID, MountFlags::empty(), true).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains("is not a mount point"), "{e}");
    let e = set_mount_flags(&plain, MountFlags::NOSUID, MountFlags::empty(), false).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains("is not a mount point"), "{e}");
}

fn mount_flags_set_and_clear(ctx: &Ctx) {
    check_set_mount_flags(ctx, "new-api");
}

fn mount_flags_fallback_without_mount_setattr(ctx: &Ctx) {
    let status = in_child(|| {
        deny_syscalls(&[nr::MOUNT_SETATTR], libc::ENOSYS);
        check_set_mount_flags(ctx, "classic");
    });
    assert_eq!(status, 0);
}

// ---------------------------------------------------------------------------------------
// Propagation
// ---------------------------------------------------------------------------------------

fn propagation_types_show_in_mountinfo(ctx: &Ctx) {
    let top = ctx.dir("top");
    tmpfs(&top, "size=1m");
    std::fs::create_dir(top.join("sub")).unwrap();
    let sub = top.join("sub");
    tmpfs(&sub, "size=1m");
    // The case's namespace starts rprivate: no optional fields.
    assert!(mounted(&top).optional.is_empty());

    set_propagation(&top, Propagation::Shared, false).unwrap();
    assert!(shared_id(&mounted(&top)).is_some());
    assert!(
        mounted(&sub).optional.is_empty(),
        "non-recursive: submount unchanged"
    );

    set_propagation(&top, Propagation::Shared, true).unwrap();
    let top_group = shared_id(&mounted(&top)).unwrap().to_owned();
    let sub_group = shared_id(&mounted(&sub)).unwrap().to_owned();
    assert_ne!(top_group, sub_group);

    // A peer: a bind of a shared mount joins its peer group; made slave, it shows its
    // master.
    let peer = ctx.dir("peer");
    bind(&top, &peer, &BindOptions::new().recursive(false)).unwrap();
    assert_eq!(shared_id(&mounted(&peer)), Some(top_group.as_str()));
    set_propagation(&peer, Propagation::Slave, false).unwrap();
    let line = mounted(&peer);
    assert_eq!(master_id(&line), Some(top_group.as_str()), "{line:?}");
    assert!(shared_id(&line).is_none());

    set_propagation(&top, Propagation::Private, true).unwrap();
    assert!(mounted(&top).optional.is_empty());
    assert!(mounted(&sub).optional.is_empty());
    // The former slave lost its master when the master went private.
    assert!(mounted(&peer).optional.is_empty(), "{:?}", mounted(&peer));

    set_propagation(&top, Propagation::Unbindable, false).unwrap();
    assert_eq!(mounted(&top).optional, ["unbindable"]);
    assert!(mounted(&sub).optional.is_empty());
    set_propagation(&top, Propagation::Unbindable, true).unwrap();
    assert_eq!(mounted(&sub).optional, ["unbindable"]);
    let e = bind(&top, &ctx.dir("nope"), &BindOptions::new()).unwrap_err();
    assert_eq!(
        e.errno(),
        Errno::EINVAL,
        "an unbindable mount cannot be bound: {e}"
    );

    // Not a mount point.
    let plain = ctx.dir("plain");
    let e = set_propagation(&plain, Propagation::Private, false).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert_eq!(e.step(), "make private");
    assert!(e.to_string().contains("is not a mount point"), "{e}");
}

fn propagation_between_mounts(ctx: &Ctx) {
    // A case-made "host": this namespace's "/" made rshared, and a sibling namespace
    // copied from it, whose mounts are peers of ours.
    set_propagation(Path::new("/"), Propagation::Shared, true).unwrap();
    let sibling = Sibling::spawn();
    let a = ctx.dir("a");
    tmpfs(&a, "size=1m");
    let seen = sibling
        .find_mount(&a)
        .expect("a mount under shared / reaches the sibling");
    assert_eq!(seen.fstype, "tmpfs");
    // Private at the top again: nothing new reaches the sibling.
    set_propagation(Path::new("/"), Propagation::Private, true).unwrap();
    let quiet = ctx.dir("quiet");
    tmpfs(&quiet, "size=1m");
    assert!(sibling.find_mount(&quiet).is_none());
    drop(sibling);

    // Two mounts of one tmpfs: shared peers, then master and slave, then private.
    let master = ctx.dir("master");
    tmpfs(&master, "size=1m");
    set_propagation(&master, Propagation::Shared, false).unwrap();
    let slave = ctx.dir("slave");
    bind(&master, &slave, &BindOptions::new()).unwrap();
    for d in ["x", "y", "z", "w"] {
        std::fs::create_dir(master.join(d)).unwrap();
    }
    tmpfs(&master.join("x"), "size=1m");
    assert!(
        find_mount(&slave.join("x")).is_some(),
        "peers see each other's mounts"
    );
    tmpfs(&slave.join("w"), "size=1m");
    assert!(
        find_mount(&master.join("w")).is_some(),
        "both ways while peers"
    );

    set_propagation(&slave, Propagation::Slave, false).unwrap();
    tmpfs(&master.join("y"), "size=1m");
    assert!(find_mount(&slave.join("y")).is_some(), "a slave receives");
    std::fs::create_dir(master.join("v")).unwrap();
    tmpfs(&slave.join("v"), "size=1m");
    assert!(
        find_mount(&master.join("v")).is_none(),
        "a slave does not send"
    );

    set_propagation(&slave, Propagation::Private, false).unwrap();
    tmpfs(&master.join("z"), "size=1m");
    assert!(
        find_mount(&slave.join("z")).is_none(),
        "private receives nothing"
    );
}

// ---------------------------------------------------------------------------------------
// Unmount
// ---------------------------------------------------------------------------------------

fn unmount_normal_busy_and_detached(ctx: &Ctx) {
    let target = ctx.dir("t");
    tmpfs(&target, "size=1m");
    unmount(&target, UnmountFlags::empty()).unwrap();
    assert!(find_mount(&target).is_none());

    tmpfs(&target, "size=1m");
    let mut open = File::create(target.join("open")).unwrap();
    let e = unmount(&target, UnmountFlags::empty()).unwrap_err();
    assert_eq!(e.errno(), Errno::EBUSY);
    assert_eq!(e.step(), "unmount");
    assert_eq!(e.path(), Some(target.as_path()));
    assert!(e.to_string().contains("UnmountFlags::DETACH"), "{e}");
    assert!(find_mount(&target).is_some());

    unmount(&target, UnmountFlags::DETACH).unwrap();
    assert!(find_mount(&target).is_none(), "detached while busy");
    // The open file still works: the tmpfs lives on until it is closed.
    open.write_all(b"still here").unwrap();
    assert!(!target.join("open").exists());

    let e = unmount(&target, UnmountFlags::empty()).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains("is not a mount point"), "{e}");
    let missing = ctx.scratch().join("missing");
    let e = unmount(&missing, UnmountFlags::empty()).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT);

    // A symlink to a mount: followed by default, not with NOFOLLOW.
    tmpfs(&target, "size=1m");
    let link = ctx.scratch().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let e = unmount(&link, UnmountFlags::NOFOLLOW).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL, "{e}");
    assert!(find_mount(&target).is_some());
    unmount(&link, UnmountFlags::empty()).unwrap();
    assert!(find_mount(&target).is_none());

    // EXPIRE: the first call marks, the second unmounts.
    tmpfs(&target, "size=1m");
    let e = unmount(&target, UnmountFlags::EXPIRE).unwrap_err();
    assert_eq!(e.errno(), Errno::EAGAIN, "{e}");
    unmount(&target, UnmountFlags::EXPIRE).unwrap();
    assert!(find_mount(&target).is_none());
}

// ---------------------------------------------------------------------------------------
// Bad input, refused before any system call
// ---------------------------------------------------------------------------------------

fn bad_inputs_refused_before_any_syscall(ctx: &Ctx) {
    let good = ctx.dir("good");
    let status = in_child(|| {
        // Every mount system call now fails with an errno nothing else produces: any
        // refusal below that is EINVAL/ENAMETOOLONG was made by libmntns itself.
        deny_syscalls(
            &[
                libc::SYS_mount,
                libc::SYS_umount2,
                nr::OPEN_TREE,
                nr::MOVE_MOUNT,
                nr::MOUNT_SETATTR,
            ],
            libc::EHWPOISON,
        );
        let nul = Path::new("/tmp/a\0b");
        let long_path = format!("/{}", "a".repeat(libc::PATH_MAX as usize));
        let long = Path::new(&long_path);
        assert_eq!(long_path.len(), libc::PATH_MAX as usize + 1);
        let exactly_max = format!("/{}", "b/".repeat(2047)) + "c";
        assert_eq!(exactly_max.len(), libc::PATH_MAX as usize);
        let bad_paths: [(&Path, Errno, &str); 6] = [
            (nul, Errno::EINVAL, "NUL byte"),
            (Path::new("tmp/x"), Errno::EINVAL, "relative"),
            (Path::new("."), Errno::EINVAL, "relative"),
            (Path::new(""), Errno::EINVAL, "empty path"),
            (long, Errno::ENAMETOOLONG, "PATH_MAX"),
            (Path::new(&exactly_max), Errno::ENAMETOOLONG, "PATH_MAX"),
        ];
        let tmpfs_opts = TmpfsOptions::new();
        let binds = BindOptions::new();
        for (path, errno, why) in bad_paths {
            let results = [
                mount_tmpfs(path, &tmpfs_opts),
                bind(path, &good, &binds),
                bind(&good, path, &binds),
                set_propagation(path, Propagation::Private, true),
                set_mount_flags(path, MountFlags::NOSUID, MountFlags::empty(), true),
                unmount(path, UnmountFlags::DETACH),
            ];
            for r in results {
                let e = r.unwrap_err();
                assert_eq!(e.errno(), errno, "{path:?}: {e}");
                assert!(e.to_string().contains(why), "{path:?}: {e}");
            }
        }
        let name_too_long = good.join("n".repeat(256));
        let e = mount_tmpfs(&name_too_long, &tmpfs_opts).unwrap_err();
        assert_eq!(e.errno(), Errno::ENAMETOOLONG, "{e}");

        let e = mount_tmpfs(&good, &TmpfsOptions::new().mode(0o10000)).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("0o10000"), "{e}");
        assert_eq!(e.path(), Some(good.as_path()));
        let e = mount_tmpfs(&good, &TmpfsOptions::new().size(Size::Percent(0))).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL, "{e}");
        let e = mount_tmpfs(
            &good,
            &TmpfsOptions::new().flags(MountFlags::NOATIME | MountFlags::STRICTATIME),
        )
        .unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL, "{e}");

        let e = MountFlags::from_raw(1 << 30).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("0x40000000"), "{e}");
        let e = UnmountFlags::from_raw(0x10).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);

        let e = set_mount_flags(&good, MountFlags::NOSUID, MountFlags::NOSUID, false).unwrap_err();
        assert!(e.to_string().contains("both set and cleared"), "{e}");
        let e =
            set_mount_flags(&good, MountFlags::empty(), MountFlags::RELATIME, false).unwrap_err();
        assert!(e.to_string().contains("relatime cannot be cleared"), "{e}");
        let e = bind(
            &good,
            &good,
            &BindOptions::new().flags(MountFlags::NOATIME | MountFlags::RELATIME),
        )
        .unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL, "{e}");
        for flags in [
            UnmountFlags::EXPIRE | UnmountFlags::DETACH,
            UnmountFlags::EXPIRE | UnmountFlags::FORCE,
        ] {
            let e = unmount(&good, flags).unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL);
            assert!(e.to_string().contains("EXPIRE cannot be combined"), "{e}");
        }
        // The filter is really there: a good call reaches the kernel and gets its errno.
        let e = mount_tmpfs(&good, &tmpfs_opts).unwrap_err();
        assert_eq!(e.errno().raw(), libc::EHWPOISON);
    });
    assert_eq!(status, 0);
}

/// Running into `fs.mount-max` (100000 mounts per namespace by default) gives ENOSPC whose
/// message names the limit. The case fills its own mount namespace: a source tree holding
/// 1000 mounts, bound recursively onto fresh targets until the kernel refuses (adding one
/// mount at a time would take minutes: each mount costs time proportional to the table).
fn mount_limit_is_named(ctx: &Ctx) {
    let dir = ctx.dir("many");
    mntns::mount_tmpfs(&dir, &TmpfsOptions::parse("size=16m").unwrap()).unwrap();
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    let leaf = dir.join("leaf");
    std::fs::create_dir(&leaf).unwrap();
    let single = BindOptions::new().recursive(false);
    for i in 0..1000 {
        let target = src.join(i.to_string());
        std::fs::create_dir(&target).unwrap();
        mntns::bind(&leaf, &target, &single).unwrap();
    }
    let max: usize = std::fs::read_to_string("/proc/sys/fs/mount-max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let tree = BindOptions::new().recursive(true);
    let mut copies = 0;
    let err = loop {
        let target = dir.join(format!("copy{copies}"));
        std::fs::create_dir(&target).unwrap();
        match mntns::bind(&src, &target, &tree) {
            Ok(()) => copies += 1,
            Err(e) => break e,
        }
        assert!(
            copies * 1000 <= max,
            "{copies} copies of 1000 mounts, over fs.mount-max={max}"
        );
    };
    assert_eq!(err.errno(), Errno::ENOSPC, "{err}");
    assert!(
        err.to_string().contains(&format!("fs.mount-max={max}")),
        "{err}"
    );
    assert!(
        copies * 1001 + 1000 > max - 1001,
        "only {copies} copies before ENOSPC"
    );
}

fn main() {
    mntns_testkit::main(&[
        case!(mount_limit_is_named, BOTH),
        case!(tmpfs_sizes_show_in_statfs, BOTH),
        case!(tmpfs_percent_matches_the_kernel, BOTH),
        case!(tmpfs_default_is_half_of_ram, BOTH),
        case!(tmpfs_unlimited_only_when_asked, BOTH),
        case!(tmpfs_inodes_mode_and_owner, BOTH),
        case!(tmpfs_full_gives_enospc, BOTH),
        case!(tmpfs_memory_returns_after_unmount, BOTH),
        case!(tmpfs_seen_only_in_its_namespace, BOTH),
        case!(tmpfs_flags_apply, BOTH),
        case!(tmpfs_noswap_as_root, ROOT),
        case!(tmpfs_noswap_refused_rootless, ROOTLESS),
        case!(tmpfs_errors_name_step_and_target, BOTH),
        case!(tmpfs_without_privilege_says_why, NOBODY_ONLY),
        case!(tmpfs_on_non_utf8_path, BOTH),
        case!(bind_plain, BOTH),
        case!(bind_recursive_and_not, BOTH),
        case!(bind_recursive_and_not_fallback, BOTH),
        case!(bind_readonly_is_recursive, BOTH),
        case!(bind_readonly_fallback_without_new_mount_api, BOTH),
        case!(bind_readonly_fallback_without_mount_setattr, BOTH),
        case!(bind_readonly_keeps_locked_flags, BOTH),
        case!(bind_missing_source_or_target, BOTH),
        case!(bind_source_symlink_is_followed_once, BOTH),
        case!(mount_flags_set_and_clear, BOTH),
        case!(mount_flags_fallback_without_mount_setattr, BOTH),
        case!(propagation_types_show_in_mountinfo, BOTH),
        case!(propagation_between_mounts, BOTH),
        case!(unmount_normal_busy_and_detached, BOTH),
        case!(
            bad_inputs_refused_before_any_syscall,
            &[Mode::Root, Mode::Rootless, Mode::Nobody]
        ),
    ]);
}
