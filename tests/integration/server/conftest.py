"""Fixtures for the zotops.zot.server tests.

Two kinds of tests live here:
- test_server_zot.py runs the role against the real zot (the lead's fixtures ``zot_bin``,
  ``release_mirror``, ``systemd_path``, ... from tests/integration/conftest.py) and skip, with the
  harness's exact reason, where zot is not available;
- test_server_role_mechanics.py exercises the role's mechanics (download, checksum, file modes, check mode,
  idempotence, verify-before-replace, restart, rollback) with ``fake_zot.py`` standing in for the
  binary, so they run everywhere. They assert nothing about registry behaviour.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from integration.harness.mirror import ReleaseMirror
from integration.server.server_helpers import FAKE_ZOT, BootedHost, Host, systemctl_dir


def _needs_root():
    if os.geteuid() != 0:
        pytest.skip("the role's mechanics tests create a system user and a systemd unit: run them as root")


@pytest.fixture(scope="session")
def fake_release(tmp_path_factory):
    """A loopback release mirror (the harness's ReleaseMirror) serving fake_zot.py as zot 2.1.20."""
    root = tmp_path_factory.mktemp("fake-release")
    binary = root / "zot-fake"
    # The interpreter line is added here: sanity allows no python3 shebang in a non-module file.
    binary.write_text("#!/usr/bin/python3\n" + FAKE_ZOT.read_text())
    binary.chmod(0o755)
    mirror = ReleaseMirror(root / "www", "2.1.20", binary).start()
    yield mirror
    mirror.stop()


@pytest.fixture
def host_root():
    """A world-traversable directory (pytest's tmp dirs are 0700: the zot user could not reach them)."""
    root = Path(tempfile.mkdtemp(prefix="zotops-server-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def offline_host(host_root):
    """A simulated host whose release URL is unreachable on purpose: for runs that must stop in the
    role's argument validation or preflight checks, before anything is downloaded."""
    return Host(host_root / "host", {"zot_release_base_url": "http://127.0.0.1:9/unreachable"},
                systemctl_dir(host_root))


@pytest.fixture
def fake_host(host_root, fake_release):
    """A simulated host whose zot comes from the fake release."""
    _needs_root()
    host = Host(host_root / "host", {"zot_release_base_url": fake_release.base_url}, systemctl_dir(host_root))
    yield host
    host.stop()


@pytest.fixture(scope="session")
def controller_cache(tmp_path_factory):
    """The controller's download cache for the booted hosts' runs (one download per session)."""
    return tmp_path_factory.mktemp("controller-cache")


def booted(test_host, release_mirror, controller_cache):
    """A BootedHost on ``test_host``, reset (the role's files, unit and user removed) afterwards."""
    host = BootedHost(test_host, {"zot_release_base_url": release_mirror.base_url}, controller_cache)
    host.reset()
    return host


@pytest.fixture
def real_host(test_hosts, release_mirror, controller_cache):
    """A fresh booted host: real systemd, SSH as an unprivileged user with become."""
    host = booted(test_hosts.hosts[1], release_mirror, controller_cache)
    yield host
    host.reset()


@pytest.fixture(scope="module")
def converged_host_factory(test_hosts, release_mirror, controller_cache):
    """The first booted host, converged once per module with the variables the module gives."""
    made = []

    def converge(**role_vars):
        host = booted(test_hosts.hosts[0], release_mirror, controller_cache)
        made.append(host)
        result = host.run(**role_vars)
        assert result.rc == 0, str(result)
        return host

    yield converge
    for host in made:
        host.reset()
