//! "The child allocates nothing between clone and exec", enforced: this test binary's
//! allocator kills any process other than the spawner that allocates (exit status 99), so a
//! sandbox whose setup allocated would report 99 instead of its command's status. Every
//! kind of plan runs through both clone paths, with successful and failing setups, a
//! monitor (PID namespace), and busy threads in the caller.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI32, Ordering};

use mntns::{CloneMode, Errno, Namespaces, Spec, TmpfsOptions};
use mntns_testkit::{BOTH, Ctx, ROOT, case};

/// The pid allowed to allocate while a spawn runs (0: everyone).
static SPAWNER: AtomicI32 = AtomicI32::new(0);

struct Guard;

const MESSAGE: &[u8] = b"ALLOCATION IN THE SANDBOX CHILD BEFORE EXEC\n";

// SAFETY: forwards to the system allocator; the check only reads an atomic and calls
// getpid, write and _exit, none of which allocate.
unsafe impl GlobalAlloc for Guard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check();
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        check();
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        check();
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

fn check() {
    let spawner = SPAWNER.load(Ordering::Relaxed);
    // SAFETY: getpid has no preconditions.
    if spawner != 0 && unsafe { libc::getpid() } != spawner {
        // SAFETY: a write of a static buffer and _exit, in the offending child.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(99);
        }
    }
}

#[global_allocator]
static ALLOCATOR: Guard = Guard;

/// Spawns with the guard armed; returns the exit code (99 means the child allocated).
fn run(spec: &Spec, argv: &[&str]) -> Result<i32, mntns::Error> {
    let plan = spec.plan()?;
    // SAFETY: getpid has no preconditions.
    SPAWNER.store(unsafe { libc::getpid() }, Ordering::SeqCst);
    let result = plan.spawn_argv(argv);
    SPAWNER.store(0, Ordering::SeqCst);
    let mut child = result?;
    Ok(child.wait().unwrap().shell_code())
}

fn specs() -> Vec<Spec> {
    vec![
        Spec::host(),
        Spec::new().ro_bind("/bin/busybox", "/bin/sh"),
        Spec::host()
            .namespaces(Namespaces::PID | Namespaces::UTS | Namespaces::IPC)
            .hostname("x"),
        Spec::host()
            .tmpfs("/scratch", TmpfsOptions::parse("size=1m").unwrap())
            .cwd("/scratch"),
    ]
}

fn no_allocation_between_clone_and_exec(_ctx: &Ctx) {
    for mode in [CloneMode::Auto, CloneMode::Fork] {
        for spec in specs() {
            let spec = spec.clone_mode(mode);
            assert_eq!(
                run(&spec, &["/bin/sh", "-c", "exit 7"]).unwrap(),
                7,
                "{spec:?}"
            );
            // Failing exec: the error path must not allocate either (127 vs 99).
            let e = run(&spec, &["/no/such/command"]).unwrap_err();
            assert_eq!(e.errno(), Errno::ENOENT, "{e}");
        }
        // A failing setup step.
        let spec = Spec::host()
            .clone_mode(mode)
            .tmpfs("/usr/x/y", TmpfsOptions::new());
        let e = run(&spec, &["/bin/true"]).unwrap_err();
        assert_eq!(e.errno(), Errno::EROFS, "{e}");
    }
}

fn no_allocation_with_busy_threads(_ctx: &Ctx) {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let v: Vec<u64> = (0..512).collect();
                    std::hint::black_box(v);
                }
            })
        })
        .collect();
    for spec in specs() {
        for _ in 0..20 {
            let code = run(&spec, &["/bin/sh", "-c", "exit 3"]);
            // Another thread may allocate while SPAWNER is set: that is the spawner's own
            // process (same pid), which is allowed.
            assert_eq!(code.unwrap(), 3);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
}

fn no_allocation_with_parent_maps(_ctx: &Ctx) {
    let spec = Spec::host().identity(mntns::Identity::Maps {
        uid_map: vec![mntns::idmap::IdMap::new(0, 100000, 65536)],
        gid_map: vec![mntns::idmap::IdMap::new(0, 100000, 65536)],
        setgroups: mntns::idmap::SetGroups::Deny,
        uid: 0,
        gid: 0,
    });
    assert_eq!(run(&spec, &["/bin/sh", "-c", "exit 4"]).unwrap(), 4);
}

fn main() {
    mntns_testkit::main(&[
        case!(no_allocation_between_clone_and_exec, BOTH),
        case!(no_allocation_with_busy_threads, BOTH),
        case!(no_allocation_with_parent_maps, ROOT),
    ]);
}
