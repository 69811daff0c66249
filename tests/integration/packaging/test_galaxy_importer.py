"""Galaxy's own import check on the tarball users install: galaxy-importer (PyPI), which Galaxy runs
on every upload, with the checks tests/galaxy-importer.cfg names (ansible-doc, ansible-lint, the
changelog and metadata checks). Galaxy shows its warnings on the collection's page; none is allowed.
It runs from a virtualenv of its own that scripts/setup-dev-env.sh builds (its pins clash with ours)."""
import json
import os
from pathlib import Path

import pytest

from integration.harness import background
from integration.harness.env import REPO, setting, venv_bin

CONFIG = REPO / "tests" / "galaxy-importer.cfg"


def _venv():
    venv = setting("ZOTOPS_GALAXY_IMPORTER_VENV")
    return Path(venv) if venv and Path(venv, ".complete").exists() else None


def _importer_job(workdir):
    """Build the tarball as a release would, then import it as Galaxy does; CPU only, so it runs in the
    background from the session's start (``background_jobs``). Its ansible-doc and ansible-lint are
    the ones in its venv."""
    venv = _venv()
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=str(CONFIG), ANSIBLE_LOCAL_TEMP=str(Path(workdir) / "ansible-tmp"),
               PATH=f"{venv / 'bin'}:{os.environ['PATH']}", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    script = ('set -e; "$1" collection build --output-path dist "$2" >/dev/null; '
              'exec "$3" -m galaxy_importer.main dist/zotops-zot-*.tar.gz')
    return background.Job("galaxy-importer", ["bash", "-c", script, "import", venv_bin("ansible-galaxy"), str(REPO),
                                              str(venv / "bin" / "python")], cwd=str(workdir), env=env, timeout=900)


_WORKDIR = {}


def background_jobs(item):
    if _venv() is None:
        return []
    _WORKDIR.setdefault("path", item.config._tmp_path_factory.mktemp("galaxy-importer"))
    return [_importer_job(_WORKDIR["path"])]


@pytest.fixture(scope="module")
def galaxy_importer_result(request):
    if _venv() is None:
        reason = "no galaxy-importer virtualenv: run scripts/setup-dev-env.sh"
        if os.environ.get("ZOTOPS_REQUIRE_GALAXY_IMPORTER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    workdir = _WORKDIR.setdefault("path", request.config._tmp_path_factory.mktemp("galaxy-importer"))
    return background.result(_importer_job(workdir)), Path(workdir)


@pytest.mark.slow
def test_galaxy_importer_accepts_the_tarball_with_no_error_or_warning(galaxy_importer_result):
    job, workdir = galaxy_importer_result
    output = job.output
    assert job.returncode == 0, output[-6000:]
    assert "Importer processing completed successfully" in output, output[-6000:]
    flagged = [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR", "CRITICAL"))]
    assert flagged == [], "\n".join(flagged)
    result = json.loads((workdir / "importer_result.json").read_text())
    # what Galaxy lists on the collection's page: every module, filter and role, with its docs
    contents = {(c["content_type"], c["name"]) for c in result["contents"]}
    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    roles = {p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()}
    assert {("module", m) for m in modules} | {("role", r) for r in roles} <= contents, contents
    undocumented = sorted(c["name"] for c in result["docs_blob"]["contents"]
                          if c["content_type"] == "module" and not c["doc_strings"])
    assert undocumented == []
