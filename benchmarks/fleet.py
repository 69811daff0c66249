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
                                       [--gather-facts] [--peer-role PATH]

Settings: Ansible's defaults (ansible.cfg none, SSH with ControlPersist, pipelining off), forks = N, and plays
without fact gathering (the role reads the facts it needs in its one module call), floor and role alike.
--profile adds Ansible's profile_tasks callback to one no-op run per N and prints its slowest tasks.
--pipelining sets ansible_pipelining for floor and role alike (Ansible's documented speed-up: one SSH
round trip per module instead of three; it needs `requiretty` off in sudoers, Debian's default).
--gather-facts makes both plays gather facts, as a play does by default: the floor is then Ansible's fact
gathering plus one task, and the role's cost above it is what it adds to such a play.
--peer-role PATH also times another zot role, a checkout of rlex/ansible-role-zot (the Galaxy role `rlex.zot`),
on the same hosts after this role's runs (the hosts reset in between): its fresh and no-op converges with the
same htpasswd users (hashed beforehand: it takes htpasswd lines) and a configuration of the same shape. Its
play gathers facts (its tasks read ansible_architecture). Each host downloads zot from GitHub itself, on every
run (a conditional GET once the file is there), and these hosts cannot reach GitHub: github.com resolves, on
the hosts, to a local HTTPS stand-in serving the release at GitHub's path (a self-signed certificate, so the
play sets get_url's validate_certs to false through module_defaults; it answers 304 Not Modified as GitHub
does). That is the peer's best case: GitHub is farther away than the controller.
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

import yaml

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


def peer_play(role, workdir):
    """The peer role's play: the benchmark's users and a configuration of the same shape as this role's (htpasswd,
    anonymous read, the users' access), in the variables it takes."""
    import bcrypt  # the controller has it (this role's htpasswd filter needs it)
    users = ROLE_VARS["zot_htpasswd_users"]
    rounds = ROLE_VARS["zot_htpasswd_bcrypt_rounds"]
    lines = ["%s:%s" % (user["name"], bcrypt.hashpw(user["password"].encode(), bcrypt.gensalt(rounds)).decode())
             for user in users]
    config = {"distSpecVersion": "1.1.1",
              "storage": {"rootDirectory": "/var/lib/zot", "dedupe": True},
              "http": {"address": "0.0.0.0", "port": "5000", "realm": "zot",
                       "auth": {"htpasswd": {"path": "/etc/zot/htpasswd"}, "failDelay": 1},
                       "accessControl": {"repositories": {"**": {
                           "anonymousPolicy": ["read"],
                           "policies": [{"users": ["ci"], "actions": ["read", "create"]}]}},
                           "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]}}},
              "log": {"level": "info"}}
    peer = {"role": str(Path(role).resolve()),
            "vars": {"zot_registry_version": VERSIONS["ZOT_VERSION"], "zot_registry_htpasswd": lines,
                     "zot_registry_config": config}}
    play = [{"name": "peer zot role", "hosts": "all", "gather_facts": True,
             "module_defaults": {"ansible.builtin.get_url": {"validate_certs": False}}, "roles": [peer]}]
    path = Path(workdir) / "peer.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


class GitHubStandIn:
    """https://github.com/project-zot/zot/releases/download/v<version>/zot-linux-amd64 on 127.0.0.1:443 (the hosts
    reach the controller's loopback at their gateway), with a self-signed certificate for github.com."""

    def __init__(self, workdir, binary):
        import functools
        import http.server
        import ssl
        import subprocess
        import threading
        root = Path(workdir) / "github"
        release = root / "project-zot" / "zot" / "releases" / "download" / f"v{VERSIONS['ZOT_VERSION']}"
        release.mkdir(parents=True)
        (release / "zot-linux-amd64").symlink_to(binary)
        cert, key = root.parent / "github.crt", root.parent / "github.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=github.com", "-addext", "subjectAltName=DNS:github.com", "-keyout", str(key),
                        "-out", str(cert)], check=True, capture_output=True)
        self.downloads = []
        stand_in = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send_response(self, code, message=None):
                if code == 200 and self.command == "GET":
                    stand_in.downloads.append(self.path)
                super().send_response(code, message)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 443), functools.partial(Handler, directory=str(root)))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def measure_peer(fleet, play, stand_in, noop_runs, figures, cpu):
    """The peer role's fresh converge and no-op converges on hosts this role's runs left (reset first)."""
    for host in fleet.hosts.values():
        host.reset(keep_binary=False)
        hosts_file = host.host.path("/etc/hosts")
        hosts_file.write_text(hosts_file.read_text() + f"{fleet.test_hosts.gateway} github.com\n")
    seen = len(stand_in.downloads)
    figures["peer fresh converge"] = [timed(fleet, play)[0]]
    downloads = len(stand_in.downloads) - seen
    figures["peer no-op converge"], cpu["peer no-op converge"] = [], []
    for _noop in range(noop_runs):
        noop, result = timed(fleet, play)
        if result.changed:
            raise SystemExit(f"the peer role's no-op converge changed {result.changed} things:\n{result}")
        figures["peer no-op converge"].append(noop)
        cpu["peer no-op converge"].append(CPU[-1])
    return downloads


def measure(size, runs, noop_runs, mirror, work, profile, peer=None, stand_in=None):
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
        peer_downloads = measure_peer(fleet, peer, stand_in, noop_runs, figures, cpu) if peer else None
    finally:
        for host in hosts.hosts:
            host.ssh("systemctl disable --now zot", check=False)
        hosts.shutdown()
    return figures, cpu, statistics.median(sent), max(downloads), peer_downloads


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--noop-runs", type=int, default=3)
    parser.add_argument("--pipelining", action="store_true")
    parser.add_argument("--sizes", default="1,2,4,8")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--gather-facts", action="store_true")
    parser.add_argument("--peer-role", metavar="PATH", help="a checkout of rlex/ansible-role-zot, timed beside this role")
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
    peer = peer_play(args.peer_role, work) if args.peer_role else None
    stand_in = GitHubStandIn(work, binary) if peer else None
    mirror = ReleaseMirror(work / "mirror", VERSIONS["ZOT_VERSION"], binary).start()
    binary_size = os.path.getsize(binary)
    # Ansible's ssh_args compress by default (-C): the bytes sent are the compressed binary.
    print(f"zotops.zot.server over N booted hosts (SSH + become, forks = N), zot {VERSIONS['ZOT_VERSION']}, "
          f"minimum of {args.runs} fresh / {args.runs * args.noop_runs} no-op runs; binary {binary_size / 2**20:.1f} MiB; "
          f"pipelining {'on' if args.pipelining else 'off (Ansible default)'}; "
          f"plays {'gather facts (Ansible default)' if args.gather_facts else 'gather no facts'}", flush=True)
    print(f"load average before: {' '.join(f'{n:.2f}' for n in os.getloadavg())}", flush=True)
    print(f"{'N':>2} {'run':<20} {'seconds':>8} {'x floor':>8} {'above floor':>12} {'median':>8}", flush=True)
    verdicts = []
    try:
        for size in (int(n) for n in args.sizes.split(",")):
            figures, cpu, sent, downloads, peer_downloads = measure(
                size, args.runs, args.noop_runs, mirror, work, args.profile, peer=peer, stand_in=stand_in)
            floor = min(figures["floor"])
            for name, values in figures.items():
                best = min(values)
                print(f"{size:>2} {name:<20} {best:8.2f} {best / floor:8.2f} {best - floor:+11.2f}s "
                      f"{statistics.median(values):8.2f}")
            floor_cpu, noop_cpu = min(cpu["floor"]), min(cpu["no-op converge"])
            print(f"{size:>2} CPU seconds (controller + hosts): floor {floor_cpu:.2f}, no-op {noop_cpu:.2f} "
                  f"({noop_cpu - floor_cpu:+.2f})"
                  + (f", peer role's no-op {min(cpu['peer no-op converge']):.2f} "
                     f"({min(cpu['peer no-op converge']) - floor_cpu:+.2f})" if peer else ""))
            print(f"{size:>2} fresh converge: {sent / 2**20:.1f} MiB sent per host, {downloads} binary download(s)"
                  + (f"; the peer role's: {peer_downloads} download(s) from the GitHub stand-in" if peer else ""),
                  flush=True)
            above = min(figures["no-op converge"]) - floor
            limit = 1.5 if size == 1 else 3.0
            verdicts.append(f"N={size}: no-op {above:+.2f} s above the floor (target < {limit} s: "
                            f"{'met' if above < limit else 'NOT met'})")
    finally:
        mirror.stop()
        if stand_in:
            stand_in.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
