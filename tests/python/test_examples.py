"""The examples people copy work: examples/python/ns_tour.py as root and as an ordinary user,
and every ```python block of docs/python.md and README.md, each in a fresh forked child as
root and rootless."""

import contextlib
import io
import os
import pkgutil  # noqa: F401  (runpy imports it; imported here while /root is readable)
import re
import runpy
import subprocess
import sys

import pytest

import mntns
from conftest import TOP, run_in_child

TOUR = TOP / "examples" / "python" / "ns_tour.py"


def python_blocks(path):
    """(line number, code) of every ```python block of a Markdown file."""
    text = path.read_text()
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text, re.M | re.S):
        line = text.count("\n", 0, match.start()) + 2
        blocks.append((line, match.group(1)))
    return blocks


DOC_BLOCKS = [(path, line, code) for path in (TOP / "docs" / "python.md", TOP / "README.md") for line, code in python_blocks(path)]


def test_the_docs_have_python_examples():
    per_file = {path.name: sum(1 for p, _, _ in DOC_BLOCKS if p == path) for path in (TOP / "docs" / "python.md", TOP / "README.md")}
    assert per_file["python.md"] >= 10 and per_file["README.md"] >= 1, per_file


@pytest.mark.parametrize("path,line,code", DOC_BLOCKS, ids=[f"{p.name}:{line}" for p, line, _ in DOC_BLOCKS])
def test_doc_example_runs(child, path, line, code):
    def case():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{path.relative_to(TOP)}:{line}", "exec"), {"__name__": "__doc_example__"})
        return out.getvalue()

    child(case)


def check_tour_output(out, host_mnt):
    lines = out.splitlines()
    assert lines[0] == "$ unshare -Urm"
    # Rootless, the kernel adds the mounting user's uid= and gid= to the tmpfs options.
    assert re.search(r"^  tmpfs on /tmp type tmpfs \(rw,[^)]*\bsize=1024k\b[^)]*\)$", out, re.M)
    here = re.search(r"^  here: (mnt:\[\d+\])$", out, re.M).group(1)
    host = re.search(r"^  host: (mnt:\[\d+\])$", out, re.M).group(1)
    assert host == host_mnt and here != host
    assert re.search(r"^  mount \d+ in the host's table: no$", out, re.M)
    assert "  ls /: hello.txt old-root" in lines
    assert "  ls / without the old root: hello.txt" in lines
    assert re.search(r"^  tmpfs on / type tmpfs \(rw,[^)]*\bsize=1024k,mode=755\b[^)]*\)$", out, re.M)


def test_ns_tour_as_root():
    result = subprocess.run([sys.executable, str(TOUR)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    check_tour_output(result.stdout, str(mntns.ns_id()))


def test_ns_tour_as_an_ordinary_user():
    # Run as uid 65534 without capabilities; the script runs in the forked child (the
    # interpreter may live where 65534 cannot read it, so it is not started anew).
    def case():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                runpy.run_path(str(TOUR), run_name="__main__")
            except SystemExit as e:
                assert e.code == 0, e.code
        return out.getvalue()

    out = run_in_child("nobody", case)
    check_tour_output(out, str(mntns.ns_id()))
