"""The server role's molecule scenarios (cleanup, syntax, converge, idempotence, verify, cleanup)
against the real zot, run as a role developer runs them: `molecule test` in roles/server.

- `remote`: a booted test host over SSH with become, under its own systemd (the way users run it);
- `default`: this machine itself over the local connection (systemctl3.py standing in for systemctl,
  since the controller's PID 1 is not systemd), as a developer without a spare host runs it.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

from integration.harness.ansible import ansible_env
from integration.harness.env import REPO, venv_bin

pytestmark = [pytest.mark.zot, pytest.mark.slow]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# Where molecule's prerun would install the collection (prerun: false in molecule.yml): a copy there would
# outlive the run and shadow the checkout for later tools (ansible-lint reported a new module as unknown).
USER_COPY = Path.home() / ".ansible" / "collections" / "ansible_collections" / "zotops" / "zot"


def molecule_test(scenario, env):
    had_copy = USER_COPY.exists()
    env = ansible_env(dict(env, MOLECULE_NO_LOG="false"))
    env.pop("ANSIBLE_COLLECTIONS_PATH")  # molecule.yml names the checkout's collection tree itself
    proc = subprocess.run([venv_bin("molecule"), "test", "--scenario-name", scenario], cwd=REPO / "roles" / "server",
                          env=env, capture_output=True, text=True, timeout=900, check=False)
    output = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, output[-20000:]
    # Molecule's idempotence step fails on any change in the second converge; verify checks the
    # files, anonymous read, a refused unauthenticated push, and CI pushing a new tag but refused
    # (403) on the same tag.
    for step in ("converge", "idempotence", "verify"):
        assert re.search(rf"{step}: Executed: Successful", output), output[-4000:]
    assert had_copy or not USER_COPY.exists(), f"molecule left a copy of the collection in {USER_COPY}"
    return output


def test_molecule_remote_scenario_passes_on_a_booted_host(zot_bin, test_hosts, release_mirror):
    host = test_hosts.hosts[2]
    output = molecule_test("remote", {
        "ZOTOPS_MOLECULE_HOST": host.address, "ZOTOPS_MOLECULE_USER": "ansible", "ZOTOPS_MOLECULE_KEY": host.key,
        "ZOTOPS_ZOT_RELEASE_URL": release_mirror.base_url})
    assert "Download and verify the zot binaries" in output
    # The cleanup left the host as it found it.
    assert not host.path("/etc/zot").exists() and not host.path("/etc/systemd/system/zot.service").exists()


def test_molecule_default_scenario_passes_on_the_controller(zot_bin, systemd_path):
    venv = Path(venv_bin("python")).parent
    molecule_test("default", {
        "PATH": f"{systemd_path}:{venv}:{os.environ.get('PATH', '')}",
        "ZOTOPS_ZOT_BIN": zot_bin,
        "ZOTOPS_SERVICE_MANAGER": "systemd",
        "ZOTOPS_PYTHON": venv_bin("python"),
    })
