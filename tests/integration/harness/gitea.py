"""Gitea (its Actions-secrets API is the one Forgejo shares), built by scripts/setup-dev-env.sh from
the Go module proxy, with SQLite, on loopback. Used by the forgejo/gitea secret store tests."""
import base64
import hashlib
import os
import secrets
import sqlite3
import subprocess
from pathlib import Path

import requests

from .env import VERSIONS, setting
from .process import ManagedProcess, free_port

VERSION = VERSIONS["GITEA_VERSION"]


def gitea_binary():
    """(path, None) when setup built Gitea, else (None, why not)."""
    path = setting("ZOTOPS_GITEA_BIN")
    if path and os.access(path, os.X_OK):
        return path, None
    error_file = setting("ZOTOPS_GITEA_ERROR")
    reason = "scripts/setup-dev-env.sh has not built it (step gitea)"
    if error_file and Path(error_file).exists():
        lines = Path(error_file).read_text().strip().splitlines()
        reason = lines[-1] if lines else reason
    return None, f"Gitea {VERSION} is not available on this machine: {reason}"


class GiteaServer:
    admin_user = "zotops-admin"

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secret_key = secrets.token_hex(16)
        self.admin_password = "Gt-" + secrets.token_urlsafe(12)
        self.config = self.workdir / "app.ini"
        self.db = self.workdir / "gitea.db"
        self.token = None
        self.env = dict(os.environ, GITEA_WORK_DIR=str(self.workdir), HOME=str(self.workdir),
                        # the build machines run tests as root; Gitea refuses root unless told
                        GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT="true")
        self.process = ManagedProcess("gitea", [binary, "web", "--config", self.config], self.workdir, env=self.env,
                                      cwd=self.workdir)

    def _cli(self, *args):
        proc = subprocess.run([self.binary, *args, "--config", str(self.config)], capture_output=True, text=True,
                              env=self.env, cwd=self.workdir, timeout=120, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"gitea {args[0]} failed: {proc.stdout}{proc.stderr}")
        return proc.stdout.strip()

    def start(self, timeout=120):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(f"""APP_NAME = zotops test
RUN_MODE = prod
WORK_PATH = {self.workdir}

[database]
DB_TYPE = sqlite3
PATH = {self.db}

[server]
HTTP_ADDR = 127.0.0.1
HTTP_PORT = {self.port}
ROOT_URL = {self.url}/
DISABLE_SSH = true
OFFLINE_MODE = true
APP_DATA_PATH = {self.workdir / "data"}
STATIC_ROOT_PATH = {Path(self.binary).resolve().parent.parent / "static"}

[repository]
ROOT = {self.workdir / "repos"}

[security]
INSTALL_LOCK = true
SECRET_KEY = {self.secret_key}
INTERNAL_TOKEN = {secrets.token_urlsafe(48)}

[service]
DISABLE_REGISTRATION = true

[actions]
ENABLED = true

[log]
MODE = console
LEVEL = Warn
""")
        self._cli("migrate")
        self._cli("admin", "user", "create", "--admin", "--username", self.admin_user, "--password",
                  self.admin_password, "--email", "admin@example.test", "--must-change-password=false")
        self.token = self._cli("admin", "user", "generate-access-token", "--username", self.admin_user,
                               "--token-name", "zotops-tests", "--scopes", "all", "--raw").splitlines()[-1]
        self.process.start()
        self.process.wait_http(f"{self.url}/api/v1/version", timeout=timeout)
        return self

    def stop(self):
        self.process.stop()

    def api(self, method, path, token=None, **kwargs):
        return requests.request(method, f"{self.url}/api/v1{path}", timeout=30,
                                headers={"Authorization": f"token {token or self.token}"}, **kwargs)

    def stored_secrets(self):
        """{(owner_id, repo_id, NAME): value} straight from Gitea's database, decrypted as Gitea does
        (models/secret, modules/secret: AES-CFB, key sha256(SECRET_KEY), IV first, base64 inside)."""
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
        try:  # cryptography >= 43 keeps CFB among its "decrepit" (legacy) modes
            from cryptography.hazmat.decrepit.ciphers.modes import CFB
        except ImportError:
            from cryptography.hazmat.primitives.ciphers.modes import CFB
        key = hashlib.sha256(self.secret_key.encode()).digest()
        out = {}
        with sqlite3.connect(self.db) as db:
            for owner_id, repo_id, name, data in db.execute("SELECT owner_id, repo_id, name, data FROM secret"):
                raw = bytes.fromhex(data)
                decryptor = Cipher(algorithms.AES(key), CFB(raw[:16])).decryptor()
                out[(owner_id, repo_id, name)] = base64.b64decode(decryptor.update(raw[16:]) + decryptor.finalize()).decode()
        return out
