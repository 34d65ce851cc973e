//! Spawns the same minimal sandbox N times through the Rust API and prints the median time
//! per spawn (spawn and wait) as JSON: `{"median_ns": …, "spawns": N, "vfork": true}`.
//!
//! The sandbox is `Spec::new().ro_bind("/bin/busybox", "/bin/true")` running `/bin/true`
//! (busybox runs the applet named by argv[0]), planned once and spawned N times. It is the
//! Rust side of `benches/python/spawn.py`, which compares the Python package against it:
//!
//! ```sh
//! cargo build --release -p mntns --example spawn_loop
//! target/release/examples/spawn_loop 2000
//! ```
//!
//! Rootless when not run as root. Needs `/bin/busybox` (Debian: `busybox-static`).

use std::process::ExitCode;
use std::time::Instant;

use mntns::Spec;

fn main() -> ExitCode {
    let spawns: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 1000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: spawn_loop [SPAWNS]   (a positive number, default 1000)");
            return ExitCode::from(2);
        }
    };
    let plan = match Spec::new().ro_bind("/bin/busybox", "/bin/true").plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("spawn_loop: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut times = Vec::with_capacity(spawns);
    for _ in 0..spawns {
        let t = Instant::now();
        let status = plan.spawn_argv(["/bin/true"]).and_then(|mut c| c.wait());
        let elapsed = t.elapsed();
        match status {
            Ok(s) if s.success() => times.push(elapsed.as_nanos()),
            Ok(s) => {
                eprintln!("spawn_loop: /bin/true in the sandbox: {s}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("spawn_loop: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    times.sort_unstable();
    println!(
        "{{\"median_ns\": {}, \"spawns\": {spawns}, \"vfork\": {}}}",
        times[times.len() / 2],
        plan.uses_vfork()
    );
    ExitCode::SUCCESS
}
