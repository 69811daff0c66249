#!/usr/bin/env python
"""Benchmark (not a test): what a run of zotops.zot.server costs, beside Ansible's own floor.

On one simulated host (every path under a temp dir, its own systemd unit run by
docker-systemctl-replacement, the real zot from the harness's release mirror), it times:

- floor: a one-task playbook (ansible.builtin.ping) with the same inventory and interpreter;
  the role's plays gather no facts (the role reads the few it needs in its one module call);
- fresh converge: the role on a host with nothing installed (includes the controller download);
- no-op converge: the same role and variables again (changed=0);
- check: `--check` of the same role and variables on the converged host.

Each figure is the median of --runs runs (the fresh converge tears the host down before each run),
printed as seconds and as a ratio to the floor. The issue's target: no-op under floor + 3 s.

Usage (as root, after scripts/setup-dev-env.sh, with the zot binary the harness uses):
  .venv/bin/python benchmarks/server_role.py [--runs 3]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from integration.harness import zot  # noqa: E402
from integration.harness.ansible import run_playbook  # noqa: E402
from integration.harness.env import VERSIONS  # noqa: E402
from integration.harness.mirror import ReleaseMirror  # noqa: E402
from integration.server.server_helpers import Host, systemctl_dir  # noqa: E402

# The role reads the few facts it needs (platform, service manager, user) in its one module call, so the
# play gathers none: the figures are the role's own cost, comparable with the floor's one-task play.
ROLE_PLAY = """- name: zotops.zot.server
  hosts: all
  gather_facts: false
  roles:
    - role: zotops.zot.server
"""

# The seeds' three tiers with htpasswd users: what the getting-started guide installs.
ROLE_VARS = {
    "zot_htpasswd_users": [{"name": "admin", "password": "bench-Admin-1"}, {"name": "ci", "password": "bench-Ci-1"}],
    "zot_htpasswd_bcrypt_rounds": 5,
    "zot_access": {"anonymous": ["read"], "groups": {"artifact-workloads": {"users": ["ci"]}, "admins": {"users": ["admin"]}},
                   "tiers": {"ci": {"groups": ["artifact-workloads"], "actions": ["read", "create"], "immutable_tags": True}},
                   "admins": {"groups": ["admins"]}},
    "zot_auth_fail_delay": 1,
}


def timed(what, check=False, **kwargs):
    start = time.monotonic()
    result = what(check=check, **kwargs)
    elapsed = time.monotonic() - start
    if result.rc != 0:
        raise SystemExit(f"benchmark run failed:\n{result}")
    return elapsed, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the role creates a system user and a systemd unit")
    binary, reason = zot.zot_binary()
    if binary is None:
        raise SystemExit(reason)

    work = Path(tempfile.mkdtemp(prefix="zotops-bench-"))
    work.chmod(0o755)
    mirror = ReleaseMirror(work / "mirror", VERSIONS["ZOT_VERSION"], binary).start()
    host = None
    figures = {"floor": [], "fresh converge": [], "no-op converge": [], "check (no change)": []}
    try:
        role_play = work / "role.yml"
        role_play.write_text(ROLE_PLAY)
        floor_play = work / "floor.yml"
        floor_play.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n")
        for run in range(args.runs):
            figures["floor"].append(timed(lambda check: run_playbook(floor_play), check=False)[0])
            if host is not None:
                host.stop()
                shutil.rmtree(host.root.parent, ignore_errors=True)
            root = work / f"host-{run}"
            root.mkdir(mode=0o755)
            host = Host(root / "host", {"zot_release_base_url": mirror.base_url}, systemctl_dir(root))
            fresh, _result = timed(host.run, playbook=role_play, **ROLE_VARS)
            noop, result = timed(host.run, playbook=role_play, **ROLE_VARS)
            if result.changed:
                raise SystemExit(f"the no-op converge changed {result.changed} things:\n{result}")
            check, _result = timed(host.run, playbook=role_play, check=True, **ROLE_VARS)
            figures["fresh converge"].append(fresh)
            figures["no-op converge"].append(noop)
            figures["check (no change)"].append(check)
    finally:
        if host is not None:
            host.stop()
        mirror.stop()
        shutil.rmtree(work, ignore_errors=True)

    floor = statistics.median(figures["floor"])
    print(f"zotops.zot.server on one host, zot {VERSIONS['ZOT_VERSION']}, median of {args.runs} runs")
    print(f"{'run':<20} {'seconds':>8} {'x floor':>8} {'above floor':>12}")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"{name:<20} {median:8.2f} {median / floor:8.2f} {median - floor:+11.2f}s")
    noop = statistics.median(figures["no-op converge"])
    verdict = "met" if noop - floor < 3 else "NOT met"
    print(f"target no-op < floor + 3 s: {verdict} ({noop - floor:+.2f} s)")


if __name__ == "__main__":
    main()
