"""Check mode's restart prediction matches the real run, for every service manager this machine can run.

After a change to zot's config, ``--check`` prints "zot would be restarted" exactly when the real run then
restarts zot: with systemd (the venv's systemctl3.py running the role's real unit) always, with
``zot_service_manager: none`` never (whoever runs zot restarts it; here the test runs it, as
docs/getting-started.md says). Restarts are observed as a user would: the zot process serving the config
is a new one, or the same one.
"""
import os
import time
from pathlib import Path

import pytest
import requests

from integration.harness.process import ManagedProcess
from integration.server.server_helpers import TEST_USER, provisioned_host

pytestmark = [pytest.mark.zot, pytest.mark.slow]

RESTART_LINE = "zot would be restarted"


def zot_pids(host):
    """PIDs of the zot processes serving this host's config (read from /proc)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = entry.joinpath("cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and str(host.config_path).encode() in argv and b"runuser" not in argv[0]:
            pids.add(int(entry.name))
    return pids


def wait_for_zot(host, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{host.url}/v2/", timeout=2).status_code in (200, 401):
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "zot did not answer"
        time.sleep(0.3)


@pytest.mark.parametrize("manager", ["systemd", "none"])
def test_check_predicts_a_restart_iff_the_real_run_restarts(manager, release_mirror, systemd_path):
    base = {"zot_release_base_url": release_mirror.base_url, "zot_service_manager": manager}
    with provisioned_host(f"zotops-guide-restart-{manager}-", base, systemd_path) as host:
        served = None
        try:
            first = host.run()
            assert first.rc == 0, str(first)
            if manager == "none":
                # As docs/getting-started.md says: run zot yourself, as the zot user.
                served = ManagedProcess("zot-none", ["runuser", "-u", TEST_USER, "--", host.vars["zot_binary_path"],
                                                     "serve", str(host.config_path)], host.root.parent,
                                        env={"PATH": os.environ["PATH"]}).start()
            wait_for_zot(host)
            before = zot_pids(host)
            assert len(before) == 1, before

            # Nothing to do: no prediction, no restart.
            idle_check = host.run(check=True)
            assert idle_check.rc == 0, str(idle_check)
            assert RESTART_LINE not in idle_check.stdout
            idle = host.run()
            assert idle.rc == 0 and idle.changed == 0, str(idle)
            assert zot_pids(host) == before

            # A config change: the prediction, then what the real run does.
            check = host.run(check=True, zot_log_level="debug")
            assert check.rc == 0, str(check)
            assert "config.json" in check.stdout or check.changed > 0, str(check)
            predicted = RESTART_LINE in check.stdout
            applied = host.run(zot_log_level="debug")
            assert applied.rc == 0, str(applied)
            wait_for_zot(host)
            after = zot_pids(host)
            assert len(after) == 1, after
            restarted = after != before
            assert predicted == restarted, f"check predicted a restart: {predicted}; the real run restarted: {restarted}"
            assert restarted is (manager == "systemd")
            if manager == "none":
                # zot kept running with the config it read at start, as the guide warns.
                assert served.running()
        finally:
            if served is not None:
                served.stop()
