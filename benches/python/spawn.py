#!/usr/bin/env python3
"""Spawning a sandbox from Python against the Rust API, in one interleaved run.

The sandbox is the same on both sides: ``Spec::new().ro_bind("/bin/busybox", "/bin/true")``
running ``/bin/true`` — in Python ``Sandbox(base="bare").add_bind("/bin/busybox",
"/bin/true", readonly=True)``. Each measurement is a fresh process that spawns the sandbox
N times after a warm-up and reports the median time per spawn (spawn + wait):

- ``rust``: ``core/examples/spawn_loop.rs`` (the plan built once, ``spawn_argv`` + ``wait``);
- ``py-spawn``: ``sandbox.spawn(argv).wait()``;
- ``py-run``: ``sandbox.run(argv)`` (returns a ``subprocess.CompletedProcess``);
- ``py-run-1g``: ``py-run`` in a process holding 1 GiB (a ``bytearray`` with every page
  touched): the vfork-style spawn copies no page tables, so this should cost the same;
- ``py-fork`` and ``py-fork-1g``: the same with ``clone_mode="fork"`` (a copy-on-write
  child, which copies the page tables), to show what the vfork path saves.

Rounds interleave the measurements (rust, py-spawn, py-run, …, then again, each round
starting at the next kind), so a slow moment of the machine hits all of them; each ratio is the median over the rounds of the
ratio within one round. Targets: Python ≤ 1.15× Rust, and 1 GiB / small flat (≤ 1.15×).

    python3 benches/python/spawn.py            # 21 rounds of 150 spawns each (~3 minutes)
    python3 benches/python/spawn.py --smoke    # a few seconds: checks that it all runs
    python3 benches/python/spawn.py --rootless # (as root) measured as uid 65534

Run it with the Python that has ``mntns`` installed (``scripts/test`` builds one in
``target/venv``), as root or as an ordinary user (rootless sandboxes then). It builds the
Rust side with ``cargo build --release -p mntns --example spawn_loop`` unless ``--rust-bin``
names it. Results and how they were taken: docs/performance.md, section "Python".
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
BUSYBOX = "/bin/busybox"
GIB = 1 << 30
NOBODY = 65534
PY_KINDS = ("py-spawn", "py-run", "py-run-1g", "py-fork", "py-fork-1g")


def drop_to_nobody() -> None:
    """uid/gid 65534 without capabilities, still dumpable (the sandbox's child writes its
    own /proc/self/uid_map, which a uid change would hand to root)."""
    import ctypes

    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE


def worker(kind: str, spawns: int, warmup: int, rootless: bool) -> None:
    """Runs in its own process: one measurement, printed as JSON."""
    import mntns

    if rootless:
        drop_to_nobody()

    clone_mode = "fork" if kind.startswith("py-fork") else None
    sandbox = mntns.Sandbox(base="bare", clone_mode=clone_mode)
    sandbox.add_bind(BUSYBOX, "/bin/true", readonly=True)
    ballast = None
    if kind.endswith("-1g"):
        ballast = bytearray(GIB)
        ballast[::4096] = b"\x01" * (GIB // 4096)  # touch every page: really resident
    argv = ["/bin/true"]
    if kind == "py-spawn":

        def once() -> None:
            if sandbox.spawn(argv).wait() != 0:
                raise SystemExit("/bin/true failed in the sandbox")

    else:

        def once() -> None:
            if sandbox.run(argv).returncode != 0:
                raise SystemExit("/bin/true failed in the sandbox")

    for _ in range(warmup):
        once()
    times = []
    clock = time.perf_counter_ns
    for _ in range(spawns):
        t = clock()
        once()
        times.append(clock() - t)
    rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    print(json.dumps({"median_ns": statistics.median(times), "rss": rss, "ballast": ballast is not None}))


def rust_binary(args: argparse.Namespace) -> Path:
    if args.rust_bin:
        return Path(args.rust_bin)
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "-p", "mntns", "--example", "spawn_loop"],
        cwd=TOP,
        check=True,
    )
    return TOP / "target" / "release" / "examples" / "spawn_loop"


def measure(kind: str, args: argparse.Namespace, rust: Path) -> float:
    # Namespaces of the previous measurement's sandboxes are torn down by the kernel after
    # they exit: let that finish so it is not charged to the next measurement.
    time.sleep(args.pause)
    # The fork path with 1 GiB is ~20x slower: fewer spawns give the same confidence.
    spawns = max(args.spawns // 8, 5) if kind == "py-fork-1g" else args.spawns
    if kind == "rust":
        # The Rust loop has no separate warm-up: its first spawns are a small part of N.
        cmd = [str(rust), str(spawns)]
        if args.rootless:
            cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] + cmd
    else:
        cmd = [sys.executable, __file__, "--worker", kind, "--spawns", str(spawns), "--warmup", str(args.warmup)]
        if args.rootless:
            cmd.append("--rootless")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(json.loads(out)["median_ns"])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="a few spawns per measurement: checks it runs")
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--spawns", type=int, default=150, help="spawns per measurement")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--pause", type=float, default=0.2, help="seconds between measurements")
    p.add_argument("--rust-bin", help="the built spawn_loop example (default: build it)")
    p.add_argument("--rootless", action="store_true", help="(as root) measure as uid 65534: rootless sandboxes")
    p.add_argument("--worker", choices=PY_KINDS, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.spawns, args.warmup, args.rootless)
        return 0
    if args.smoke:
        args.rounds, args.spawns, args.warmup, args.pause = 1, 20, 3, 0.0
    if args.rootless and os.geteuid() != 0:
        print("spawn.py: --rootless drops from root to uid 65534; as an ordinary user, leave it out", file=sys.stderr)
        return 2
    if not os.path.exists(BUSYBOX):
        print(f"spawn.py: {BUSYBOX} is needed (Debian package busybox-static)", file=sys.stderr)
        return 2
    rust = rust_binary(args)
    kinds = ("rust",) + PY_KINDS
    results: dict[str, list[float]] = {k: [] for k in kinds}
    for r in range(args.rounds):
        # Each round starts at another kind, so no kind always follows the same one (e.g. a
        # 1 GiB process that just exited).
        for kind in kinds[r % len(kinds) :] + kinds[: r % len(kinds)]:
            results[kind].append(measure(kind, args, rust))
    med = {k: statistics.median(v) for k, v in results.items()}

    def ratio(a: str, b: str) -> float:
        """The median over the rounds of a/b measured in the same round (a slow moment of
        the machine then slows both sides of each ratio)."""
        return statistics.median(x / y for x, y in zip(results[a], results[b]))

    who = "root" if os.geteuid() == 0 and not args.rootless else "rootless"
    print(f"spawn + wait of a minimal sandbox ({who}): median time per spawn, {args.rounds} interleaved rounds of {args.spawns} spawns")
    labels = {
        "rust": "Rust API (Plan::spawn_argv + wait)",
        "py-spawn": "Python sandbox.spawn(argv).wait()",
        "py-run": "Python sandbox.run(argv)",
        "py-run-1g": "Python sandbox.run(argv), 1 GiB resident",
        "py-fork": "Python run(), clone_mode='fork'",
        "py-fork-1g": "Python run(), clone_mode='fork', 1 GiB",
    }
    for kind in kinds:
        print(f"  {labels[kind]:<44} {med[kind] / 1000:9.1f} us  {ratio(kind, 'rust'):5.2f}x Rust")
    python = max(ratio("py-spawn", "rust"), ratio("py-run", "rust"))
    flat = ratio("py-run-1g", "py-run")
    fork = ratio("py-fork-1g", "py-fork")
    print(f"Python / Rust: {python:.2f}x (target <= 1.15x: {'met' if python <= 1.15 else 'NOT met'})")
    print(f"1 GiB / small, vfork path: {flat:.2f}x (target: flat, <= 1.15x: {'met' if flat <= 1.15 else 'NOT met'}); fork path: {fork:.2f}x")
    if args.smoke:
        print("(smoke run: too few spawns for the ratios to mean much)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
