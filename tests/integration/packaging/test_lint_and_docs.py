"""Galaxy conventions, checked the way users' and Galaxy's tools check them: ansible-test
sanity, ansible-lint's production profile, and ansible-doc for every plugin and role. Sanity and
ansible-lint need only CPU: they run in the background from the session's start (``background_jobs``)."""
import re
import subprocess

import pytest
import yaml

from integration.harness import ansible_cores, background
from integration.harness.ansible import ansible_env
from integration.harness.env import REPO, venv_bin

MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
FILTERS = sorted(p.stem for p in (REPO / "plugins" / "filter").glob("*.yml"))
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())


def _run(argv, timeout=1200, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=REPO, **kwargs)


def _lint_job():
    return background.Job("ansible-lint", [venv_bin("ansible-lint"), "--profile", "production", "--nocolor"],
                          cwd=str(REPO), env=ansible_env({"ANSIBLE_LINT_SKIP_SCHEMA_UPDATE": "1"}))


def background_jobs(item):
    return {"test_ansible_test_sanity_passes_without_ignore_entries": [ansible_cores.sanity_job(ansible_cores.MAIN)],
            "test_ansible_lint_production_profile_passes": [_lint_job()]}.get(item.originalname, [])


@pytest.mark.slow
def test_ansible_test_sanity_passes_without_ignore_entries():
    job = background.result(ansible_cores.sanity_job(ansible_cores.MAIN))
    errors = [line for line in job.output.splitlines() if line.startswith(("ERROR", "FATAL"))]
    assert job.returncode == 0, "\n".join(errors) or job.output[-8000:]
    assert not list((REPO / "tests" / "sanity").glob("ignore-*.txt"))


@pytest.mark.slow
def test_ansible_lint_production_profile_passes():
    job = background.result(_lint_job())
    assert job.returncode == 0, job.output[-12000:]


@pytest.mark.parametrize("plugin_type,names", [("module", MODULES), ("filter", FILTERS), ("role", ROLES)])
def test_ansible_doc_renders_without_warnings(plugin_type, names):
    """One ansible-doc call per plugin type (each call costs a second or two of start-up), every page in it."""
    result = _run([venv_bin("ansible-doc"), "-t", plugin_type] + [f"zotops.zot.{name}" for name in names],
                  timeout=300, env=ansible_env())
    assert result.returncode == 0, result.stderr
    # ansible-core 2.21's ansible-doc -t role warns about its own internal collection (ansible._protomatter,
    # shipped without MANIFEST.json): not about this collection, so not counted.
    warnings = [line for line in result.stderr.splitlines()
                if line.strip() and not ("/ansible/_internal/ansible_collections/" in line and "MANIFEST.json" in line)]
    assert warnings == [], result.stderr
    missing = [name for name in names if not re.search(rf"^> .*\bzotops\.zot\.{name}\b", result.stdout, re.M)]
    assert missing == [], f"ansible-doc rendered no page for {missing}"


def test_every_module_with_shared_connection_options_is_in_its_action_group():
    """module_defaults: group/zotops.zot.<system> must reach every module talking to <system>."""
    groups = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["action_groups"]
    # The doc fragment that carries each system's connection options, and the group it belongs to.
    fragments = {"zotops.zot.keycloak": "keycloak", "zotops.zot.authentik": "authentik", "zotops.zot.zot_api": "zot"}
    connected = 0
    for module in MODULES:
        source = (REPO / "plugins" / "modules" / f"{module}.py").read_text()
        for fragment, group in fragments.items():
            if re.search(rf"^\s+- {re.escape(fragment)}$", source, re.M):
                connected += 1
                assert module in groups[group], f"{module} is missing from action group {group}"
    assert connected >= 11  # the Keycloak, authentik and zot API modules
