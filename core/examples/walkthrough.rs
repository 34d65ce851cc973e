//! The classic mount-namespace walkthrough, one libmntns call per step:
//!
//! ```text
//! unshare -m                                   # own mount namespace
//! mount -o size=1m -t tmpfs tmpfs /tmp/tmp1    # a tmpfs only this namespace sees
//! mount | grep tmp1                            # read the mount table
//! readlink /proc/$$/ns/mnt                     # -> mnt:[4026532211]
//! tar -C new-root -xf root.tar                 # a root (here: a static busybox)
//! pivot_root . old-root; <command>             # switch root, run something
//! lsns                                         # find it again from the host
//! ```
//!
//! Run it as root or as an ordinary user (it then creates a user namespace first, mapping
//! you to root inside, as `unshare -Urm` does):
//!
//! ```sh
//! cargo run -p mntns --example walkthrough
//! ```
//!
//! Everything happens in a forked child in its own namespaces; the host's mount table is not
//! touched. The only host-side trace is a temporary directory, removed at the end.

use std::io::{Read, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mntns::idmap::{IdMap, SetGroups, write_id_maps};
use mntns::{
    Namespaces, NsId, NsKind, Pid, Propagation, Size, TmpfsOptions, UnmountFlags, mount_tmpfs,
    mounts, namespaces, pivot_root, set_propagation, unmount,
};

/// Busybox applets the example's root gets (as symlinks to the static busybox).
const APPLETS: &[&str] = &["sh", "ls", "cat", "echo", "pwd", "mount", "df", "readlink"];

fn main() -> ExitCode {
    let work = match make_work_dir() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("walkthrough: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The parent's id, read here: a child in a user namespace may not look at its parent.
    let parent = NsId::of_self(NsKind::Mount);
    // Two pipes: the child says "ready" once its namespace is set up, so the parent can
    // find it with lsns-style listing; the parent then says "go on".
    let (ready_r, ready_w) = pipe();
    let (go_r, go_w) = pipe();

    // SAFETY: this program is single-threaded here, so the child may run ordinary code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        eprintln!("walkthrough: fork: {}", std::io::Error::last_os_error());
        return ExitCode::FAILURE;
    }
    if pid == 0 {
        drop(ready_r);
        drop(go_w);
        let code = match child(&work, parent, ready_w, go_r) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("walkthrough: {e}");
                1
            }
        };
        // SAFETY: leave the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) }
    }
    drop(ready_w);
    drop(go_r);
    let code = host_side(pid, ready_r, go_w);
    let _ = std::fs::remove_dir_all(&work);
    ExitCode::from(code)
}

/// What the parent ("the host") does: wait until the child has its namespace, find it with
/// the lsns view, let the child finish, and report its exit status.
fn host_side(pid: libc::pid_t, mut ready: std::fs::File, mut go: std::fs::File) -> u8 {
    let mut byte = [0u8; 1];
    if ready.read(&mut byte).unwrap_or(0) == 1 {
        let child = Pid::from_raw(pid).expect("fork returned a pid");
        match NsId::of_pid(child, NsKind::Mount) {
            Ok(id) => {
                step("lsns -t mnt   (from the host)");
                match namespaces(Some(NsKind::Mount)) {
                    Ok(list) => {
                        for ns in list.iter().filter(|n| n.id == id) {
                            println!(
                                "        {}  nprocs={}  pid={}  command={}",
                                ns.id,
                                ns.nprocs,
                                ns.pid.map_or("-".into(), |p| p.to_string()),
                                ns.command.as_deref().unwrap_or("-")
                            );
                        }
                    }
                    Err(e) => println!("        (cannot list: {e})"),
                }
                // The host's own table does not have the child's tmpfs.
                match mounts(None) {
                    Ok(table) => {
                        let seen = table.iter().any(|m| m.target().ends_with("tmp1"));
                        println!("        host sees tmp1 mounted: {seen}");
                    }
                    Err(e) => println!("        (cannot read the host table: {e})"),
                }
            }
            Err(e) => println!("        (child namespace not visible: {e})"),
        }
    }
    let _ = go.write_all(b"g");
    drop(go);
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid status pointer.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u8
    } else {
        128 + libc::WTERMSIG(status) as u8
    }
}

fn child(
    work: &Path,
    parent: mntns::Result<NsId>,
    mut ready: std::fs::File,
    mut go: std::fs::File,
) -> mntns::Result<i32> {
    // 1. unshare -m (and -U with a map of ourselves to root when we are not root).
    // SAFETY: geteuid/getegid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    if uid == 0 {
        step("unshare -m");
        mntns::unshare(Namespaces::MOUNT)?;
    } else {
        step("unshare -Urm   (not root: a user namespace maps you to root)");
        mntns::unshare(Namespaces::USER | Namespaces::MOUNT)?;
        write_id_maps(
            None,
            &[IdMap::single(0, uid)],
            &[IdMap::single(0, gid)],
            SetGroups::Deny,
        )?;
    }
    // unshare(1) makes every mount private by default; so do we, so nothing propagates out.
    set_propagation(Path::new("/"), Propagation::Private, true)?;

    // 2. mount -o size=1m -t tmpfs tmpfs tmp1
    let tmp1 = work.join("tmp1");
    std::fs::create_dir(&tmp1).map_err(io("mkdir", &tmp1))?;
    step(&format!(
        "mount -o size=1m -t tmpfs tmpfs {}",
        tmp1.display()
    ));
    mount_tmpfs(&tmp1, &TmpfsOptions::new().size(Size::parse("1m")?))?;

    // 3. mount | grep tmp1
    step("mount | grep tmp1");
    for m in mounts(None)?.iter().filter(|m| m.target() == tmp1) {
        // mount(8) prints the mount's own options, then the filesystem's (without rw/ro).
        let fs_opts = m.super_options().to_string_lossy();
        let extra: Vec<&str> = fs_opts
            .split(',')
            .filter(|o| *o != "rw" && *o != "ro")
            .collect();
        println!(
            "        {} on {} type {} ({},{})",
            m.source().map_or("none".into(), |s| s.to_string_lossy()),
            m.target().display(),
            m.fstype().to_string_lossy(),
            m.options(),
            extra.join(",")
        );
    }

    // 4. readlink /proc/$$/ns/mnt, next to the parent's.
    step("readlink /proc/$$/ns/mnt");
    println!("        child:  {}", NsId::of_self(NsKind::Mount)?);
    match parent {
        Ok(id) => println!("        parent: {id}"),
        Err(e) => println!("        parent: ({e})"),
    }
    let _ = ready.write_all(b"r");
    drop(ready);
    let mut byte = [0u8; 1];
    let _ = go.read(&mut byte);

    // 5. A new root: a tmpfs holding a static busybox (or the host's /usr when there is
    //    none), and an empty old-root directory.
    let new_root = work.join("new-root");
    std::fs::create_dir(&new_root).map_err(io("mkdir", &new_root))?;
    step(&format!(
        "mount -t tmpfs tmpfs {}; populate it",
        new_root.display()
    ));
    mount_tmpfs(&new_root, &TmpfsOptions::parse("size=16m,mode=755")?)?;
    let shell = populate_root(&new_root)?;
    std::fs::create_dir(new_root.join("old-root")).map_err(io("mkdir", &new_root))?;

    // 6. pivot_root . old-root, then let the old root go.
    step("cd new-root; pivot_root . old-root");
    pivot_root(&new_root, Some(Path::new("old-root")))?;
    println!("        / now holds: {}", list_dir("/"));
    step("umount -l /old-root");
    unmount(Path::new("/old-root"), UnmountFlags::DETACH)?;
    println!("        /old-root now holds: {}", list_dir("/old-root"));

    // 7. Run a command in the new root.
    let command = "echo hello from $(pwd) in a root of: $(ls /)";
    step(&format!("{} -c '{command}'", shell.display()));
    let status = std::process::Command::new(&shell)
        .arg("-c")
        .arg(command)
        .env_clear()
        .env("PATH", "/bin:/usr/bin")
        .status()
        .map_err(|e| mntns::Error::new("run command", mntns::Errno::from(&e)).with_path(&shell))?;
    Ok(status.code().unwrap_or(1))
}

/// Fills the root: /bin/busybox with applet links when the host has a static busybox, else a
/// read-only bind of the host's /usr with the usual bin/lib links. Returns the shell to run.
fn populate_root(root: &Path) -> mntns::Result<PathBuf> {
    let bin = root.join("bin");
    let busybox = Path::new("/bin/busybox");
    if is_static_executable(busybox) {
        std::fs::create_dir(&bin).map_err(io("mkdir", &bin))?;
        let dest = bin.join("busybox");
        std::fs::copy(busybox, &dest).map_err(io("copy busybox to", &dest))?;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
            .map_err(io("chmod", &dest))?;
        for applet in APPLETS {
            symlink("busybox", bin.join(applet)).map_err(io("symlink", &bin))?;
        }
        println!(
            "        /bin/busybox (static) and {} applets",
            APPLETS.len()
        );
        return Ok(PathBuf::from("/bin/sh"));
    }
    let usr = root.join("usr");
    std::fs::create_dir(&usr).map_err(io("mkdir", &usr))?;
    mntns::bind(
        Path::new("/usr"),
        &usr,
        &mntns::BindOptions::new().readonly(true),
    )?;
    for link in ["bin", "lib", "lib64", "sbin"] {
        if let Ok(target) = std::fs::read_link(Path::new("/").join(link)) {
            symlink(target, root.join(link)).map_err(io("symlink", root))?;
        }
    }
    println!("        the host's /usr (read-only) and its bin/lib links");
    Ok(PathBuf::from("/bin/sh"))
}

/// Whether `path` is an x86-64/aarch64 ELF executable without a `PT_INTERP` program header,
/// i.e. one that needs no dynamic loader and runs in an otherwise empty root.
fn is_static_executable(path: &Path) -> bool {
    const PT_INTERP: u32 = 3;
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    // ELF64, little-endian.
    if bytes.len() < 64 || !bytes.starts_with(b"\x7fELF\x02\x01") {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(bytes[32..40].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(54), u16_at(56));
    (0..phnum).all(|i| {
        let at = phoff + i * phentsize;
        bytes
            .get(at..at + 4)
            .is_some_and(|t| u32::from_le_bytes(t.try_into().unwrap()) != PT_INTERP)
    })
}

fn list_dir(path: &str) -> String {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .map(|d| {
            d.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if names.is_empty() {
        "(nothing)".into()
    } else {
        names.join(" ")
    }
}

fn step(what: &str) {
    println!("$ {what}");
}

fn io<'a>(step: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> mntns::Error + 'a {
    move |e| mntns::Error::new(step, mntns::Errno::from(&e)).with_path(path)
}

fn make_work_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("mntns-walkthrough-{}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    Ok(dir)
}

fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid array of two ints.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    use std::os::fd::FromRawFd;
    // SAFETY: pipe2 returned two new descriptors that we own.
    unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    }
}
