#!/usr/bin/env python
"""Benchmark (not a test): what `zotops.zot.rotate_api_key` costs, beside Ansible's own floor.

Three playbook runs, each measured as a scheduler runs them (`ansible-playbook`, wall time):

* floor      - a one-task playbook (`ansible.builtin.ping`) on the same inventory: what any
               playbook run costs before it does anything;
* no-op      - the rotation playbook while the key is fresh: should send one listing request to zot
               and write nothing (no store request, the key file untouched);
* rotation   - `zot_apikey_state=rotated` into two stores (a file and AWS Secrets Manager on moto),
               with the push test: should cost under 2 s above the floor.

Requests are counted at loopback proxies in front of zot and moto. zot (the harness's binary) and
moto are started here and stopped after.

Usage: .venv/bin/python benchmarks/rotation.py [--runs 5]
"""
import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from keycloak_client import CountingProxy  # noqa: E402
from integration.harness import aws, zot  # noqa: E402
from integration.harness.ansible import run_playbook  # noqa: E402

PLAYBOOK = REPO / "playbooks" / "rotate_api_key.yml"
USER, LABEL = "ci", "ci"


def timed(playbook, extra_vars, env=None):
    started = time.perf_counter()
    result = run_playbook(playbook, extra_vars=extra_vars, env=env)
    elapsed = time.perf_counter() - started
    if result.rc != 0:
        raise SystemExit(f"{playbook.name} failed:\n{result!r}")
    return elapsed, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median is printed)")
    options = parser.parse_args()

    binary, why = zot.zot_binary()
    if binary is None:
        raise SystemExit(why)
    work = Path(tempfile.mkdtemp(prefix="zotops-bench-rotation-"))
    password = secrets.token_urlsafe(16)
    registry = zot.ZotServer(binary, {"http": {
        "auth": {"htpasswd": {"path": zot.write_htpasswd(work / "htpasswd", {USER: password})}, "apikey": True},
        "accessControl": {"repositories": {"**": {"policies": [{"users": [USER], "actions": ["read", "create"]}],
                                                  "anonymousPolicy": ["read"]}}},
    }}, work / "zot").start()
    moto = aws.MotoServer(work).start()
    zot_proxy, moto_proxy = CountingProxy(registry.url), CountingProxy(moto.endpoint_url)
    floor_play = work / "floor.yml"
    floor_play.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n")
    key_file = work / "ci.key"
    stores = [{"type": "file", "path": str(key_file)},
              {"type": "aws_secretsmanager", "secret_id": "zotops/bench-ci", "region": moto.region,
               "endpoint_url": moto_proxy.url, "access_key": moto.access_key, "secret_key": moto.secret_key}]
    base = {"zot_apikey_url": zot_proxy.url, "zot_apikey_user": USER, "zot_apikey_label": LABEL,
            "zot_apikey_stores": stores, "zot_apikey_journal_path": str(work / "journal"),
            "zot_apikey_test_push_repository": "ci/rotation-probe"}
    measured = {name: ([], []) for name in ("floor", "no-op", "rotation")}
    try:
        # The first key (with the password); later runs authenticate with the key itself.
        timed(PLAYBOOK, dict(base, zot_apikey_password=password))
        by_key = dict(base, zot_apikey_current_key_file=str(key_file))
        timed(floor_play, {})  # warm the page cache for Ansible's imports
        for _run in range(options.runs):
            zot_proxy.take(), moto_proxy.take()
            elapsed, _result = timed(floor_play, {})
            measured["floor"][0].append(elapsed)
            measured["floor"][1].append((Counter(), Counter()))

            before = (key_file.read_text(), key_file.stat().st_mtime_ns)
            elapsed, result = timed(PLAYBOOK, by_key)
            counts = (Counter(r[0] for r in zot_proxy.take()), Counter(r[0] for r in moto_proxy.take()))
            assert result.changed == 0, result
            assert (key_file.read_text(), key_file.stat().st_mtime_ns) == before, "a no-op wrote the key file"
            assert counts == (Counter({"GET": 1}), Counter()), counts
            measured["no-op"][0].append(elapsed)
            measured["no-op"][1].append(counts)

            elapsed, result = timed(PLAYBOOK, dict(by_key, zot_apikey_state="rotated"))
            counts = (Counter(r[0] for r in zot_proxy.take()), Counter(r[0] for r in moto_proxy.take()))
            assert result.changed >= 1 and key_file.read_text() != before[0], result
            measured["rotation"][0].append(elapsed)
            measured["rotation"][1].append(counts)
    finally:
        zot_proxy.stop()
        moto_proxy.stop()
        moto.stop()
        registry.stop()

    floor = statistics.median(measured["floor"][0])
    print(f"\nzotops.zot.rotate_api_key, median of {options.runs} runs; requests counted at proxies in front of "
          f"zot and moto\n")

    def show(counts):
        return ", ".join(f"{m} {n}" for m, n in sorted(counts.items())) or "none"

    print(f"{'run':10} {'wall s':>7} {'above floor s':>14}  {'zot requests':32} store requests (moto)")
    for name, (times, counts) in measured.items():
        wall = statistics.median(times)
        zot_counts, store_counts = counts[-1]
        above = "" if name == "floor" else f"{wall - floor:14.2f}"
        print(f"{name:10} {wall:7.2f} {above:>14}  {show(zot_counts):32} {show(store_counts)}")
    full = statistics.median(measured["rotation"][0]) - floor
    print(f"\nfull rotation into two stores: {full:.2f} s above the floor ({'under' if full < 2 else 'OVER'} 2 s)")
    return 0 if full < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
