"""Helpers for the zotops.zot.server tests: a simulated host whose every path lives in a temp dir."""
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from integration.harness.ansible import ansible_env, run_playbook
from integration.harness.env import venv_bin
from integration.harness.process import free_port

HERE = Path(__file__).resolve().parent
PLAYBOOK = HERE / "playbooks" / "server.yml"
FAKE_ZOT = HERE / "fake_zot.py"
TEST_USER = "zotops-test"


def systemctl_dir(tmp):
    """A directory with `systemctl` -> the venv's systemctl3.py, to put first on PATH."""
    path = Path(tmp) / "systemctl-bin"
    path.mkdir(parents=True, exist_ok=True)
    link = path / "systemctl"
    if not link.exists():
        link.symlink_to(venv_bin("systemctl3.py"))
    return path


@contextlib.contextmanager
def provisioned_host(prefix, base_vars, systemctl_path):
    """A Host under a fresh root the zot user can reach (pytest's tmp dirs are 0700), stopped and
    removed afterwards. Skips unless root: the role creates a system user and a unit."""
    if os.geteuid() != 0:
        pytest.skip("installing zot as a service creates a system user and a unit: run as root")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    host = Host(root / "host", base_vars, systemctl_path)
    try:
        yield host
    finally:
        host.stop()
        shutil.rmtree(root, ignore_errors=True)


class Host:
    """One simulated host: every path the role writes lives under ``root``, and the service has a
    unique name, so tests never touch a real zot install and clean up after themselves."""

    def __init__(self, root, base_vars, systemctl_path, service_manager="systemd"):
        self.root = Path(root)
        self.name = f"zotops-test-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.systemctl_path = Path(systemctl_path)
        self.vars = {
            "zot_install_dir": str(self.root / "lib"),
            "zot_binary_path": str(self.root / "bin" / "zot"),
            "zot_config_dir": str(self.root / "etc"),
            "zot_data_dir": str(self.root / "data"),
            "zot_log_dir": str(self.root / "log"),
            "zot_local_cache_path": str(self.root.parent / f"{self.root.name}-controller-cache"),
            "zot_system_user": TEST_USER,
            "zot_system_group": TEST_USER,
            "zot_service_manager": service_manager,
            "zot_service_name": self.name,
            "zot_http_address": "127.0.0.1",
            "zot_http_port": self.port,
            "zot_health_check_timeout": 30,
        }
        self.vars.update(base_vars)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.vars['zot_http_port']}"

    @property
    def config_path(self):
        return Path(self.vars["zot_config_dir"]) / "config.json"

    def config(self):
        return json.loads(self.config_path.read_text())

    def env(self):
        venv = Path(venv_bin("python")).parent
        return {"PATH": f"{self.systemctl_path}:{venv}:{os.environ.get('PATH', '')}"}

    def run(self, playbook=PLAYBOOK, check=False, diff=False, verbosity=0, **overrides):
        extra = dict(self.vars)
        extra.update(overrides)
        return run_playbook(playbook, extra_vars=extra, check=check, diff=diff, verbosity=verbosity, env=self.env())

    def snapshot(self):
        """{relative path: (mode, uid, gid, content or link target)} of everything under root."""
        state = {}
        if not self.root.exists():
            return state
        for path in sorted(self.root.rglob("*")):
            if path.parent.name == "log" and path.parent.parent == self.root:
                continue  # zot's own log grows with every request; the role does not write it
            st = path.lstat()
            if path.is_symlink():
                content = os.readlink(path)
            elif path.is_file():
                content = path.read_bytes()
            else:
                content = None
            state[str(path.relative_to(self.root))] = (st.st_mode, st.st_uid, st.st_gid, content)
        unit = Path("/etc/systemd/system") / f"{self.name}.service"
        state["<unit>"] = unit.read_text() if unit.exists() else None
        return state

    def stop(self):
        unit = Path("/etc/systemd/system") / f"{self.name}.service"
        if unit.exists():
            subprocess.run(["systemctl", "stop", self.name], env=ansible_env(self.env()),
                           capture_output=True, timeout=60, check=False)
            unit.unlink()
