//! The spawn benchmark: libmntns against the floor (the same sandbox done by hand in C) and
//! its peers (bubblewrap, the unshare/mount/pivot_root shell pipeline), side by side in one
//! interleaved run, reported as ratios. Not a test: it prints, it does not judge, except that
//! it marks each target of issue 3 as met or missed.
//!
//!   spawn-bench              the full run (a few minutes)
//!   spawn-bench --smoke      a few iterations of everything, in seconds (CI)
//!
//! Needs root (it builds its own mount namespaces for the mount-count scaling) and `cc`;
//! bubblewrap and util-linux are used when present.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use mntns::{CloneMode, Spec};

const BUSYBOX: &str = "/bin/busybox";

#[derive(Clone, Copy)]
struct Opts {
    smoke: bool,
    rounds: usize,
    per_round: usize,
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let opts = Opts {
        smoke,
        rounds: if smoke { 2 } else { 15 },
        per_round: if smoke { 5 } else { 40 },
    };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("spawn-bench: run as root (it makes its own mount namespaces)");
        std::process::exit(2);
    }
    if !Path::new(BUSYBOX).exists() {
        eprintln!("spawn-bench: {BUSYBOX} is needed (Debian: busybox-static)");
        std::process::exit(2);
    }
    let floor = build_floor();
    let mntns = mntns_binary();
    println!(
        "(mntns run: {}; scripts/build-cli makes the static build)",
        mntns.display()
    );
    println!("libmntns spawn benchmark — median per spawn, ratios from one interleaved run");
    println!(
        "({} rounds × {} spawns each{})\n",
        opts.rounds,
        opts.per_round,
        if smoke {
            ", smoke mode: numbers are not meaningful"
        } else {
            ""
        }
    );
    in_process(&opts, &floor);
    large_caller(&opts);
    whole_process(&opts, &floor, &mntns);
    scaling(&opts, &floor);
}

// -------------------------------------------------------------------------------------
// Measurement

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// One named measurement: a closure that runs `n` spawns and returns µs per spawn.
struct Bench<'a> {
    name: &'a str,
    run: Box<dyn FnMut(usize) -> f64 + 'a>,
}

/// Runs every bench `rounds` times, interleaved, and returns the median of each.
fn interleave(opts: &Opts, benches: &mut [Bench<'_>]) -> Vec<f64> {
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); benches.len()];
    let n = benches.len();
    for round in 0..opts.rounds {
        // Each round starts with the next contender, so none always runs first.
        for i in (0..n).map(|k| (k + round) % n) {
            samples[i].push((benches[i].run)(opts.per_round));
        }
    }
    samples.into_iter().map(median).collect()
}

fn time_loop(n: usize, mut f: impl FnMut()) -> f64 {
    let mut t = Vec::with_capacity(n);
    for _ in 0..n {
        let s = Instant::now();
        f();
        t.push(s.elapsed().as_secs_f64() * 1e6);
    }
    median(t)
}

/// The C floor's own loop: `floor MODE N` prints the median in ns.
fn floor_loop(floor: &Path, mode: &str, n: usize) -> f64 {
    let out = Command::new(floor)
        .arg(mode)
        .arg(n.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "floor {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<f64>()
        .unwrap()
        / 1000.0
}

fn plain_fork_exec() {
    // SAFETY: fork in this single-threaded harness; the child only execs or exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let argv = [c"true".as_ptr(), std::ptr::null()];
        let envp = [std::ptr::null()];
        // SAFETY: NUL-terminated strings and NULL-terminated arrays.
        unsafe {
            libc::execve(c"/bin/busybox".as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(status, 0);
}

/// One line per bench: the median and its ratio to the first bench's.
fn print_rows(benches: &[Bench<'_>], medians: &[f64], base_name: &str) {
    for (b, us) in benches.iter().zip(medians) {
        println!(
            "  {:<44} {us:>9.1} µs   {:>5.2}× {base_name}",
            b.name,
            us / medians[0]
        );
    }
}

/// The Rust side, in the harness's own process: plain fork + exec, then the API's two
/// clone paths.
fn rust_benches<'a>(vfork: &'a mntns::Plan, fork: &'a mntns::Plan) -> Vec<Bench<'a>> {
    vec![
        Bench {
            name: "Rust harness: fork + exec (static binary)",
            run: Box::new(|n| time_loop(n, plain_fork_exec)),
        },
        Bench {
            name: "mntns API, vfork path",
            run: Box::new(move |n| spawn_loop(vfork, n)),
        },
        Bench {
            name: "mntns API, clone3 (fork) path",
            run: Box::new(move |n| spawn_loop(fork, n)),
        },
    ]
}

fn target(what: &str, ratio: f64, limit: f64, below: bool) {
    let met = if below {
        ratio <= limit
    } else {
        ratio >= limit
    };
    println!(
        "  target: {what:<52} {ratio:>5.2}× ({} {limit}×) {}",
        if below { "≤" } else { "≥" },
        if met { "met" } else { "MISSED" }
    );
}

// -------------------------------------------------------------------------------------
// In-process: the Rust API against the C floor's loops

fn sandbox(mode: CloneMode) -> mntns::Plan {
    Spec::new()
        .clone_mode(mode)
        .ro_bind(BUSYBOX, "/bin/true")
        .command(["/bin/true"])
        .plan()
        .unwrap()
}

fn spawn_loop(plan: &mntns::Plan, n: usize) -> f64 {
    time_loop(n, || {
        let mut c = plan.spawn().unwrap();
        assert!(c.wait().unwrap().success());
    })
}

fn in_process(opts: &Opts, floor: &Path) {
    println!("In one process (no program start-up), the minimal sandbox: new mount namespace,");
    println!("tmpfs root, busybox bound read-only as /bin/true, pivot_root, exec /bin/true:");
    let vfork = sandbox(CloneMode::Vfork);
    let fork = sandbox(CloneMode::Fork);
    let mut benches = vec![
        Bench {
            name: "C: fork + exec (static binary)",
            run: Box::new(|n| floor_loop(floor, "forkexec", n)),
        },
        Bench {
            name: "C: sandbox by hand (fork)",
            run: Box::new(|n| floor_loop(floor, "sandbox", n)),
        },
        Bench {
            name: "C: sandbox by hand (CLONE_VM|CLONE_VFORK)",
            run: Box::new(|n| floor_loop(floor, "vfork-sandbox", n)),
        },
    ];
    benches.extend(rust_benches(&vfork, &fork));
    let m = interleave(opts, &mut benches);
    print_rows(&benches, &m, "C fork+exec");
    println!();
    target(
        "mntns API (vfork) / C sandbox by hand (fork)",
        m[4] / m[1],
        1.10,
        true,
    );
    target(
        "mntns API (fork) / C sandbox by hand (fork)",
        m[5] / m[1],
        1.10,
        true,
    );
    target(
        "mntns API (vfork) / C sandbox by hand (vfork)",
        m[4] / m[2],
        1.10,
        true,
    );
    target(
        "mntns vfork path / plain fork+exec, same process",
        m[4] / m[3],
        0.85,
        true,
    );
    println!();
}

// -------------------------------------------------------------------------------------
// A large caller: what the vfork path is for

fn large_caller(opts: &Opts) {
    let gib = if opts.smoke { 64 << 20 } else { 1 << 30 };
    println!(
        "The same, from a caller holding {} MiB of touched memory (fork copies its page tables;",
        gib >> 20
    );
    println!("the vfork path does not):");
    let mut ballast = vec![0u8; gib];
    for i in (0..ballast.len()).step_by(4096) {
        ballast[i] = 1;
    }
    std::hint::black_box(&ballast);
    let vfork = sandbox(CloneMode::Vfork);
    let fork = sandbox(CloneMode::Fork);
    let mut benches = rust_benches(&vfork, &fork);
    let m = interleave(opts, &mut benches);
    print_rows(&benches, &m, "fork+exec");
    println!();
    target(
        "mntns vfork path / plain fork+exec, same large process",
        m[1] / m[0],
        0.85,
        true,
    );
    println!();
    drop(ballast);
}

// -------------------------------------------------------------------------------------
// Whole processes: the command line against a one-shot C program and the peers

fn run_status(cmd: &mut Command) {
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{cmd:?}: {status}");
}

fn whole_process(opts: &Opts, floor: &Path, mntns: &Path) {
    // Whole processes drift more with the machine than in-process loops: three times the
    // rounds, each half as long, so every contender sees the same moments.
    let finer = Opts {
        rounds: opts.rounds * 3,
        per_round: opts.per_round.div_ceil(2),
        ..*opts
    };
    println!(
        "Whole processes (program start-up included), the same sandbox ({} rounds × {}):",
        finer.rounds, finer.per_round
    );
    let bwrap = which("bwrap");
    let unshare = which("unshare");
    let mut benches = vec![
        Bench {
            name: "C: one-shot static program",
            run: Box::new(|n| time_loop(n, || run_status(Command::new(floor).arg("oneshot")))),
        },
        Bench {
            name: "mntns run --bare --ro-bind … -- /bin/true",
            run: Box::new(|n| {
                time_loop(n, || {
                    run_status(Command::new(mntns).args([
                        "run",
                        "--bare",
                        "--ro-bind",
                        BUSYBOX,
                        "/bin/true",
                        "--",
                        "/bin/true",
                    ]))
                })
            }),
        },
    ];
    if let Some(bwrap) = &bwrap {
        benches.push(Bench {
            name: "bwrap --ro-bind … /bin/true",
            run: Box::new(move |n| {
                time_loop(n, || {
                    run_status(Command::new(bwrap).args([
                        "--ro-bind",
                        BUSYBOX,
                        "/bin/true",
                        "/bin/true",
                    ]))
                })
            }),
        });
    }
    if let Some(unshare) = &unshare {
        // After the pivot only the new root's busybox is there to detach the old root.
        let script = "mount --make-rslave / && mount -t tmpfs tmpfs /tmp && mkdir /tmp/bin && \
                      touch /tmp/bin/busybox && mount --bind -o ro /bin/busybox /tmp/bin/busybox && \
                      cd /tmp && pivot_root . . && /bin/busybox umount -l . && cd / && \
                      exec /bin/busybox true";
        benches.push(Bench {
            name: "unshare -m sh -c 'mount …; pivot_root …'",
            run: Box::new(move |n| {
                time_loop(n, || {
                    run_status(Command::new(unshare).args(["-m", "sh", "-c", script]))
                })
            }),
        });
    }
    let m = interleave(&finer, &mut benches);
    print_rows(&benches, &m, "one-shot C");
    println!();
    target(
        "mntns run --bare / one-shot C program",
        m[1] / m[0],
        1.10,
        true,
    );
    if bwrap.is_some() {
        target(
            "bwrap / mntns run --bare (peer, for reference)",
            m[2] / m[1],
            1.0,
            false,
        );
    }
    println!();
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

// -------------------------------------------------------------------------------------
// Mount count: the spawn path does nothing that grows with the caller's mount table

fn scaling(opts: &Opts, floor: &Path) {
    println!("Extra mounts in the caller's namespace (each spawn copies them: kernel work):");
    let counts: &[usize] = if opts.smoke {
        &[0, 100]
    } else {
        &[0, 1000, 5000]
    };
    let mut base: Option<(f64, f64)> = None;
    for &k in counts {
        // In a child with its own mount namespace, so the harness's table stays as it is; the
        // extra mounts go on an empty directory made here and removed afterwards.
        let dir =
            std::env::temp_dir().join(format!("mntns-spawn-bench-{}-{k}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        let (r, w) = pipe();
        // SAFETY: fork in the single-threaded harness.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            drop(r);
            let res = scaled(opts, floor, &dir, k);
            let line = format!("{} {}\n", res.0, res.1);
            // SAFETY: writing to our pipe, then leaving the child.
            unsafe {
                libc::write(w, line.as_ptr().cast(), line.len());
                libc::_exit(0);
            }
        }
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(w) };
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::fs::File::from(r), &mut text).unwrap();
        // SAFETY: reaping our child.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        let _ = std::fs::remove_dir(&dir);
        let v: Vec<f64> = text
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let (c, api) = (v[0], v[1]);
        let per_mount = base.map(|(c0, a0)| ((c - c0) / k as f64, (api - a0) / k as f64));
        print!(
            "  {k:>5} extra mounts: C sandbox {c:>8.1} µs, mntns API {api:>8.1} µs, ratio {:.2}×",
            api / c
        );
        if let Some((pc, pa)) = per_mount {
            print!("   (+{pc:.2} / +{pa:.2} µs per mount)");
        }
        println!();
        if base.is_none() {
            base = Some((c, api));
        }
    }
    println!(
        "  (the ratio stays flat: nothing on the spawn path reads or walks the mount table)\n"
    );
}

fn pipe() -> (std::os::fd::OwnedFd, i32) {
    let mut fds = [0; 2];
    // SAFETY: fds is an array of two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the read end is ours.
    (
        unsafe { std::os::fd::FromRawFd::from_raw_fd(fds[0]) },
        fds[1],
    )
}

/// In a fresh private mount namespace with `k` extra mounts, the C floor and the API.
fn scaled(opts: &Opts, floor: &Path, base: &Path, k: usize) -> (f64, f64) {
    mntns::unshare(mntns::Namespaces::MOUNT).unwrap();
    mntns::set_propagation(Path::new("/"), mntns::Propagation::Private, true).unwrap();
    if k > 0 {
        add_mounts(base, k);
    }
    let plan = sandbox(CloneMode::Vfork);
    let mut benches = vec![
        Bench {
            name: "C",
            run: Box::new(|n| floor_loop(floor, "sandbox", n)),
        },
        Bench {
            name: "api",
            run: Box::new(|n| spawn_loop(&plan, n)),
        },
    ];
    let m = interleave(opts, &mut benches);
    (m[0], m[1])
}

/// `k` extra mounts, fast: 100 small tmpfs mounts in a tree, bound recursively onto fresh
/// targets (each bind copies the whole tree at once). All of it on a tmpfs over `base` (an
/// empty directory the parent made and removes) in this private namespace.
fn add_mounts(base: &Path, k: usize) {
    let opts = mntns::TmpfsOptions::parse("size=1m").unwrap();
    mntns::mount_tmpfs(base, &opts).unwrap();
    let tree = base.join("tree");
    std::fs::create_dir(&tree).unwrap();
    let leaves = k.min(100);
    for i in 0..leaves {
        let d = tree.join(i.to_string());
        std::fs::create_dir(&d).unwrap();
        mntns::mount_tmpfs(&d, &mntns::TmpfsOptions::parse("size=4k").unwrap()).unwrap();
    }
    let mut made = leaves;
    let mut n = 0;
    while made + leaves <= k {
        let t = base.join(format!("copy{n}"));
        std::fs::create_dir(&t).unwrap();
        mntns::bind(&tree, &t, &mntns::BindOptions::new()).unwrap();
        made += leaves;
        n += 1;
    }
}

// -------------------------------------------------------------------------------------
// Building what is compared

/// Compiles the C floor (benches/c/floor.c) statically into target/bench/.
fn build_floor() -> PathBuf {
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let src = top.join("benches/c/floor.c");
    let dir = top.join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("floor");
    let status = Command::new("cc")
        .args(["-O2", "-static", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("cc is needed to build the C floor");
    assert!(status.success(), "building {}", src.display());
    out
}

/// The `mntns` command: the static build of `scripts/build-cli` when there is one (what
/// `scripts/demo` uses), else the one next to this binary.
fn mntns_binary() -> PathBuf {
    let me = std::env::current_exe().unwrap();
    let profile_dir = me.parent().unwrap();
    let target = profile_dir.parent().unwrap();
    let profile = profile_dir.file_name().unwrap();
    let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let static_build = target.join(triple).join(profile).join("mntns");
    let p = if static_build.exists() {
        static_build
    } else {
        profile_dir.join("mntns")
    };
    assert!(
        p.exists(),
        "{} missing: build mntns-cli with the same profile first",
        p.display()
    );
    p
}
