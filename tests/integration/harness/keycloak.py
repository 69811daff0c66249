"""Keycloak from Maven Central's server distribution, in dev mode with an in-memory database."""
import os
import shutil
from pathlib import Path

import requests

from .env import setting
from .process import ManagedProcess, free_port


class Keycloak:
    admin_user = "kcadmin"

    def __init__(self, workdir, admin_password):
        home = setting("ZOTOPS_KEYCLOAK_HOME")
        if not home or not Path(home, "bin", "kc.sh").exists():
            raise RuntimeError("Keycloak is not set up: run scripts/setup-dev-env.sh")
        self.workdir = Path(workdir)
        # start-dev re-augments into the distribution's lib/: a private copy keeps parallel
        # sessions (and the shared cache) from writing over each other.
        self.home = self.workdir / "keycloak"
        shutil.copytree(home, self.home, symlinks=True)
        self.admin_password = admin_password
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update({
            "JAVA_HOME": setting("ZOTOPS_JAVA_HOME", env.get("JAVA_HOME", "")),
            "KC_BOOTSTRAP_ADMIN_USERNAME": self.admin_user,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": admin_password,
            # Two cores: keep the JVM small and its start quick.
            "JAVA_OPTS_APPEND": "-XX:TieredStopAtLevel=1 -Xms128m -Xmx768m",
        })
        self.process = ManagedProcess("keycloak", [
            self.home / "bin" / "kc.sh", "start-dev",
            "--db=dev-mem", "--http-host=127.0.0.1", f"--http-port={self.port}",
            f"--http-management-port={free_port()}", "--cache=local",
        ], self.workdir, env=env)

    def start(self, timeout=240):
        self.process.start()
        self.process.wait_http(f"{self.url}/realms/master/.well-known/openid-configuration", timeout=timeout)
        return self

    def stop(self):
        self.process.stop()

    def admin_token(self):
        response = requests.post(f"{self.url}/realms/master/protocol/openid-connect/token", data={
            "grant_type": "password", "client_id": "admin-cli",
            "username": self.admin_user, "password": self.admin_password}, timeout=30)
        response.raise_for_status()
        return response.json()["access_token"]

    def admin(self, method, path, **kwargs):
        """One admin REST call (path below /admin/realms), raising on HTTP errors."""
        response = requests.request(method, f"{self.url}/admin/realms{path}", timeout=30,
                                    headers={"Authorization": f"Bearer {self.admin_token()}"}, **kwargs)
        response.raise_for_status()
        return response
