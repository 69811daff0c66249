"""Where the harness finds what ``scripts/setup-dev-env.sh`` obtained."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("ZOTOPS_CACHE", Path.home() / ".cache" / "zotops-zot"))


def _read_env_file(path):
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


VERSIONS = _read_env_file(REPO / "tests" / "versions.env")
HARNESS = _read_env_file(CACHE / "harness.env")


def setting(name, default=None):
    """An environment variable wins over what setup recorded in harness.env."""
    return os.environ.get(name) or HARNESS.get(name) or default


def venv_bin(name):
    venv = setting("ZOTOPS_VENV") or str(REPO / ".venv")
    return str(Path(venv) / "bin" / name)


def require(binary_and_reason):
    """The path of a program the harness needs (zot, a zot with some extension, redis-server,
    haproxy); skips, or fails with ZOTOPS_REQUIRE_ZOT=1, with the exact reason it is missing."""
    import pytest
    path, reason = binary_and_reason
    if path is None:
        if os.environ.get("ZOTOPS_REQUIRE_ZOT") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path
