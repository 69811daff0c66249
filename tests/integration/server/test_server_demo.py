"""playbooks/demo.yml against the real zot: it installs the demo registry and its upstream, checks
what a user would notice, prints a table, and a second run changes nothing."""
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from integration.harness.ansible import ansible_env, run_playbook
from integration.harness.env import REPO, venv_bin
from integration.harness.process import free_port
from integration.server.server_helpers import TEST_USER

pytestmark = [pytest.mark.zot, pytest.mark.slow]

ROWS = re.compile(r'"\| (.+?) +\| (.+?) +\| (.+?) +\| (PASS|FAIL) +\|"')


def test_demo_installs_and_every_check_passes(release_mirror, systemd_path, tmp_path):
    root = Path(tempfile.mkdtemp(prefix="zotops-demo-"))
    root.chmod(0o755)
    name = f"zotops-demo-{uuid.uuid4().hex[:8]}"
    secrets_dir = tmp_path / "secrets"
    extra = {"demo_root": str(root), "demo_service_name": name, "demo_port": free_port(),
             "demo_upstream_port": free_port(), "demo_secrets_dir": str(secrets_dir),
             "zot_release_base_url": release_mirror.base_url, "zot_local_cache_path": str(root / "cache"),
             "zot_system_user": TEST_USER, "zot_system_group": TEST_USER, "zot_service_manager": "systemd"}
    env = {"PATH": f"{systemd_path}:{Path(venv_bin('python')).parent}:{os.environ.get('PATH', '')}"}
    try:
        result = run_playbook(REPO / "playbooks" / "demo.yml", extra_vars=extra, env=env)
        assert result.rc == 0, str(result)
        rows = ROWS.findall(result.stdout)
        assert len(rows) == 10, result.stdout[-4000:]
        assert all(row[3] == "PASS" for row in rows), rows
        checks = {row[0] for row in rows}
        assert {"admin deletes that tag", "pull-through of upstream library/hello:1"} <= checks
        for secret in secrets_dir.iterdir():
            assert secret.read_text().strip() not in result.output
        again = run_playbook(REPO / "playbooks" / "demo.yml", extra_vars=extra, env=env)
        assert again.rc == 0, str(again)
        assert again.changed == 0, str(again)
        assert all(row[3] == "PASS" for row in ROWS.findall(again.stdout))
    finally:
        for service in (name, f"{name}-upstream"):
            unit = Path("/etc/systemd/system") / f"{service}.service"
            if unit.exists():
                subprocess.run(["systemctl", "stop", service], env=ansible_env(env), capture_output=True,
                               timeout=60, check=False)
                unit.unlink()
        shutil.rmtree(root, ignore_errors=True)
