"""Three zot replicas on shared S3 (moto) and Redis (Debian redis-server) behind HAProxy, installed
by zotops.zot.rolling_update: what a user of a scaled-out registry would notice."""
import re
import time
import uuid

import pytest
import requests

from integration.harness.process import free_port
from integration.scale_out.load import RegistryLoad
from integration.scale_out.replicas import USERS
from ansible_collections.zotops.zot.plugins.module_utils.haproxy import HAProxyRuntime

pytestmark = [pytest.mark.zot, pytest.mark.slow]

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def push(skopeo_copy, image, url, ref, user=None):
    creds = f"{user}:{USERS[user]}" if user else None
    return skopeo_copy(image, f"docker://{url.split('://', 1)[1]}/{ref}", creds=creds)


def manifest(url, repo, tag, auth=None):
    return requests.get(f"{url}/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST}, auth=auth, timeout=10)


def test_push_through_one_replica_is_served_by_all(replica_set, oci_image_factory, skopeo_copy):
    image = oci_image_factory("1.0", content="pushed through r1")
    pushed = push(skopeo_copy, image, replica_set.url("r1"), "team/shared:1.0", user="ci")
    assert pushed.returncode == 0, pushed.stderr
    digests = set()
    for name in ("r2", "r3"):
        got = manifest(replica_set.url(name), "team/shared", "1.0")
        assert got.status_code == 200, (name, got.status_code)
        digests.add(got.headers["Docker-Content-Digest"])
        pulled = skopeo_copy(f"docker://127.0.0.1:{replica_set.hosts[name].vars['zot_http_port']}/team/shared:1.0",
                             f"oci:{replica_set.root / ('pulled-' + name)}:1.0")
        assert pulled.returncode == 0, pulled.stderr
    assert len(digests) == 1
    catalogs = [requests.get(f"{replica_set.url(n)}/v2/_catalog", timeout=10).json()["repositories"]
                for n in replica_set.hosts]
    assert all(c == catalogs[0] for c in catalogs) and "team/shared" in catalogs[0]

    # A delete through r3 (admin) is seen by r1.
    digest = digests.pop()
    deleted = requests.delete(f"{replica_set.url('r3')}/v2/team/shared/manifests/{digest}",
                              auth=("admin", USERS["admin"]), timeout=10)
    assert deleted.status_code == 202, deleted.text
    assert manifest(replica_set.url("r1"), "team/shared", "1.0").status_code == 404


def test_push_through_the_load_balancer_spans_replicas(replica_set, oci_image_factory, skopeo_copy):
    """skopeo's upload (POST, then PUT at the returned location, then the manifest) lands on different
    replicas under round robin: the upload session lives in the bucket, so the push still works."""
    image = oci_image_factory("2.0", content="pushed through haproxy")
    pushed = push(skopeo_copy, image, replica_set.haproxy.url, "team/balanced:2.0", user="ci")
    assert pushed.returncode == 0, pushed.stderr
    for name in replica_set.hosts:
        assert manifest(replica_set.url(name), "team/balanced", "2.0").status_code == 200, name


def test_api_key_and_login_session_made_on_one_replica_work_on_another(replica_set, oci_image, skopeo_copy):
    r1, r2 = replica_set.url("r1"), replica_set.url("r2")
    pushed = push(skopeo_copy, oci_image, r1, "private/app:1.0", user="ci")
    assert pushed.returncode == 0, pushed.stderr
    # Anonymous users cannot read private/**: what tells a session or a key from nobody.
    assert requests.get(f"{r2}/v2/private/app/tags/list", timeout=10).status_code == 401

    made = requests.post(f"{r1}/zot/auth/apikey", json={"label": "replicas", "scopes": []},
                         auth=("ci", USERS["ci"]), timeout=10)
    assert made.status_code == 201, made.text
    key = made.json()["apiKey"]
    assert requests.get(f"{r2}/v2/private/app/tags/list", auth=("ci", key), timeout=10).status_code == 200
    assert requests.get(f"{r2}/v2/private/app/tags/list", auth=("ci", key[:-2] + "xx"), timeout=10).status_code == 401
    # The key pushes a new tag through another replica with skopeo, as CI would.
    with_key = skopeo_copy(oci_image, f"docker://127.0.0.1:{replica_set.hosts['r3'].vars['zot_http_port']}/private/app:1.1",
                           creds=f"ci:{key}")
    assert with_key.returncode == 0, with_key.stderr

    # An htpasswd login as the web UI makes it (a session cookie), made on r1, is valid on r2 (Redis sessions).
    login = requests.get(f"{r1}/v2/_catalog", auth=("ci", USERS["ci"]), headers={"X-ZOT-API-CLIENT": "zot-ui"},
                         timeout=10)
    assert login.status_code == 200 and "session" in login.cookies, login.headers
    on_r2 = requests.get(f"{r2}/v2/private/app/tags/list", cookies={"session": login.cookies["session"]},
                         headers={"X-ZOT-API-CLIENT": "zot-ui"}, timeout=10)
    assert on_r2.status_code == 200, on_r2.text
    assert "1.1" in on_r2.json()["tags"]


def test_tag_immutability_holds_on_every_replica(replica_set, oci_image, skopeo_copy):
    pushed = push(skopeo_copy, oci_image, replica_set.url("r1"), "team/immutable:1.0", user="ci")
    assert pushed.returncode == 0, pushed.stderr
    body = manifest(replica_set.url("r1"), "team/immutable", "1.0")
    for name in replica_set.hosts:
        again = requests.put(f"{replica_set.url(name)}/v2/team/immutable/manifests/1.0", data=body.content,
                             headers={"Content-Type": MANIFEST}, auth=("ci", USERS["ci"]), timeout=10)
        assert again.status_code == 403, (name, again.status_code)
        # A new tag is CI's to make, through any replica.
        new = requests.put(f"{replica_set.url(name)}/v2/team/immutable/manifests/{name}", data=body.content,
                           headers={"Content-Type": MANIFEST}, auth=("ci", USERS["ci"]), timeout=10)
        assert new.status_code == 201, (name, new.status_code)


@pytest.fixture
def load(replica_set, oci_image, skopeo_copy):
    """Start a RegistryLoad through HAProxy on `load/app` (seeded through r1); stopped after the test."""
    repo = f"load/app-{uuid.uuid4().hex[:8]}"
    pushed = push(skopeo_copy, oci_image, replica_set.url("r1"), f"{repo}:base", user="ci")
    assert pushed.returncode == 0, pushed.stderr
    started = []

    def start():
        runner = RegistryLoad(replica_set.haproxy.url, repo, ("ci", USERS["ci"]))
        runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        runner.stop()


def test_rolling_update_under_load_fails_no_request_and_a_failed_replica_stops_the_roll(replica_set, load):
    """A config change rolls through the set while pulls and pushes run through HAProxy. First r2's new
    configuration makes zot fail at start (an OpenID issuer that does not answer makes zot panic): r1
    is rolled, r2 is restored to its previous configuration and back in HAProxy, r3 is not touched.
    Then the roll completes. No request fails, no secret shows in -vvv --diff, a third run changes
    nothing."""
    before = dict((name, host.config()) for name, host in replica_set.hosts.items())
    runner = load()
    time.sleep(1)
    replica_set.shared["zot_storage_gc_interval"] = "8h"
    broken = {"zot_http_external_url": "https://registry.example.com",
              "zot_openid_providers": {"oidc": {"issuer": f"http://127.0.0.1:{free_port()}/realms/none",
                                                "client_id": "zot", "client_secret": "never-used-secret"}}}
    result = replica_set.run(hosts={"r2": broken}, diff=True, verbosity=3)
    assert result.rc != 0
    s3 = replica_set.shared["zot_storage_s3"]
    secrets = [replica_set.redis.password, "never-used-secret", s3["secret_access_key"], s3["access_key_id"]]
    # The rollback restores a config that holds the Redis password, and zot logs it: neither shows.
    for secret in secrets:
        assert secret not in result.output
    assert "The previous configuration and binary were restored" in result.stdout, str(result)
    # r3 was checked with the others (the playbook's first play), never rolled.
    assert "[r3]" not in result.stdout.split("PLAY [Roll zot out to its replicas one at a time]", 1)[1], str(result)
    assert result.recap["r3"]["changed"] == 0
    assert replica_set.hosts["r1"].config()["storage"]["gcInterval"] == "8h"
    assert replica_set.hosts["r2"].config() == before["r2"]
    assert replica_set.hosts["r3"].config() == before["r3"]
    assert requests.get(f"{replica_set.url('r2')}/v2/_catalog", timeout=10).status_code == 200
    assert HAProxyRuntime(replica_set.haproxy.socket).server("zot", "r2")["status"] == "UP"

    # Without the broken setting the roll completes; each replica that restarts leaves HAProxy before
    # and comes back after. The -vvv --diff output shows the config change, masked.
    fixed = replica_set.run(diff=True, verbosity=3)
    time.sleep(1)
    runner.stop()
    assert fixed.rc == 0, str(fixed)
    assert all(h.config()["storage"]["gcInterval"] == "8h" for h in replica_set.hosts.values())
    assert fixed.stdout.count("Drain this replica out of HAProxy] *") == 2, str(fixed)
    assert fixed.stdout.count("Put this replica back into HAProxy] *") == 2, str(fixed)
    assert re.search(r'\+\s+\\?"gcInterval\\?": \\?"8h', fixed.stdout), str(fixed)
    for secret in secrets + list(USERS.values()):
        assert secret not in fixed.output
    assert runner.requests > 50, runner.requests
    assert runner.failures == []
    again = replica_set.run()
    assert again.rc == 0 and again.changed == 0, str(again)
    assert "Drain this replica" not in again.stdout


def test_killed_replica_load_balancer_keeps_serving_and_next_run_restores_it(replica_set, load):
    runner = load()
    time.sleep(1)
    replica_set.kill("r2")
    time.sleep(4)
    runner.stop()
    assert runner.failures == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{replica_set.url('r2')}/v2/", timeout=5)

    result = replica_set.run()
    assert result.rc == 0, str(result)
    assert result.recap["r2"]["changed"] > 0 and result.recap["r1"]["changed"] == 0 and result.recap["r3"]["changed"] == 0
    assert requests.get(f"{replica_set.url('r2')}/v2/_catalog", timeout=10).status_code == 200
    assert HAProxyRuntime(replica_set.haproxy.socket).server("zot", "r2")["status"] == "UP"
    again = replica_set.run()
    assert again.rc == 0 and again.changed == 0, str(again)


def _bad_input(case, replica_set):
    s3 = dict(replica_set.shared["zot_storage_s3"])
    if case == "bucket that does not exist":
        return {"shared": {"zot_storage_s3": dict(s3, bucket="zot-no-such-bucket")}}, "zot_storage_s3.bucket", "does not exist"
    if case == "wrong S3 endpoint":
        return ({"shared": {"zot_storage_s3": dict(s3, endpoint=f"http://127.0.0.1:{free_port()}")}},
                "zot_storage_s3.endpoint", "does not answer")
    if case == "Redis unreachable":
        redis = dict(replica_set.shared["zot_redis"], url=f"redis://127.0.0.1:{free_port()}/0")
        return {"shared": {"zot_redis": redis}}, "zot_redis.url", "does not answer"
    if case == "replicas with different storage":
        return ({"hosts": {"r2": {"zot_storage_s3": dict(s3, bucket="zot-other")}}},
                "zot_storage_s3.bucket", "where host r2 has")
    if case == "replica set without shared storage":
        return {"shared": {"zot_storage_s3": None}}, "zot_replica_set=registry needs shared storage", "host r1"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["bucket that does not exist", "wrong S3 endpoint", "Redis unreachable",
                                  "replicas with different storage", "replica set without shared storage"])
def test_bad_input_fails_before_any_change_naming_host_and_variable(replica_set, case):
    before = replica_set.snapshot()
    overrides, variable, what = _bad_input(case, replica_set)
    result = replica_set.run(**overrides)
    assert result.rc != 0
    assert variable in result.stdout and what in result.stdout, str(result)
    assert "r1" in result.stdout
    assert replica_set.snapshot() == before
    for name in replica_set.hosts:
        assert requests.get(f"{replica_set.url(name)}/v2/_catalog", timeout=10).status_code == 200, name


def test_check_mode_predicts_the_roll_and_touches_nothing(replica_set):
    before = replica_set.snapshot()
    result = replica_set.run(check=True, diff=True, shared={"zot_storage_gc_interval": "2h"})
    assert result.rc == 0, str(result)
    assert all(result.recap[name]["changed"] > 0 for name in replica_set.hosts), result.recap
    assert result.stdout.count("zot would be restarted") == 3, str(result)
    # The masked config diff shows the change (debug prints its lines JSON-quoted).
    assert re.search(r'\+\s+\\?"gcInterval\\?": \\?"2h', result.stdout), str(result)
    assert "Drain this replica" not in result.stdout
    assert replica_set.snapshot() == before
    status = HAProxyRuntime(replica_set.haproxy.socket)
    assert all(status.server("zot", name)["status"] == "UP" for name in replica_set.hosts)


@pytest.mark.parametrize("check", [True, False], ids=["check", "run"])
def test_rolling_update_under_service_manager_none_fails_instead_of_reporting_a_roll(replica_set, check):
    """Under zot_service_manager=none the roll could restart nothing: it fails (and --check predicts it)
    naming the replica and the variable, before any replica changes, and every zot keeps serving."""
    before = replica_set.snapshot()
    result = replica_set.run(check=check, shared={"zot_service_manager": "none", "zot_storage_gc_interval": "2h"},
                             hosts={"r1": {"zot_service_manager": "none"}, "r2": {"zot_service_manager": "none"},
                                    "r3": {"zot_service_manager": "none"}})
    assert result.rc != 0, str(result)
    assert "zot_service_manager=none" in result.stdout and "nothing restarts" in result.stdout, str(result)
    assert "r1" in result.stdout
    assert result.changed == 0
    assert replica_set.snapshot() == before
    for name in replica_set.hosts:
        assert requests.get(f"{replica_set.url(name)}/v2/_catalog", timeout=10).status_code == 200, name
