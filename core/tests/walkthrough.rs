//! Runs `core/examples/walkthrough.rs` (built by `cargo test` with the other examples) as
//! root and as an unprivileged user, and checks what each step printed.

use std::path::PathBuf;
use std::process::Command;

use mntns_testkit::{Case, Ctx, Mode};

fn example() -> PathBuf {
    // target/debug/deps/walkthrough-HASH -> target/debug/examples/walkthrough
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/walkthrough");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds examples; run it through cargo",
        path.display()
    );
    path
}

fn walkthrough(ctx: &Ctx) {
    let out = Command::new(example())
        .env("TMPDIR", ctx.scratch())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "walkthrough failed: {}\n{stdout}\n{stderr}",
        out.status
    );

    let first = if ctx.mode == Mode::Root {
        "$ unshare -m\n"
    } else {
        "$ unshare -Urm"
    };
    assert!(stdout.starts_with(first), "{stdout}");
    // The 1 MiB tmpfs shows in the child's table the way `mount` prints it.
    let line = stdout
        .lines()
        .find(|l| l.contains("/tmp1 type tmpfs"))
        .unwrap_or_else(|| panic!("no tmpfs line for tmp1: {stdout}"));
    assert!(line.contains("size=1024k"), "{line}");
    // The child's namespace differs from the parent's, and the host found it with lsns.
    let id_of = |who: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(who))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| panic!("no {who} line: {stdout}"))
    };
    let child = id_of("child:");
    assert!(child.starts_with("mnt:["), "{child}");
    if ctx.mode == Mode::Root {
        assert_ne!(child, id_of("parent:"));
        assert!(
            stdout.contains(&format!("        {child}  nprocs=1")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("host sees tmp1 mounted: false"), "{stdout}");
    // After the pivot and the detach, the command ran in the new root.
    assert!(
        stdout.contains("/old-root now holds: (nothing)"),
        "{stdout}"
    );
    assert!(stdout.contains("hello from / in a root of:"), "{stdout}");
    // The example cleans up its work directory.
    let left: Vec<_> = std::fs::read_dir(ctx.scratch()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

fn main() {
    // As root, and as an ordinary user without namespaces (the example then creates the
    // user namespace itself).
    mntns_testkit::main(&[Case::new(
        "walkthrough",
        &[Mode::Root, Mode::Nobody],
        walkthrough,
    )]);
}
