#!/usr/bin/env python
"""Benchmark (not a test): zotops.zot.server over N booted hosts, beside Ansible's own floor.

For N = 1, 2, 4 and 8 Debian hosts booted with systemd-nspawn (tests/integration/harness/hosts.py:
systemd as PID 1, SSH as an unprivileged user with become, forks = N), it times:

- floor: a one-task playbook (ansible.builtin.ping) over the same inventory;
- fresh converge: the server role on hosts with nothing installed (the controller's download cache
  emptied first, so it includes the one download from the release mirror);
- no-op converge: the same role and variables again (changed=0 on every host);

each the minimum (and the median) of its runs: --runs fresh converges, each followed by
--noop-runs floor and no-op runs (the minimum is the figure: other work on the machine only ever
adds time). Printed as seconds and as a ratio to that N's floor, with the bytes the controller sent
to each host during the fresh converge (read from the host's veth counters), the binary downloads
the mirror served and the load average before and after. Targets: no-op under floor + 3 s at every
N and under floor + 1.5 s on one host; the binary downloaded once per converge and copied once per host.

Usage (as root, after scripts/setup-dev-env.sh, with the zot binary the harness uses):
  .venv/bin/python benchmarks/fleet.py [--runs 1] [--noop-runs 3] [--sizes 1,2,4,8] [--profile] [--pipelining]
                                       [--gather-facts]

Settings: Ansible's defaults (ansible.cfg none, SSH with ControlPersist, pipelining off), forks = N, and plays
without fact gathering (the role reads the facts it needs in its one module call), floor and role alike.
--profile adds Ansible's profile_tasks callback to one no-op run per N and prints its slowest tasks.
--pipelining sets ansible_pipelining for floor and role alike (Ansible's documented speed-up: one SSH
round trip per module instead of three; it needs `requiretty` off in sudoers, Debian's default).
--gather-facts makes both plays gather facts, as a play does by default: the floor is then Ansible's fact
gathering plus one task, and the role's cost above it is what it adds to such a play.
"""
import argparse
import os
import resource
import shutil
import signal
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
from integration.harness.hosts import HostFleet, host_support  # noqa: E402
from integration.harness.mirror import ReleaseMirror  # noqa: E402
from integration.fleet.fleet import Fleet  # noqa: E402

# The same play and variables as benchmarks/server_role.py (the seeds' three tiers with htpasswd users).
from server_role import ROLE_PLAY, ROLE_VARS  # noqa: E402  pylint: disable=wrong-import-position
FLOOR_PLAY = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n"
GATHERING = ("gather_facts: false", "gather_facts: true")


def tx_bytes(host):
    """Bytes the controller sent into the host's veth (its bridge port's transmit counter)."""
    return int(Path(f"/sys/class/net/vb-{host.name}/statistics/tx_bytes").read_text())


PIPELINING = {}
# CPU seconds of each timed run (controller and hosts): what load from other work does not inflate.
CPU = []


def host_cpu(host):
    """CPU seconds used so far inside the host (its cgroup in the unified hierarchy), 0 when unknown."""
    try:
        stat = Path(f"/sys/fs/cgroup/unified/zotops-hosts/{host.name}/cpu.stat").read_text()
    except OSError:
        return 0.0
    return int(stat.split("usage_usec", 1)[1].split()[0]) / 1e6


def cpu_now(fleet):
    """CPU seconds of the controller's finished children (ansible-playbook, its workers, ssh) plus the hosts'."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + sum(host_cpu(host.host) for host in fleet.hosts.values())


def timed(fleet, playbook, runs_env=None, **kwargs):
    cpu = cpu_now(fleet)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zotops-bench-") as tmp:
        inventory = fleet.inventory(Path(tmp) / "inventory.json", dict(ROLE_VARS, **PIPELINING))
        env = dict({"ANSIBLE_FORKS": str(len(fleet.hosts))}, **(runs_env or {}))
        result = run_playbook(playbook, inventory=inventory, env=env, **kwargs)
    elapsed = time.monotonic() - start
    CPU.append(cpu_now(fleet) - cpu)
    if result.rc != 0:
        raise SystemExit(f"benchmark run failed:\n{result}")
    return elapsed, result


def measure(size, runs, noop_runs, mirror, work, profile):
    hosts = HostFleet(size, prefix="zb").boot()
    figures = {"floor": [], "fresh converge": [], "no-op converge": []}
    cpu = {"floor": [], "no-op converge": []}
    sent, downloads = [], []
    try:
        cache = work / f"cache-{size}"
        fleet = Fleet(hosts, mirror, cache)
        fleet.shared.pop("zot_access_control")
        role_play, floor_play = work / "role.yml", work / "floor.yml"
        for _run in range(runs):
            for host in fleet.hosts.values():
                host.reset(keep_binary=False)
            shutil.rmtree(cache, ignore_errors=True)
            before = dict((name, tx_bytes(host.host)) for name, host in fleet.hosts.items())
            seen = len(mirror.requests)
            figures["fresh converge"].append(timed(fleet, role_play)[0])
            sent.append(statistics.mean(tx_bytes(host.host) - before[name] for name, host in fleet.hosts.items()))
            downloads.append(sum(1 for path in mirror.requests[seen:] if path.endswith("/zot-linux-amd64")))
            for _noop in range(noop_runs):
                figures["floor"].append(timed(fleet, floor_play)[0])
                cpu["floor"].append(CPU[-1])
                noop, result = timed(fleet, role_play)
                cpu["no-op converge"].append(CPU[-1])
                if result.changed:
                    raise SystemExit(f"the no-op converge changed {result.changed} things:\n{result}")
                figures["no-op converge"].append(noop)
        if profile:
            _elapsed, result = timed(fleet, role_play, runs_env={"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks"})
            print(f"--- profile_tasks, no-op over {size} host(s) ---")
            print("\n".join(result.stdout.splitlines()[-25:]))
    finally:
        for host in hosts.hosts:
            host.ssh("systemctl disable --now zot", check=False)
        hosts.shutdown()
    return figures, cpu, statistics.median(sent), max(downloads)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--noop-runs", type=int, default=3)
    parser.add_argument("--pipelining", action="store_true")
    parser.add_argument("--sizes", default="1,2,4,8")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--gather-facts", action="store_true")
    args = parser.parse_args()
    if args.pipelining:
        PIPELINING["ansible_pipelining"] = True
    # Stopped from outside: still shut the hosts down and remove what they left (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    binary, reason = zot.zot_binary()
    if binary is None:
        raise SystemExit(reason)
    _image, _key, reason = host_support()
    if reason:
        raise SystemExit(reason)
    work = Path(tempfile.mkdtemp(prefix="zotops-fleet-bench-"))
    plays = {"role.yml": ROLE_PLAY, "floor.yml": FLOOR_PLAY}
    for name, play in plays.items():
        assert GATHERING[0] in play
        (work / name).write_text(play.replace(*GATHERING) if args.gather_facts else play)
    mirror = ReleaseMirror(work / "mirror", VERSIONS["ZOT_VERSION"], binary).start()
    binary_size = os.path.getsize(binary)
    # Ansible's ssh_args compress by default (-C): the bytes sent are the compressed binary.
    print(f"zotops.zot.server over N booted hosts (SSH + become, forks = N), zot {VERSIONS['ZOT_VERSION']}, "
          f"minimum of {args.runs} fresh / {args.runs * args.noop_runs} no-op runs; binary {binary_size / 2**20:.1f} MiB; "
          f"pipelining {'on' if args.pipelining else 'off (Ansible default)'}; "
          f"plays {'gather facts (Ansible default)' if args.gather_facts else 'gather no facts'}", flush=True)
    print(f"load average before: {' '.join(f'{n:.2f}' for n in os.getloadavg())}", flush=True)
    print(f"{'N':>2} {'run':<16} {'seconds':>8} {'x floor':>8} {'above floor':>12} {'median':>8}", flush=True)
    verdicts = []
    try:
        for size in (int(n) for n in args.sizes.split(",")):
            figures, cpu, sent, downloads = measure(size, args.runs, args.noop_runs, mirror, work, args.profile)
            floor = min(figures["floor"])
            for name, values in figures.items():
                best = min(values)
                print(f"{size:>2} {name:<16} {best:8.2f} {best / floor:8.2f} {best - floor:+11.2f}s "
                      f"{statistics.median(values):8.2f}")
            floor_cpu, noop_cpu = min(cpu["floor"]), min(cpu["no-op converge"])
            print(f"{size:>2} CPU seconds (controller + hosts): floor {floor_cpu:.2f}, no-op {noop_cpu:.2f} "
                  f"({noop_cpu - floor_cpu:+.2f})")
            print(f"{size:>2} fresh converge: {sent / 2**20:.1f} MiB sent per host, {downloads} binary download(s)",
                  flush=True)
            above = min(figures["no-op converge"]) - floor
            limit = 1.5 if size == 1 else 3.0
            verdicts.append(f"N={size}: no-op {above:+.2f} s above the floor (target < {limit} s: "
                            f"{'met' if above < limit else 'NOT met'})")
    finally:
        mirror.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
