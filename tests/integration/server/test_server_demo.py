"""playbooks/demo.yml against the real zot: it installs, checks the three tiers and prints a table."""
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from integration.harness.env import REPO
from integration.server.server_helpers import Host

pytestmark = [pytest.mark.zot, pytest.mark.slow]


def test_demo_installs_and_every_check_passes(release_mirror, systemd_path):
    if os.geteuid() != 0:
        pytest.skip("the demo installs zot as a service: run as root")
    root = Path(tempfile.mkdtemp(prefix="zotops-demo-"))
    root.chmod(0o755)
    host = Host(root / "host", {"zot_release_base_url": release_mirror.base_url,
                                "demo_secrets_dir": str(root / "secrets")}, systemd_path)
    try:
        result = host.run(playbook=REPO / "playbooks" / "demo.yml")
        assert result.rc == 0, str(result)
        rows = re.findall(r'"\| (.+?) +\| +(\d+) \| +(\S+) \| (PASS|FAIL) +\|"', result.stdout)
        assert len(rows) == 6, result.stdout[-3000:]
        assert all(row[3] == "PASS" for row in rows), rows
        for secret in (root / "secrets").iterdir():
            assert secret.read_text().strip() not in result.output
        again = host.run(playbook=REPO / "playbooks" / "demo.yml")
        assert again.rc == 0, str(again)
    finally:
        host.stop()
        shutil.rmtree(root, ignore_errors=True)
