//! `mntns-bench`: the introspection speed benchmark of issue 6, as one interleaved run.
//!
//! 1. `ls`: N processes (default 1,000) each in its own mount namespace; times
//!    `mntns ls -t mnt` against the floor (`raw-ns-scan`: one readlink per
//!    `/proc/PID/ns/mnt`, and the `--stat` variant) and against `lsns -t mnt`.
//! 2. `mounts`: a mount namespace with M extra tmpfs mounts (default 5,000); times
//!    `mntns mounts` (each backend) against the floor (`raw-mountinfo`: read mountinfo and
//!    split it naively, printing four fields) and against `findmnt -J` (and `-J -l`).
//!
//! Every command is a separate process with stdout on /dev/null, started by this harness;
//! the commands of one benchmark run in rotating order, round after round, and the report
//! gives each one's median wall time (and its CPU time: user + system), and the ratios of
//! the medians. All of it happens in a private mount namespace of this process (`/` made
//! private first), so the host's table never changes; the processes and mounts are gone
//! when the harness exits.
//!
//! Needs root. Usage: `mntns-bench [--smoke] [--procs N] [--mounts M] [--runs R]
//! [--mntns PATH]`; `--smoke` is a few seconds' check that everything runs (small N and M,
//! outputs checked, ratios printed but not judged).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Config {
    smoke: bool,
    procs: usize,
    mounts: usize,
    runs: usize,
    mntns: PathBuf,
    bin_dir: PathBuf,
}

fn main() {
    let config = parse_args();
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("mntns-bench: needs root (it creates namespaces and mounts, privately)");
        std::process::exit(2);
    }
    for tool in [&config.mntns, &config.bin_dir.join("raw-ns-scan")] {
        if !tool.exists() {
            eprintln!(
                "mntns-bench: {} not found; build first: cargo build --release -p mntns-cli -p mntns-bench",
                tool.display()
            );
            std::process::exit(2);
        }
    }
    private_mount_namespace();
    println!(
        "mntns-bench{}: kernel {}, {} CPUs, load average {}; {} interleaved rounds; median \
         wall time (median CPU time: user + system), ratio to the floor",
        if config.smoke { " --smoke" } else { "" },
        kernel_release(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average(),
        config.runs,
    );
    let ok_ls = bench_ls(&config);
    let ok_mounts = bench_mounts(&config);
    println!("\nload average at the end: {}", load_average());
    if config.smoke && !(ok_ls && ok_mounts) {
        std::process::exit(1);
    }
}

fn parse_args() -> Config {
    let exe = std::env::current_exe().expect("current_exe");
    let bin_dir = exe.parent().expect("exe dir").to_path_buf();
    let mut config = Config {
        smoke: false,
        procs: 1000,
        mounts: 5000,
        runs: 30,
        mntns: bin_dir.join("mntns"),
        bin_dir,
    };
    let mut args = std::env::args().skip(1);
    let number = |v: Option<String>, what: &str| -> usize {
        v.and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{what} takes a number"))
    };
    let mut runs = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--smoke" => config.smoke = true,
            "--procs" => config.procs = number(args.next(), "--procs"),
            "--mounts" => config.mounts = number(args.next(), "--mounts"),
            "--runs" => runs = Some(number(args.next(), "--runs")),
            "--mntns" => config.mntns = PathBuf::from(args.next().expect("--mntns takes a path")),
            "-h" | "--help" => {
                println!(
                    "usage: mntns-bench [--smoke] [--procs N] [--mounts M] [--runs R] [--mntns PATH]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other:?}"),
        }
    }
    if config.smoke {
        config.procs = config.procs.min(50);
        config.mounts = config.mounts.min(200);
        config.runs = 3;
    }
    if let Some(r) = runs {
        config.runs = r;
    }
    config
}

// ---------------------------------------------------------------------------------------
// Timing.

/// One command of a benchmark and its samples.
struct Contender {
    label: String,
    argv: Vec<String>,
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    /// The stdout of the first run (kept for the smoke checks).
    first_output: Option<Vec<u8>>,
}

impl Contender {
    fn new(label: &str, argv: &[&str]) -> Contender {
        Contender {
            label: label.to_owned(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            wall: Vec::new(),
            cpu: Vec::new(),
            first_output: None,
        }
    }

    /// Runs the command once: stdout to /dev/null (captured on the first run), wall time
    /// from spawn to reap, CPU time from wait4's rusage.
    // The child is reaped with wait4 (for its rusage), which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    fn run_once(&mut self) {
        let capture = self.first_output.is_none();
        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..]).stdin(Stdio::null());
        cmd.stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let start = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("run {:?}: {e}", self.argv));
        let mut output = Vec::new();
        if let Some(mut out) = child.stdout.take() {
            use std::io::Read;
            out.read_to_end(&mut output).expect("read output");
        }
        let mut status = 0;
        // SAFETY: rusage is a valid out pointer.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child with valid pointers; std's Child is not waited on
        // afterwards (dropping it does not wait).
        let rc = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
        let wall = start.elapsed();
        assert_eq!(rc, child.id() as i32, "wait4 {:?}", self.argv);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{:?} failed with status {status:#x}",
            self.argv
        );
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        self.wall.push(wall);
        self.cpu.push(tv(usage.ru_utime) + tv(usage.ru_stime));
        if capture {
            self.first_output = Some(output);
        }
    }

    fn median_wall(&self) -> Duration {
        median(&self.wall)
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    s[s.len() / 2]
}

/// Runs every contender `runs` times, rotating the order each round. One warm-up round
/// (its samples dropped) first fills the caches every later round sees.
fn interleave(contenders: &mut [Contender], runs: usize) {
    for c in contenders.iter_mut() {
        c.run_once();
        c.wall.clear();
        c.cpu.clear();
    }
    let n = contenders.len();
    for round in 0..runs {
        for i in 0..n {
            contenders[(round + i) % n].run_once();
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(contenders: &[Contender], floor: usize) {
    let base = contenders[floor].median_wall().as_secs_f64();
    for c in contenders {
        let wall = c.median_wall();
        println!(
            "  {:<44} {:>10} ({:>10})  {:>6.2}x",
            c.label,
            ms(wall),
            ms(median(&c.cpu)),
            wall.as_secs_f64() / base
        );
    }
}

/// Prints one target's verdict; returns whether it was met.
fn verdict(what: &str, ratio: f64, limit: f64, at_most: bool) -> bool {
    let met = if at_most {
        ratio <= limit
    } else {
        ratio >= limit
    };
    let rel = if at_most { "<=" } else { ">=" };
    println!(
        "  target: {what} {rel} {limit}x: {ratio:.2}x -> {}",
        if met { "met" } else { "NOT MET" }
    );
    met
}

// ---------------------------------------------------------------------------------------
// Benchmark 1: mntns ls -t mnt.

fn bench_ls(config: &Config) -> bool {
    let holders = spawn_namespace_holders(config.procs);
    let scan = config.bin_dir.join("raw-ns-scan");
    let scan = scan.to_str().expect("UTF-8 path");
    let mntns = config.mntns.to_str().expect("UTF-8 path");
    let mut contenders = vec![
        Contender::new("raw scan: readlink /proc/*/ns/mnt (floor)", &[scan]),
        Contender::new("raw scan: stat /proc/*/ns/mnt", &[scan, "--stat"]),
        Contender::new(
            "sh -c 'readlink /proc/[0-9]*/ns/mnt'",
            &[
                "sh",
                "-c",
                "readlink /proc/[0-9]*/ns/mnt 2>/dev/null || true",
            ],
        ),
        Contender::new("mntns ls -t mnt", &[mntns, "ls", "-t", "mnt"]),
        Contender::new(
            "mntns ls -t mnt -o NS,TYPE,NPROCS,PID",
            &[mntns, "ls", "-t", "mnt", "-o", "NS,TYPE,NPROCS,PID"],
        ),
        Contender::new("lsns -t mnt", &["lsns", "-t", "mnt"]),
    ];
    println!(
        "\nls: {} processes, each in its own mount namespace ({} processes in all)",
        holders.pids.len(),
        count_processes()
    );
    interleave(&mut contenders, config.runs);
    report(&contenders, 0);
    let wall = |i: usize| contenders[i].median_wall().as_secs_f64();
    let mut ok = true;
    if !config.smoke {
        verdict(
            "mntns ls -t mnt / raw readlink scan",
            wall(3) / wall(0),
            1.2,
            true,
        );
        verdict(
            "mntns ls -t mnt / raw stat scan",
            wall(3) / wall(1),
            1.2,
            true,
        );
        verdict(
            "mntns ls -t mnt -o NS,TYPE,NPROCS,PID / raw readlink scan",
            wall(4) / wall(0),
            1.2,
            true,
        );
        verdict(
            "lsns -t mnt / mntns ls -t mnt",
            wall(5) / wall(3),
            10.0,
            false,
        );
        println!(
            "  (lsns -t mnt / raw readlink scan: {:.2}x, the most any listing could gain)",
            wall(5) / wall(0)
        );
    } else {
        // Smoke: the listing must show every holder's namespace.
        let out = String::from_utf8_lossy(contenders[3].first_output.as_deref().unwrap_or(b""))
            .into_owned();
        let rows = out.lines().count().saturating_sub(1);
        ok &= rows > holders.pids.len();
        println!(
            "  smoke: mntns ls -t mnt listed {rows} namespaces for {} holders: {}",
            holders.pids.len(),
            if ok { "ok" } else { "TOO FEW" }
        );
    }
    drop(holders);
    ok
}

/// Processes that each unshared a mount namespace and wait on a pipe.
struct Holders {
    pids: Vec<libc::pid_t>,
    release: Option<OwnedFd>,
}

impl Drop for Holders {
    fn drop(&mut self) {
        drop(self.release.take());
        for &pid in &self.pids {
            // SAFETY: waitpid on our own child.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        }
    }
}

fn spawn_namespace_holders(n: usize) -> Holders {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let (ready_r, ready_w) = {
        let mut fds = [0; 2];
        // SAFETY: as above.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: as above.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    };
    let mut pids = Vec::with_capacity(n);
    for _ in 0..n {
        // SAFETY: the harness is single-threaded; the child makes raw calls and exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            // SAFETY: raw calls in the child: own mount namespace, say ready, wait for the
            // release pipe to close, exit.
            unsafe {
                libc::close(write_end.as_raw_fd());
                let ok: u8 = (libc::unshare(libc::CLONE_NEWNS) == 0) as u8;
                libc::write(ready_w.as_raw_fd(), (&ok as *const u8).cast(), 1);
                let mut b = 0u8;
                libc::read(read_end.as_raw_fd(), (&mut b as *mut u8).cast(), 1);
                libc::_exit(0);
            }
        }
        pids.push(pid);
    }
    drop(ready_w);
    let mut ready = vec![0u8; n];
    let mut got = 0;
    while got < n {
        // SAFETY: reading into the unfilled tail of `ready`.
        let r = unsafe {
            libc::read(
                ready_r.as_raw_fd(),
                ready[got..].as_mut_ptr().cast(),
                n - got,
            )
        };
        assert!(r > 0, "holders did not all start");
        got += r as usize;
    }
    assert!(ready.iter().all(|&b| b == 1), "a holder could not unshare");
    drop(read_end);
    Holders {
        pids,
        release: Some(write_end),
    }
}

fn count_processes() -> usize {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter(|e| {
                e.as_ref().is_ok_and(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
                })
            })
            .count()
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Benchmark 2: mntns mounts.

fn bench_mounts(config: &Config) -> bool {
    let dir = make_mounts(config.mounts);
    let raw = config.bin_dir.join("raw-mountinfo");
    let raw = raw.to_str().expect("UTF-8 path");
    let mntns = config.mntns.to_str().expect("UTF-8 path");
    let mut contenders = vec![
        Contender::new("raw mountinfo: read, split, print (floor)", &[raw]),
        Contender::new(
            "raw mountinfo: read, split (no output)",
            &[raw, "--no-print"],
        ),
        Contender::new("mntns mounts", &[mntns, "mounts"]),
        Contender::new(
            "mntns mounts --source mountinfo",
            &[mntns, "mounts", "--source", "mountinfo"],
        ),
        Contender::new(
            "mntns mounts --source statmount",
            &[mntns, "mounts", "--source", "statmount"],
        ),
        Contender::new("mntns mounts -J", &[mntns, "mounts", "-J"]),
        Contender::new("findmnt -J", &["findmnt", "-J"]),
        Contender::new("findmnt -J -l", &["findmnt", "-J", "-l"]),
    ];
    let total = std::fs::read_to_string("/proc/self/mountinfo")
        .map(|t| t.lines().count())
        .unwrap_or(0);
    println!(
        "\nmounts: {} extra tmpfs mounts ({total} in the table)",
        config.mounts
    );
    interleave(&mut contenders, config.runs);
    report(&contenders, 0);
    let wall = |i: usize| contenders[i].median_wall().as_secs_f64();
    let mut ok = true;
    if !config.smoke {
        verdict("mntns mounts / raw mountinfo", wall(2) / wall(0), 1.2, true);
        verdict(
            "mntns mounts --source mountinfo / raw mountinfo",
            wall(3) / wall(0),
            1.2,
            true,
        );
        verdict("findmnt -J / mntns mounts", wall(6) / wall(2), 10.0, false);
        verdict(
            "findmnt -J / mntns mounts -J",
            wall(6) / wall(5),
            10.0,
            false,
        );
    } else {
        for i in [2, 3, 4] {
            let out = contenders[i].first_output.as_deref().unwrap_or(b"");
            let rows = out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
            let good = rows == total + 1;
            ok &= good;
            println!(
                "  smoke: {} printed {rows} lines for {total} mounts: {}",
                contenders[i].label,
                if good { "ok" } else { "WRONG" }
            );
        }
    }
    remove_mounts(&dir);
    ok
}

/// A tmpfs on a fresh directory under /tmp with `n` tmpfs mounts below it, in this
/// process's private mount namespace.
fn make_mounts(n: usize) -> PathBuf {
    let mut template = *b"/tmp/mntns-bench-XXXXXX\0";
    // SAFETY: a writable NUL-terminated template ending in XXXXXX.
    assert!(!unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) }.is_null());
    let dir = PathBuf::from(std::str::from_utf8(&template[..template.len() - 1]).unwrap());
    mount_tmpfs(&dir, "size=64m,nr_inodes=100000");
    for i in 0..n {
        let sub = dir.join(i.to_string());
        std::fs::create_dir(&sub).expect("mkdir");
        mount_tmpfs(&sub, "size=16k");
    }
    dir
}

fn mount_tmpfs(target: &Path, data: &str) {
    let t = CString::new(target.to_str().unwrap()).unwrap();
    let d = CString::new(data).unwrap();
    // SAFETY: valid C strings; a tmpfs mount in this process's private namespace.
    let rc = unsafe {
        libc::mount(
            c"bench".as_ptr(),
            t.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            d.as_ptr().cast(),
        )
    };
    assert_eq!(
        rc,
        0,
        "mount tmpfs on {}: {}",
        target.display(),
        std::io::Error::last_os_error()
    );
}

fn remove_mounts(dir: &Path) {
    let c = CString::new(dir.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; detaching our own mount (and everything below it).
    unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    let _ = std::fs::remove_dir(dir);
}

// ---------------------------------------------------------------------------------------
// Setup.

/// Moves this process into a new mount namespace whose `/` is private, so nothing mounted
/// here reaches the host.
fn private_mount_namespace() {
    // SAFETY: the harness is single-threaded; constant arguments.
    unsafe {
        assert_eq!(libc::unshare(libc::CLONE_NEWNS), 0, "unshare(CLONE_NEWNS)");
        assert_eq!(
            libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ),
            0,
            "make / rprivate"
        );
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
