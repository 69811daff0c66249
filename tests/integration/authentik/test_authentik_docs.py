"""Every authentik module documents itself and renders with ansible-doc without warnings."""
import ast
import subprocess
from pathlib import Path

import pytest

from integration.harness.ansible import ansible_env
from integration.harness.env import REPO, venv_bin

MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("authentik_*.py"))


def test_every_module_is_in_the_action_group():
    import yaml
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert sorted(runtime["action_groups"]["authentik"]) == MODULES


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_without_warnings(module):
    proc = subprocess.run([venv_bin("ansible-doc"), f"zotops.zot.{module}"], capture_output=True, text=True,
                          env=ansible_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr
    assert "authentik_token" in proc.stdout and "EXAMPLES" in proc.stdout and "RETURN VALUES" in proc.stdout


@pytest.mark.parametrize("path", sorted([*(REPO / "plugins" / "modules").glob("authentik_*.py"),
                                         REPO / "plugins" / "module_utils" / "authentik.py",
                                         REPO / "plugins" / "doc_fragments" / "authentik.py"]), ids=lambda p: p.name)
def test_managed_node_code_parses_as_python_3_8(path):
    source = path.read_text()
    ast.parse(source, filename=str(path), feature_version=(3, 8))
    assert "GPL-3.0-or-later" in source
    assert "from __future__ import absolute_import, division, print_function" in source
    assert "__metaclass__ = type" in source
    assert "import requests" not in source
