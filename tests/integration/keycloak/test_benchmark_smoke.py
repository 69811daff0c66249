"""benchmarks/keycloak_client.py keeps running: one iteration against the session's Keycloak.

Not a timing test: it fails when the benchmark cannot run (a module's result changed shape, as when
the client secret became returned only to no_log tasks), never because something is slow.
"""
import os
import subprocess

import pytest

from integration.harness.env import REPO, venv_bin

pytestmark = [pytest.mark.keycloak, pytest.mark.slow]


def test_keycloak_client_benchmark_runs(keycloak_server):
    env = dict(os.environ, ZOTOPS_BENCH_KEYCLOAK_URL=keycloak_server.url,
               ZOTOPS_BENCH_KEYCLOAK_USER=keycloak_server.admin_user,
               ZOTOPS_BENCH_KEYCLOAK_PASSWORD=keycloak_server.admin_password)
    proc = subprocess.run([venv_bin("python"), str(REPO / "benchmarks" / "keycloak_client.py"), "--runs", "1"],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith(("zotops.zot.", "community.general."))]
    assert len(rows) == 8, proc.stdout  # 2 modules x (create, no-op, each with and without the secret)
    assert keycloak_server.admin_password not in proc.stdout + proc.stderr
