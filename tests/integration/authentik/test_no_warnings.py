"""No [WARNING] from the shipped playbooks under the pinned ansible-core.

Warnings ansible-core gives while reading YAML (a duplicate mapping key after a merge, for one) show at
--syntax-check, so every shipped playbook is parsed here; the oidc role's authentik tasks are included
dynamically, so their runs are checked in test_oidc_role_authentik.py instead.
"""
import subprocess

import pytest

from integration.harness.ansible import ansible_env
from integration.harness.env import REPO, venv_bin

PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml"))


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=[p.name for p in PLAYBOOKS])
def test_shipped_playbook_parses_without_warnings(playbook, tmp_path):
    proc = subprocess.run([venv_bin("ansible-playbook"), "-i", "localhost,", "--syntax-check", str(playbook)],
                          capture_output=True, text=True, env=ansible_env(), cwd=tmp_path, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_the_check_finds_a_duplicate_key_warning(tmp_path):
    """The same check on a playbook with a duplicate key (a merge key, then an override)."""
    playbook = tmp_path / "dup.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - ansible.builtin.debug:\n        msg: &a\n          x: 1\n"
                        "    - ansible.builtin.debug:\n        msg:\n          <<: *a\n          x: 2\n")
    proc = subprocess.run([venv_bin("ansible-playbook"), "-i", "localhost,", "--syntax-check", str(playbook)],
                          capture_output=True, text=True, env=ansible_env(), cwd=tmp_path, check=False, timeout=300)
    assert "[WARNING]: Found duplicate mapping key 'x'" in proc.stdout + proc.stderr
