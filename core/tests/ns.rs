//! Namespaces against the real kernel: unshare, ids, listing, entering. Each case runs in a
//! forked child with its own namespaces (see the mntns-testkit crate).

use mntns::{Errno, Namespaces, NsId, NsKind, Pid};
use mntns_testkit::{BOTH, Ctx, NOBODY_ONLY, case, in_child, sh};

fn unshare_mount_gives_new_id(_ctx: &Ctx) {
    let before = NsId::of_self(NsKind::Mount).unwrap();
    mntns::unshare(Namespaces::MOUNT).unwrap();
    let after = NsId::of_self(NsKind::Mount).unwrap();
    assert_ne!(before, after);
    // The id prints exactly as readlink shows it.
    let link = sh("readlink /proc/$PPID/ns/mnt");
    assert_eq!(link.trim(), after.to_string());
}

fn unshare_every_kind(_ctx: &Ctx) {
    let before: Vec<_> = NsKind::ALL
        .iter()
        .map(|k| NsId::of_self(*k).unwrap())
        .collect();
    mntns::unshare(Namespaces::all()).unwrap();
    // pid and time apply to children only: the caller keeps its own, and its first child
    // (which becomes pid 1 of the new pid namespace; after it exits no more children can be
    // created there) sees the new ones.
    let children_only = [NsKind::Pid, NsKind::Time];
    for (i, kind) in NsKind::ALL.iter().enumerate() {
        let now = NsId::of_self(*kind).unwrap();
        if children_only.contains(kind) {
            assert_eq!(now, before[i], "{kind}");
        } else {
            assert_ne!(now, before[i], "{kind}");
        }
    }
    let status = in_child(|| {
        assert_eq!(std::process::id(), 1);
        for (i, kind) in NsKind::ALL.iter().enumerate() {
            if children_only.contains(kind) {
                assert_ne!(NsId::of_self(*kind).unwrap(), before[i], "{kind} in child");
            }
        }
    });
    assert_eq!(status, 0);
}

fn unshare_refuses_threads(_ctx: &Ctx) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || rx.recv().ok());
    for flags in [
        Namespaces::MOUNT,
        Namespaces::USER,
        Namespaces::USER | Namespaces::MOUNT,
    ] {
        let e = mntns::unshare(flags).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        let msg = e.to_string();
        assert!(
            msg.contains("2 threads") && msg.contains("single-threaded"),
            "{msg}"
        );
    }
    // Kinds the kernel applies to the whole process still work from a threaded process.
    mntns::unshare(Namespaces::UTS).unwrap();
    tx.send(()).unwrap();
    t.join().unwrap();
}

fn unshare_without_privilege_says_why(_ctx: &Ctx) {
    let e = mntns::unshare(Namespaces::MOUNT).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM);
    let msg = e.to_string();
    assert!(msg.starts_with("unshare mnt: EPERM"), "{msg}");
    assert!(msg.contains("Namespaces::USER"), "{msg}");
    // As nobody, a user namespace together with a mount namespace works.
    let before = NsId::of_self(NsKind::User).unwrap();
    mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();
    let after = NsId::of_pid(Pid::this(), NsKind::User).unwrap();
    assert_ne!(before, after);
}

fn seccomp_helper_denies(_ctx: &Ctx) {
    mntns_testkit::deny_syscalls(&[mntns_testkit::nr::PIDFD_OPEN], libc::ENOSYS);
    // SAFETY: a raw syscall with plain arguments.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, std::process::id(), 0) };
    assert_eq!(rc, -1);
    assert_eq!(Errno::last(), Errno::ENOSYS);
}

fn main() {
    mntns_testkit::main(&[
        case!(unshare_mount_gives_new_id, BOTH),
        case!(unshare_every_kind, BOTH),
        case!(unshare_refuses_threads, BOTH),
        case!(unshare_without_privilege_says_why, NOBODY_ONLY),
        case!(seccomp_helper_denies, BOTH),
    ]);
}
