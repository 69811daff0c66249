"""The older ansible-core releases the collection supports (tests/versions.env ANSIBLE_CORE_OLDER, from
meta/runtime.yml's requires_ansible up): ansible-test sanity and the unit tests on each, on a
controller Python that release supports. Both need only CPU, so they run niced in the background from
the moment the session knows it includes these tests (``background_jobs`` below, started by
tests/integration/conftest.py); these tests wait for their results. The main release's sanity is
test_lint_and_docs.py's and its units are tests/unit; the integration tests that run on every release
carry the marker ansible_range."""
import pytest

from integration.harness import ansible_cores, background


def background_jobs(item):
    version = item.callspec.params["version"]
    if "sanity" in item.originalname:
        return [ansible_cores.sanity_job(version)]
    venv, _reason = ansible_cores.core_venv(version)
    return [ansible_cores.units_job(version, venv)] if venv else []


@pytest.mark.slow
@pytest.mark.parametrize("version", ansible_cores.OLDER)
def test_ansible_test_sanity_passes_on_older_ansible_core(version):
    job = background.result(ansible_cores.sanity_job(version))
    errors = [line for line in job.output.splitlines() if line.startswith(("ERROR", "FATAL"))]
    assert job.returncode == 0, "\n".join(errors) or job.output[-6000:]


@pytest.mark.slow
@pytest.mark.parametrize("version", ansible_cores.OLDER)
def test_unit_tests_pass_on_older_ansible_core(version):
    venv = ansible_cores.require_core_venv(version)
    job = background.result(ansible_cores.units_job(version, venv))
    assert job.returncode == 0, job.output[-6000:]
    assert " passed" in job.output.splitlines()[-1] and "skipped" not in job.output.splitlines()[-1], job.output[-2000:]
