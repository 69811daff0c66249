"""zotops.zot.server's launchd path on the seeds' Mac layout, with a `launchctl` stand-in.

The seeds run zot as a user LaunchAgent: config in ~/.config/zot/config.json, data in ~/zot, no
system user, zot built by hand (zot_binary_local_path). There is no macOS here, so the host says it
is one (ansible_facts) and `launchctl` is tests/integration/server/launchctl_standin.py, which reads
the plist with plistlib, refuses keys launchd.plist(5) does not document, and starts the real zot
with the plist's environment, directory and output files. One test, one zot: --check on the fresh
Mac changes nothing, converge, a second run changes nothing, --check --diff predicts a change and
makes none, the change restarts zot, and a change zot cannot start with is rolled back.
"""
import getpass
import grp
import json
import os
import plistlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from integration.harness.env import venv_bin
from integration.harness.process import free_port
from integration.server.launchctl_standin import plist_problems
from integration.server.server_helpers import HERE, Host

pytestmark = [pytest.mark.zot, pytest.mark.slow]

PLAYBOOK = HERE / "playbooks" / "server_launchd.yml"
STANDIN = HERE / "launchctl_standin.py"
LABEL = "dev.zotregistry.zot"
USERS = {"admin": "admin-Pass-1", "ci": "ci-Pass-1"}


def tiers(anonymous=("read",)):
    return {"groups": {"artifact-workloads": {"users": ["ci"]}, "admins": {"users": ["admin"]}},
            "repositories": {"**": {"anonymousPolicy": list(anonymous), "defaultPolicy": ["read"],
                                    "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]}},
            "adminPolicy": {"groups": ["admins"], "actions": ["read", "create", "update", "delete"]}}


@pytest.fixture
def mac(zot_bin):
    """The seeds' Mac: a home directory, the launchctl stand-in first on PATH, the LaunchAgent's vars."""
    root = Path(tempfile.mkdtemp(prefix="zotops-launchd-"))
    root.chmod(0o755)
    home = root / "Users" / "seed"
    home.mkdir(parents=True)
    state = root / "launchd-state"
    bin_dir = root / "bin"
    bin_dir.mkdir()
    launchctl = bin_dir / "launchctl"
    launchctl.write_text(f"#!/bin/sh\nLAUNCHCTL_STANDIN_STATE={state} exec {venv_bin('python')} {STANDIN} \"$@\"\n")
    launchctl.chmod(0o755)
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    host = Host(root / "unused", {}, bin_dir, service_manager="auto")
    host.vars = {
        # What the setup module would say on the seeds' Mac.
        "ansible_facts": {"system": "Darwin", "architecture": "x86_64", "service_mgr": "launchd",
                          "user_dir": str(home), "user_uid": os.getuid(), "user_id": user},
        "zot_service_manager": "auto", "zot_launchd_domain": "agent", "zot_launchd_label": LABEL,
        "zot_create_user": False, "zot_system_user": user, "zot_system_group": group,
        "zot_binary_owner": user, "zot_binary_group": group, "zot_binary_local_path": zot_bin,
        "zot_install_dir": str(home / ".local" / "lib" / "zot"), "zot_binary_path": str(home / ".local" / "bin" / "zot"),
        "zot_config_dir": str(home / ".config" / "zot"), "zot_data_dir": str(home / "zot"),
        "zot_log_dir": str(home / "Library" / "Logs" / "zot"), "zot_local_cache_path": str(root / "controller-cache"),
        # The seeds listen on 5050; a free port keeps parallel runs on this machine apart.
        "zot_http_address": "127.0.0.1", "zot_http_port": free_port(), "zot_health_check_timeout": 10,
        "zot_htpasswd_users": [{"name": n, "password": p} for n, p in USERS.items()],
        "zot_access_control": tiers(),
    }
    host.home, host.launchctl, host.target = home, str(launchctl), f"gui/{os.getuid()}/{LABEL}"
    yield host
    subprocess.run([str(launchctl), "bootout", host.target], capture_output=True, timeout=60, check=False)
    shutil.rmtree(root, ignore_errors=True)


def launchd_print(mac):
    shown = subprocess.run([mac.launchctl, "print", mac.target], capture_output=True, text=True, timeout=30,
                           check=False)
    fields = dict(line.strip().split(" = ", 1) for line in shown.stdout.splitlines() if " = " in line)
    return shown.returncode, fields


def answers(url, auth=None, timeout=30):
    """The status zot answers with once it is up again (the rollback restarts it and returns)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, auth=auth, timeout=5).status_code
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_launch_agent_on_the_seeds_layout(mac):
    home = mac.home
    plist_path = home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    config_path = home / ".config" / "zot" / "config.json"

    # Check mode on the fresh Mac: nothing fails, nothing is written, nothing is loaded.
    fresh = mac.run(playbook=PLAYBOOK, check=True, diff=True)
    assert fresh.rc == 0, str(fresh)
    assert fresh.changed >= 1 and "zot would be started: it is not running" in fresh.stdout
    assert list(home.iterdir()) == [] and launchd_print(mac)[0] == 113

    first = mac.run(playbook=PLAYBOOK)
    assert first.rc == 0, str(first)
    job = plistlib.loads(plist_path.read_bytes())
    assert plist_problems(job) == []  # only launchd.plist(5)'s documented keys, each of its type
    assert job["Label"] == LABEL
    assert job["ProgramArguments"] == [str(home / ".local/bin/zot"), "serve", str(config_path)]
    assert "UserName" not in job  # a LaunchAgent runs as the logged-in user
    assert job["WorkingDirectory"] == str(home / "zot") and job["RunAtLoad"] is True
    assert job["KeepAlive"] == {"SuccessfulExit": False}
    assert job["StandardErrorPath"] == str(home / "Library/Logs/zot/zot.stderr.log")
    rc, state = launchd_print(mac)
    assert rc == 0 and state["state"] == "running", state
    assert json.loads(config_path.read_text())["storage"]["rootDirectory"] == str(home / "zot")
    assert requests.get(f"{mac.url}/v2/_catalog", timeout=10).status_code == 200  # anonymous read
    pid = state["pid"]

    again = mac.run(playbook=PLAYBOOK)
    assert again.rc == 0 and again.changed == 0, str(again)
    assert launchd_print(mac)[1]["pid"] == pid

    # --check --diff: the policy change and the restart are predicted, nothing changes.
    closed = tiers(anonymous=())
    files = {p: p.read_bytes() for p in (config_path, plist_path)}
    check = mac.run(playbook=PLAYBOOK, check=True, diff=True, zot_access_control=closed)
    assert check.rc == 0, str(check)
    assert '"anonymousPolicy": []' in check.stdout and "zot would be restarted" in check.stdout
    assert {p: p.read_bytes() for p in files} == files and launchd_print(mac)[1]["pid"] == pid

    # The change restarts zot (launchctl kickstart -k) and takes effect.
    applied = mac.run(playbook=PLAYBOOK, zot_access_control=closed)
    assert applied.rc == 0, str(applied)
    assert "launchctl kickstart -k" in applied.stdout or "(launchd)" in applied.stdout
    rc, state = launchd_print(mac)
    assert state["state"] == "running" and state["pid"] != pid, state
    assert requests.get(f"{mac.url}/v2/_catalog", timeout=10).status_code == 401
    good_config = config_path.read_text()

    # A change zot cannot start with (its OpenID issuer does not answer): rolled back and restarted.
    dead = f"http://127.0.0.1:{free_port()}/realms/none"
    failed = mac.run(playbook=PLAYBOOK, zot_access_control=closed, zot_http_external_url=mac.url,
                     zot_health_check_timeout=4,  # zot panics at once: no need to wait long to know
                     zot_openid_providers={"oidc": {"issuer": dead, "client_id": "zot", "client_secret": "s3cret-X"}})
    assert failed.rc != 0
    assert "The previous configuration and binary were restored and zot restarted." in failed.output, str(failed)
    assert config_path.read_text() == good_config
    assert launchd_print(mac)[1]["state"] == "running"
    assert answers(f"{mac.url}/v2/", auth=("admin", USERS["admin"])) == 200
    for secret in list(USERS.values()) + ["s3cret-X"]:
        assert secret not in first.output + check.output + failed.output
