#!/usr/bin/env python
"""Benchmark (not a test): the zotops.zot.oidc role against the real authentik.

For zot's registration (provider with the groups claim, application, CI group, two bindings, the
credentials file) it measures a create (from nothing) and a no-op (everything in place) of the role, run
by ansible-playbook as a site playbook runs it, beside Ansible's floor (a one-task playbook): wall time,
and the HTTP requests that reached authentik, by method, counted by a loopback proxy in front of it.
Between runs the role's state: absent removes what it made.

Usage:
  .venv/bin/python benchmarks/authentik_oidc_role.py [--runs 3]
      starts authentik with the test harness (tests/integration/harness/authentik.py) and stops it after;
  ZOTOPS_BENCH_AUTHENTIK_URL=http://127.0.0.1:9000 ZOTOPS_BENCH_AUTHENTIK_TOKEN=... \\
  .venv/bin/python benchmarks/authentik_oidc_role.py
      uses an authentik that is already running (the token needs admin rights).
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from integration.authentik.real import RecordingProxy  # noqa: E402
from integration.authentik.test_oidc_role_authentik import PLAYBOOK  # noqa: E402
from integration.harness.ansible import run_playbook  # noqa: E402

FLOOR = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: floor
"""


class _Server:
    def __init__(self, url, token):
        self.url, self.token = url, token


def timed(playbook, proxy=None, **extra):
    if proxy is not None:
        del proxy.log[:]
    started = time.perf_counter()
    result = run_playbook(playbook, extra_vars=extra)
    elapsed = time.perf_counter() - started
    if result.rc != 0:
        raise SystemExit(f"{playbook.name} failed:\n{result.output[-3000:]}")
    requests = Counter(r["method"] for r in proxy.log if r["path"].startswith("/api/v3/")) if proxy else Counter()
    return elapsed, result.changed, requests


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--show-requests", action="store_true", help="list the last no-op's requests")
    args = parser.parse_args()
    started_here = None
    url, token = os.environ.get("ZOTOPS_BENCH_AUTHENTIK_URL"), os.environ.get("ZOTOPS_BENCH_AUTHENTIK_TOKEN")
    workdir = Path(tempfile.mkdtemp(prefix="zotops-bench-authentik-"))
    if not url:
        from integration.harness import authentik
        home, reason = authentik.authentik_home()
        if home is None:
            raise SystemExit(reason)
        t0 = time.perf_counter()
        started_here = authentik.AuthentikServer(home, workdir / "server").start()
        print(f"authentik {started_here.version} started in {time.perf_counter() - t0:.1f} s")
        url, token = started_here.url, started_here.token
    proxy = RecordingProxy(_Server(url, token)).start()
    try:
        playbook = workdir / "register.yml"
        playbook.write_text(PLAYBOOK)
        floor = workdir / "floor.yml"
        floor.write_text(FLOOR)
        import requests
        # The access group the role binds must exist (the role makes only the CI group).
        requests.post(f"{url}/api/v3/core/groups/", json={"name": "zot-admins"}, timeout=30,
                      headers={"Authorization": f"Bearer {token}"})
        common = {"ak_url": proxy.url, "ak_token": token, "external_url": "https://zot.bench.test",
                  "credentials_file": str(workdir / "oidc-credentials.json"), "ci_group": "artifact-workloads",
                  "access_groups": ["zot-admins"], "groups_claim": True}
        rows = {"floor": [], "create": [], "no-op": []}
        for _run in range(args.runs):
            rows["floor"].append(timed(floor))
            rows["create"].append(timed(playbook, proxy, **common))
            rows["no-op"].append(timed(playbook, proxy, **common))
            noop_log = [dict(r) for r in proxy.log]
            timed(playbook, proxy, oidc_state="absent", **common)
        print(f"{'run':8} {'median s':>9} {'changed':>8}  requests to authentik (last run)")
        for name, results in rows.items():
            median = statistics.median(r[0] for r in results)
            changed, requests_made = results[-1][1], results[-1][2]
            counted = ", ".join(f"{n} {m}" for m, n in sorted(requests_made.items())) or "-"
            total = sum(requests_made.values())
            print(f"{name:8} {median:9.2f} {changed:8d}  {total} ({counted})")
        if args.show_requests:
            print("the last no-op's requests:")
            for r in noop_log:
                query = "&".join(f"{k}={v}" for k, v in sorted(r["query"].items()))
                print(f"  {r['method']} {r['path']}{'?' + query if query else ''}")
    finally:
        proxy.stop()
        if started_here is not None:
            started_here.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
