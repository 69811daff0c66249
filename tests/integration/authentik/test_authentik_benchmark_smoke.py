"""benchmarks/authentik_oidc_role.py keeps running: one iteration against the session's authentik.

Not a timing test: it fails when the benchmark cannot run, never because something is slow.
"""
import os
import subprocess

import pytest

from integration.harness.env import REPO, venv_bin

pytestmark = [pytest.mark.authentik, pytest.mark.slow]


def test_authentik_oidc_role_benchmark_runs(real_authentik):
    env = dict(os.environ, ZOTOPS_BENCH_AUTHENTIK_URL=real_authentik.server.url,
               ZOTOPS_BENCH_AUTHENTIK_TOKEN=real_authentik.token)
    proc = subprocess.run([venv_bin("python"), str(REPO / "benchmarks" / "authentik_oidc_role.py"), "--runs", "1"],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()
            if line.startswith(("floor ", "create ", "no-op "))}
    assert sorted(rows) == ["create", "floor", "no-op"], proc.stdout
    assert " 0  " in rows["no-op"] and "POST" not in rows["no-op"] and "PATCH" not in rows["no-op"], proc.stdout
    assert real_authentik.token not in proc.stdout + proc.stderr
