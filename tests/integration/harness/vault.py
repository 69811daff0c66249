"""HashiCorp Vault's KV version 2 on loopback, for the vault_kv2 secret store tests.

The server is ``vaultdev`` (``harness/vaultdev/main.go``, ours): Vault's own core with in-memory
storage, its KV v2 plugin mounted at ``secret/`` and its HTTP API handler, set up the way
``vault server -dev -dev-root-token-id=...`` sets itself up. ``scripts/setup-dev-env.sh`` builds it
from the Go module proxy (step vault); it says there why this is not the ``vault`` binary.
"""
import os
import secrets
from pathlib import Path

import requests

from .env import VERSIONS, setting
from .process import ManagedProcess, free_port

VERSION = VERSIONS["VAULT_VERSION"]


def vault_binary():
    """(path, None) when setup built the Vault dev server, else (None, why not)."""
    path = setting("ZOTOPS_VAULT_BIN")
    if path and os.access(path, os.X_OK):
        return path, None
    error_file = setting("ZOTOPS_VAULT_ERROR")
    reason = "scripts/setup-dev-env.sh has not built it (step vault)"
    if error_file and Path(error_file).exists():
        lines = Path(error_file).read_text().strip().splitlines()
        reason = lines[-1] if lines else reason
    return None, f"Vault {VERSION} is not available on this machine: {reason}"


class VaultDevServer:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = "root-" + secrets.token_hex(16)  # Vault refuses a custom token ID with a "."
        # The root token goes through the environment, never the command line.
        env = dict(os.environ, VAULTDEV_ROOT_TOKEN=self.token, HOME=str(self.workdir))
        self.process = ManagedProcess("vaultdev", [binary, "-listen", f"127.0.0.1:{self.port}"], self.workdir,
                                      env=env, cwd=self.workdir)

    def start(self, timeout=60):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process.start()
        # 200 only when initialised, unsealed and active; vaultdev listens once secret/ is mounted.
        self.process.wait_http(f"{self.url}/v1/sys/health", timeout=timeout)
        return self

    def stop(self):
        self.process.stop()

    def log_tail(self):
        return self.process.log_tail()

    def api(self, method, path, token=None, **kwargs):
        return requests.request(method, f"{self.url}/v1/{path.lstrip('/')}", timeout=30,
                                headers={"X-Vault-Token": token or self.token}, **kwargs)

    def mount_kv2(self, mount):
        """Enable another KV version 2 engine at ``mount`` (as `vault secrets enable -version=2`)."""
        resp = self.api("POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}})
        assert resp.status_code == 204, (resp.status_code, resp.text)
        # A new KV v2 mount may answer "upgrading" for a moment; ready once a read gives a clean 404.
        self.process.wait_until(lambda: self.api("GET", f"{mount}/data/_ready").status_code == 404, 30,
                                f"KV v2 ready at {mount}/")

    def kv_data(self, mount, path):
        """The current version's data, as a reader of the secret gets it; None when there is none."""
        resp = self.api("GET", f"{mount}/data/{path}")
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, (resp.status_code, resp.text)
        return resp.json()["data"]["data"]

    def kv_metadata(self, mount, path):
        """KV v2 metadata (current_version, versions with their deletion times); None when none."""
        resp = self.api("GET", f"{mount}/metadata/{path}")
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, (resp.status_code, resp.text)
        return resp.json()["data"]

    def kv_write(self, mount, path, data):
        resp = self.api("POST", f"{mount}/data/{path}", json={"data": data})
        assert resp.status_code == 200, (resp.status_code, resp.text)
        return resp.json()["data"]["version"]
