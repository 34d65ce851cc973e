"""The fork-per-case helper does what the other tests rely on: each mode is what it claims,
results come back, and a failure in the child fails the test."""

import os
from pathlib import Path

import pytest

from conftest import run_in_child


def facts():
    return {
        "uids": os.getresuid(),
        "gids": os.getresgid(),
        "groups": os.getgroups(),
        "mnt": os.readlink("/proc/self/ns/mnt"),
        "user": os.readlink("/proc/self/ns/user"),
        "uid_map": Path("/proc/self/uid_map").read_text().split(),
        "root_propagation": [
            line.split()[6:-3] for line in Path("/proc/self/mountinfo").read_text().splitlines() if line.split()[4] == "/"
        ],
        "no_caps": Path("/proc/self/status").read_text().count("CapEff:\t0000000000000000"),
    }


def test_modes_are_what_they_claim():
    host_mnt = os.readlink("/proc/self/ns/mnt")
    host_user = os.readlink("/proc/self/ns/user")
    root = run_in_child("root", facts)
    assert root["uids"] == (0, 0, 0) and root["mnt"] != host_mnt and root["user"] == host_user
    # "/" is rprivate: no shared:N or master:N optional field on it.
    assert all(not any(f.startswith(("shared:", "master:")) for f in fields) for fields in root["root_propagation"])
    rootless = run_in_child("rootless", facts)
    assert rootless["uids"] == (0, 0, 0) and rootless["uid_map"] == ["0", "65534", "1"]
    assert rootless["mnt"] != host_mnt and rootless["user"] != host_user
    nobody = run_in_child("nobody", facts)
    assert nobody["uids"] == (65534,) * 3 and nobody["gids"] == (65534,) * 3 and nobody["groups"] == []
    assert nobody["mnt"] == host_mnt and nobody["user"] == host_user
    assert nobody["no_caps"] == 1


def test_child_failure_fails_the_test():
    def case():
        assert 1 + 1 == 3, "child arithmetic"

    with pytest.raises(pytest.fail.Exception, match="child arithmetic"):
        run_in_child("root", case)


def test_child_killed_fails_the_test():
    with pytest.raises(pytest.fail.Exception, match="killed by signal 9"):
        run_in_child("root", lambda: os.kill(os.getpid(), 9))


def test_unpicklable_result_fails_the_test():
    with pytest.raises(pytest.fail.Exception, match="not picklable"):
        run_in_child("root", lambda: (lambda: 0))
