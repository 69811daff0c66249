"""zotops.zot.server over a fleet of booted hosts (harness/hosts.py), as users run it: one play over
four hosts reached over SSH with become, a replica set on shared S3 and Redis rolled through HAProxy,
and a host that cannot be reached in the middle of it."""
import hashlib

import pytest

from integration.harness.env import VERSIONS
from integration.fleet.fleet import ROLLING_UPDATE, Fleet
from integration.scale_out.conftest import make_bucket
from integration.scale_out.load import RegistryLoad
from integration.scale_out.replicas import USERS

pytestmark = [pytest.mark.zot, pytest.mark.slow]

BINARY = "zot-linux-amd64"


@pytest.fixture(scope="module")
def fleet(test_hosts, release_mirror, moto_server, redis_server, tmp_path_factory):
    made = Fleet(test_hosts, release_mirror, tmp_path_factory.mktemp("fleet-controller-cache"),
                 moto_server, redis_server, make_bucket(moto_server))
    yield made
    for host in made.hosts.values():
        host.reset()


def configs(fleet):
    return dict((name, host.config()) for name, host in fleet.hosts.items())


def assert_no_secret(fleet, *results):
    for result in results:
        for secret in fleet.secrets:
            assert secret not in result.output, f"a secret shows in the output of {result.recap}"


def test_fleet_downloads_once_rolls_without_failed_requests_and_converges_an_unreachable_host(
        fleet, release_mirror, haproxy_factory, oci_image, skopeo_copy):
    version = VERSIONS["ZOT_VERSION"]
    seen = len(release_mirror.requests)
    first = fleet.run(diff=True, verbosity=3)
    assert first.rc == 0, str(first)
    assert set(first.recap) == set(fleet.hosts) and first.failed == 0
    # One download of the binary and of the checksums for the whole fleet, a copy on every host.
    fetched = release_mirror.requests[seen:]
    assert fetched.count(f"/v{version}/{BINARY}") == 1, fetched
    assert fetched.count(f"/v{version}/checksums.sha256.txt") == 1, fetched
    for host in fleet.hosts.values():
        installed = host.path(f"/usr/local/lib/zot/zot-v{version}-linux-amd64")
        assert hashlib.sha256(installed.read_bytes()).hexdigest() == release_mirror.sha256(BINARY)
        assert host.unit_state() == {"LoadState": "loaded", "UnitFileState": "enabled", "ActiveState": "active"}
    # Each host has its own variables, nothing of another's run.
    assert dict((name, config["http"]["realm"]) for name, config in configs(fleet).items()) == \
        dict((name, f"zot-{name}") for name in fleet.hosts)

    # A change rolled one replica at a time through HAProxy while a client pulls and pushes.
    fleet.haproxy = haproxy_factory(fleet.backends())
    base = skopeo_copy(oci_image, f"docker://{fleet.haproxy.url[len('http://'):]}/fleet/app:base",
                       creds=f"ci:{USERS['ci']}")
    assert base.returncode == 0, base.stderr
    load = RegistryLoad(fleet.haproxy.url, "fleet/app", ("ci", USERS["ci"]), max_seconds=300)
    load.start()
    rolled = fleet.run(ROLLING_UPDATE, shared={"zot_log_level": "debug"}, diff=True, verbosity=3)
    load.stop()
    assert rolled.rc == 0, str(rolled)
    assert rolled.output.count("Drain this replica out of HAProxy") >= len(fleet.hosts), str(rolled)
    assert all(config["log"]["level"] == "debug" for config in configs(fleet).values())
    assert load.failures == [], load.failures[:5]
    assert load.requests > 20

    # One host's SSH is stopped: the others converge, the recap names it, a rerun converges it.
    victim_name = sorted(fleet.hosts)[1]
    victim = fleet.hosts[victim_name].host
    victim.inside("systemctl", "stop", "ssh.service")
    victim.inside("pkill", "-TERM", "-f", "sshd: ansible", check=False)
    victim.forget_connection()
    change = {"zot_log_level": "warn"}
    partial = fleet.run(shared=change, diff=True, verbosity=3)
    assert partial.rc != 0
    assert partial.recap[victim_name]["unreachable"] == 1, str(partial)
    others = [name for name in fleet.hosts if name != victim_name]
    assert all(partial.recap[name]["failed"] == 0 and partial.recap[name]["changed"] > 0 for name in others)
    levels = dict((name, config["log"]["level"]) for name, config in configs(fleet).items())
    assert levels == dict((name, "debug" if name == victim_name else "warn") for name in fleet.hosts)

    victim.inside("systemctl", "start", "ssh.service")
    rerun = fleet.run(shared=change, diff=True, verbosity=3)
    assert rerun.rc == 0, str(rerun)
    assert rerun.recap[victim_name]["changed"] > 0
    assert all(rerun.recap[name]["changed"] == 0 for name in others), str(rerun)
    assert all(config["log"]["level"] == "warn" for config in configs(fleet).values())

    third = fleet.run(shared=change)
    assert third.rc == 0 and third.changed == 0, str(third)
    assert_no_secret(fleet, first, rolled, partial, rerun)
