"""The ansible-core releases the tests run: the main venv's (pinned in tests/requirements.txt) and the
older ones in tests/versions.env (ANSIBLE_CORE_OLDER), each in a virtualenv scripts/setup-dev-env.sh
builds on a controller Python that release supports."""
import os
import re
from pathlib import Path

from .env import REPO, VERSIONS, setting

MAIN = re.search(r"^ansible-core==(\S+)$", (REPO / "tests" / "requirements.txt").read_text(), re.M).group(1)
OLDER = [v for v in VERSIONS.get("ANSIBLE_CORE_OLDER", "").split(",") if v]
ALL = [MAIN] + OLDER


def _key(version):
    return "ZOTOPS_ANSIBLE_CORE_" + version.replace(".", "_")


def core_venv(version):
    """(the virtualenv of an older ansible-core release, None) or (None, why there is none)."""
    venv = setting(_key(version) + "_VENV")
    if venv and Path(venv, ".complete").exists():
        return venv, None
    error = setting(_key(version) + "_ERROR")
    if error and Path(error).exists():
        return None, Path(error).read_text().strip()
    return None, f"no virtualenv for ansible-core {version}: run scripts/setup-dev-env.sh"


def require_core_venv(version):
    """The virtualenv of ``version``; skips, or fails with ZOTOPS_REQUIRE_ANSIBLE_CORE=1, naming why
    there is none."""
    import pytest
    venv, reason = core_venv(version)
    if venv is None:
        if os.environ.get("ZOTOPS_REQUIRE_ANSIBLE_CORE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return venv


def sanity_job(version):
    """ansible-test sanity of ``version`` (scripts/run-sanity.sh picks a Python that release supports)."""
    from .background import Job
    env = {k: v for k, v in os.environ.items() if k != "ZOTOPS_PYTHON"}  # the Python is the release's
    return Job(f"sanity {version}", [str(REPO / "scripts" / "run-sanity.sh")], cwd=str(REPO),
               env=dict(env, ZOTOPS_ANSIBLE_CORE=version))


def units_job(version, venv):
    """tests/unit with ``version``'s pytest, ansible-core and controller Python (its playbooks too)."""
    from .background import Job
    return Job(f"units {version}", [str(Path(venv) / "bin" / "python"), "-m", "pytest", "tests/unit", "-q",
                                    "-p", "no:cacheprovider", "-o", "addopts=--strict-markers"],
               cwd=str(REPO), env=dict(os.environ, ZOTOPS_VENV=venv))
