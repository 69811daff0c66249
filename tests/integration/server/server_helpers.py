"""Helpers for the zotops.zot.server tests: a booted test host reached over SSH (``BootedHost``), and a
simulated host on the controller whose every path lives in a temp dir (``Host``, for the tests that
need the systemctl stand-in: see tests/integration/server/conftest.py)."""
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


def file_state(path):
    """(mode, uid, gid, content or link target) of one path, as a snapshot records it."""
    st = path.lstat()
    if path.is_symlink():
        content = os.readlink(path)
    elif path.is_file():
        content = path.read_bytes()
    else:
        content = None
    return st.st_mode, st.st_uid, st.st_gid, content


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
            state[str(path.relative_to(self.root))] = file_state(path)
        unit = Path("/etc/systemd/system") / f"{self.name}.service"
        state["<unit>"] = unit.read_text() if unit.exists() else None
        return state

    def stop(self):
        unit = Path("/etc/systemd/system") / f"{self.name}.service"
        if unit.exists():
            subprocess.run(["systemctl", "stop", self.name], env=ansible_env(self.env()),
                           capture_output=True, timeout=60, check=False)
            unit.unlink()


# The role's defaults: on a booted host the role runs as users run it, with no path overridden.
ROLE_PATHS = ("/etc/zot", "/var/lib/zot", "/usr/local/lib/zot", "/usr/local/bin/zot",
              "/etc/systemd/system/zot.service")


class BootedHost:
    """The server role's target on a booted test host (harness/hosts.py): reached over SSH as an
    unprivileged user with become, zot under the host's own systemd, the role's default paths.
    Offers what tests use of ``Host``: vars, run(), url, config_path, snapshot(), path()."""

    def __init__(self, test_host, base_vars, controller_cache):
        self.host = test_host
        self.vars = {"zot_local_cache_path": str(controller_cache), "zot_health_check_timeout": 30}
        self.vars.update(base_vars)

    @property
    def port(self):
        return int(self.vars.get("zot_http_port", 5000))

    @property
    def address(self):
        return self.host.address

    @property
    def url(self):
        return f"http://{self.host.address}:{self.port}"

    @property
    def config_path(self):
        return self.path("/etc/zot/config.json")

    def config(self):
        return json.loads(self.config_path.read_text())

    def path(self, path):
        return self.host.path(path)

    def inventory(self, path, host_vars=None):
        inventory = {"all": {"hosts": {self.host.name: dict(self.host.inventory_vars(), **(host_vars or {}))}}}
        Path(path).write_text(json.dumps(inventory, indent=2))
        return str(path)

    def run(self, playbook=PLAYBOOK, check=False, diff=False, verbosity=0, **overrides):
        extra = dict(self.vars)
        extra.update(overrides)
        with tempfile.TemporaryDirectory(prefix="zotops-inventory-") as tmp:
            return run_playbook(playbook, inventory=self.inventory(Path(tmp) / "inventory.json"), extra_vars=extra,
                                check=check, diff=diff, verbosity=verbosity)

    def snapshot(self):
        """{host path: (mode, uid, gid, content or link target)} of every path the role writes (zot's own
        log aside: it grows with every request), the zot user and group, and the unit's state."""
        state = {}
        for top in ROLE_PATHS:
            root = self.path(top)
            paths = [root] + (sorted(root.rglob("*")) if root.is_dir() and not root.is_symlink() else [])
            for path in paths:
                if not os.path.lexists(path):
                    continue
                state["/" + str(path.relative_to(self.host.rootfs))] = file_state(path)
        for db in ("etc/passwd", "etc/group"):
            state[db] = [line for line in self.path(db).read_text().splitlines() if line.startswith("zot:")]
        state["<unit>"] = self.unit_state()
        return state

    def unit_state(self):
        """{LoadState, UnitFileState, ActiveState} of zot.service, as the host's systemd sees it."""
        shown = self.host.ssh("systemctl show zot.service -p LoadState,UnitFileState,ActiveState").stdout
        return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)

    def reset(self, keep_binary=True):
        """Remove what the role wrote (its unit, files, user), so the next test starts from a fresh host.
        keep_binary leaves the installed release file (not the link): the role then finds it intact and
        copies nothing, which spares each test a 200 MB transfer; keep_binary=False leaves nothing."""
        paths = [p for p in ROLE_PATHS if not (keep_binary and p == "/usr/local/lib/zot")]
        keep = "find /usr/local/lib/zot -mindepth 1 ! -name 'zot-v*' -exec rm -rf {} +;" if keep_binary else ""
        self.host.ssh("systemctl disable --now zot >/dev/null 2>&1; rm -f /etc/systemd/system/zot.service;"
                      " systemctl daemon-reload; systemctl reset-failed; " + keep + "rm -rf " + " ".join(paths) +
                      " /var/log/zot /srv/* /home/ansible/tls; userdel zot >/dev/null 2>&1; groupdel zot >/dev/null 2>&1; true")
