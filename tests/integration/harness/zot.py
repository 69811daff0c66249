"""zot: the binary setup built, and servers started from a config a test gives."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

import bcrypt

from .env import VERSIONS, setting
from .process import ManagedProcess, free_port


def zot_binary():
    """(path, None) when the binary setup built is there, else (None, why not)."""
    path = setting("ZOTOPS_ZOT_BIN")
    if path and os.access(path, os.X_OK):
        return path, None
    error_file = setting("ZOTOPS_ZOT_ERROR")
    reason = "scripts/setup-dev-env.sh has not been run"
    if error_file and Path(error_file).exists():
        reason = Path(error_file).read_text().strip().splitlines()[-1]
    return None, f"zot {VERSIONS.get('ZOT_VERSION')} is not available on this machine: {reason}"


# The zot releases the tests run: the role's default and the oldest release it supports.
CURRENT = VERSIONS.get("ZOT_VERSION")
OLDEST = VERSIONS.get("ZOT_OLDEST_VERSION")
RELEASES = [CURRENT, OLDEST]


def release_binary(version):
    """(path, None) for a zot release the tests run (CURRENT or OLDEST), else (None, why not)."""
    if version == CURRENT:
        return zot_binary()
    path = setting("ZOTOPS_ZOT_OLDEST_BIN")
    if path and os.access(path, os.X_OK):
        return path, None
    error_file = setting("ZOTOPS_ZOT_OLDEST_ERROR")
    reason = f"no executable at {path}" if path else "scripts/setup-dev-env.sh has not recorded ZOTOPS_ZOT_OLDEST_BIN"
    if error_file and Path(error_file).exists():
        reason = Path(error_file).read_text().strip().splitlines()[-1]
    return None, (f"zot {version} (the oldest release the role supports) is not available on this machine: {reason}; "
                  f"build it as zot's `make binary` does into ~/.cache/zotops-zot/zot-{version}/bin/zot, or set "
                  f"ZOT_OLDEST_BINARY, then rerun scripts/setup-dev-env.sh (README: zot on this machine)")


def _run_version(argv):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
    return proc.returncode, proc.stdout


_EXTENSIONS = {}


def zot_extensions(binary):
    """(sorted extensions, how they were read) of a zot binary: `zot --version` prints them (its
    binary-type) when zot's Makefile built it, else Go's build information has its -tags."""
    from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import binary_extensions
    if binary not in _EXTENSIONS:
        _EXTENSIONS[binary] = binary_extensions(binary, run_command=_run_version)
    return _EXTENSIONS[binary]


def with_extensions(binary, *needed):
    """(binary, None) when it has every extension in ``needed``, else (None, the exact reason)."""
    found, source = zot_extensions(binary)
    if found is None:
        return None, f"cannot tell which extensions zot at {binary} has: {source}"
    missing = [name for name in needed if name not in found]
    if not missing:
        return binary, None
    release = VERSIONS.get("ZOT_RELEASE_EXTENSIONS", "")
    return None, (f"zot at {binary} was built without the {', '.join(missing)} extension"
                  f"{'s' if len(missing) > 1 else ''} this test needs (it has: {', '.join(found) or 'none'}; "
                  f"read from {source}); zot's release build has {release}, with the UI from zui "
                  f"{VERSIONS.get('ZUI_COMMIT', '')} embedded (README: zot on this machine)")


def write_htpasswd(path, users):
    """htpasswd lines as zot reads them (bcrypt only)."""
    lines = [f"{user}:{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=5)).decode()}" for user, pw in users.items()]
    Path(path).write_text("\n".join(lines) + "\n")
    Path(path).chmod(0o600)
    return str(path)


class ZotServer:
    def __init__(self, binary, config, workdir, name="zot"):
        self.binary = binary
        self.workdir = Path(workdir)
        self.config = json.loads(json.dumps(config))  # own copy: the test's dict stays as given
        http = self.config.setdefault("http", {})
        http.setdefault("address", "127.0.0.1")
        self.port = int(http.setdefault("port", str(free_port())))
        self.config.setdefault("storage", {}).setdefault("rootDirectory", str(self.workdir / "data"))
        self.config.setdefault("log", {"level": "debug"})
        self.config_path = self.workdir / "config.json"
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = ManagedProcess(name, [binary, "serve", self.config_path], self.workdir)

    def start(self, timeout=60):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config, indent=2))
        self.process.start()
        # 401 counts as up: with auth on, /v2/ asks for credentials.
        self.process.wait_http(f"{self.url}/v2/", timeout=timeout, ok=(200, 401))
        return self

    def stop(self):
        self.process.stop()

    def log_tail(self, lines=40):
        return self.process.log_tail(lines)


def verify_config(binary, config):
    """Run `zot verify` on a config dict; returns the CompletedProcess."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
    try:
        return subprocess.run([binary, "verify", handle.name], capture_output=True, text=True, timeout=60, check=False)
    finally:
        os.unlink(handle.name)
