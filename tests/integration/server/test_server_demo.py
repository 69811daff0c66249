"""playbooks/demo.yml against the real zot: it installs, checks the three tiers and prints a table."""
import re

import pytest

from integration.harness.env import REPO
from integration.server.server_helpers import provisioned_host

pytestmark = [pytest.mark.zot, pytest.mark.slow]


def test_demo_installs_and_every_check_passes(release_mirror, systemd_path, tmp_path):
    secrets_dir = tmp_path / "secrets"
    with provisioned_host("zotops-demo-", {"zot_release_base_url": release_mirror.base_url,
                                           "demo_secrets_dir": str(secrets_dir)}, systemd_path) as host:
        result = host.run(playbook=REPO / "playbooks" / "demo.yml")
        assert result.rc == 0, str(result)
        rows = re.findall(r'"\| (.+?) +\| +(\d+) \| +(\S+) \| (PASS|FAIL) +\|"', result.stdout)
        assert len(rows) == 6, result.stdout[-3000:]
        assert all(row[3] == "PASS" for row in rows), rows
        for secret in secrets_dir.iterdir():
            assert secret.read_text().strip() not in result.output
        again = host.run(playbook=REPO / "playbooks" / "demo.yml")
        assert again.rc == 0, str(again)
