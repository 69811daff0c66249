"""The authentik releases the modules support, and authentik's generated API models for each.

The newest supported release is the pinned ``authentik-client`` (tests/requirements.txt). The oldest is
installed on demand (``pip install --no-deps --target``) into the harness cache, with its package renamed
(``authentik_client`` -> ``authentik_client_<version>``) so both sets of models load in one process and the
double can validate against either. ``scripts/setup-dev-env.sh`` runs this file to do that ahead of time.
"""
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import authentik_client

CACHE = Path(os.environ.get("ZOTOPS_CACHE", Path.home() / ".cache" / "zotops-zot"))

# The API model package of the last patch release of each end of the supported range.
OLDEST = "2025.2.4"
NEWEST = authentik_client.__version__
# release series (what the docs name) -> authentik-client version the double follows
RELEASES = {"2025.2": OLDEST, ".".join(NEWEST.split(".")[:2]): NEWEST}


def _package(version):
    return "authentik_client_" + re.sub(r"\W", "_", version)


def install(version):
    """Install authentik-client==version renamed into the cache (once); return its directory."""
    root = CACHE / f"authentik-client-{version}"
    if (root / ".complete").exists():
        return root
    tmp = root.with_name(root.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    # lazy-imports: the 2025.x clients import it; it is not in the venv.
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                    "--target", str(tmp), f"authentik-client=={version}", "lazy-imports>=1,<2"], check=True)
    name = _package(version)
    (tmp / "authentik_client").rename(tmp / name)
    for path in (tmp / name).rglob("*.py"):
        text = path.read_text()
        path.write_text(re.sub(r"\bauthentik_client\b", name, text))
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    (root / ".complete").touch()
    return root


def models(version):
    """The ``models`` module of authentik-client ``version``."""
    if version == NEWEST:
        return authentik_client.models
    root = str(install(version))
    if root not in sys.path:
        sys.path.append(root)
    return importlib.import_module(_package(version) + ".models")


if __name__ == "__main__":
    for v in RELEASES.values():
        if v != NEWEST:
            print(f"    authentik-client {v}: {install(v)}")
