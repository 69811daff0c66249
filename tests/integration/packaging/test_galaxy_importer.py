"""Galaxy's own import check on the tarball users install: galaxy-importer (PyPI), which Galaxy runs
on every upload, with the checks tests/galaxy-importer.cfg names (ansible-doc, ansible-lint, the
changelog and metadata checks). Galaxy shows its warnings on the collection's page; none is allowed.
It runs from a virtualenv of its own that scripts/setup-dev-env.sh builds (its pins clash with ours)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from integration.harness.env import REPO, setting

CONFIG = REPO / "tests" / "galaxy-importer.cfg"


@pytest.fixture(scope="module")
def galaxy_importer():
    venv = setting("ZOTOPS_GALAXY_IMPORTER_VENV")
    if not venv or not Path(venv, ".complete").exists():
        reason = "no galaxy-importer virtualenv: run scripts/setup-dev-env.sh"
        if os.environ.get("ZOTOPS_REQUIRE_GALAXY_IMPORTER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(venv)


@pytest.mark.slow
def test_galaxy_importer_accepts_the_tarball_with_no_error_or_warning(galaxy_importer, collection_tarball, tmp_path):
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=str(CONFIG), ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               # its ansible-doc and ansible-lint are the ones in its venv
               PATH=f"{galaxy_importer / 'bin'}:{os.environ['PATH']}", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    proc = subprocess.run([str(galaxy_importer / "bin" / "python"), "-m", "galaxy_importer.main", str(collection_tarball)],
                          capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path, env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "Importer processing completed successfully" in proc.stdout, output[-6000:]
    flagged = [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR", "CRITICAL"))]
    assert flagged == [], "\n".join(flagged)
    result = json.loads((tmp_path / "importer_result.json").read_text())
    # what Galaxy lists on the collection's page: every module, filter and role, with its docs
    contents = {(c["content_type"], c["name"]) for c in result["contents"]}
    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    roles = {p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()}
    assert {("module", m) for m in modules} | {("role", r) for r in roles} <= contents, contents
    undocumented = sorted(c["name"] for c in result["docs_blob"]["contents"]
                          if c["content_type"] == "module" and not c["doc_strings"])
    assert undocumented == []
