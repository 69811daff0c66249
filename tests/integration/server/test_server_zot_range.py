"""zotops.zot.server on the oldest zot release it supports (tests/versions.env ZOT_OLDEST_VERSION, a real
build of that tag), on a booted Debian host: the seeds' three tiers, pull-through, a second run that
changes nothing, the broken-input classes, features the release lacks refused before any change with the
release they need, a binary of another release refused; then an upgrade in place to ZOT_VERSION that keeps
images and API keys, after a failed start on the new release that rolled back to the old binary.

Skips with the exact reason (fails with ZOTOPS_REQUIRE_ZOT=1 / ZOTOPS_REQUIRE_HOSTS=1) where the oldest
build or the hosts are missing.
"""
import datetime
import socket

import pytest
import requests

from integration.harness import zot
from integration.server.server_helpers import BootedHost
from integration.server.test_server_zot import MANIFEST, USERS, _broken_input, push, put_manifest, tiers_vars

pytestmark = [pytest.mark.zot, pytest.mark.slow]


def oldest_vars(mirror, **more):
    return dict(tiers_vars(), zot_version=zot.OLDEST, zot_release_base_url=mirror.base_url_for(zot.OLDEST), **more)


def host_version(host):
    """The release of the zot that zot_binary_path points to, as the binary itself says."""
    from ansible_collections.zotops.zot.plugins.module_utils.zot_releases import version_from_output
    shown = host.host.ssh("/usr/local/bin/zot --version 2>&1")
    return version_from_output(shown.stdout + shown.stderr)[0]


@pytest.fixture(scope="module")
def oldest_host(zot_oldest_bin, test_hosts, release_mirror, controller_cache, registry_upstream):
    """hosts[0] converged once on the oldest release: htpasswd, the seeds' tiers, a pull-through cache."""
    host = BootedHost(test_hosts.hosts[0], {}, controller_cache)
    host.reset()
    upstream = registry_upstream.url.replace("127.0.0.1", test_hosts.gateway)
    host.vars.update(oldest_vars(release_mirror, zot_pull_through=[
        {"name": "docker.io", "url": upstream, "tls_verify": False}]))
    result = host.run()
    assert result.rc == 0, str(result)
    yield host
    host.reset()


def test_oldest_release_serves_the_seeds_tiers_and_pull_through(oldest_host, oci_image, skopeo_copy):
    assert host_version(oldest_host) == zot.OLDEST
    assert requests.get(f"{oldest_host.url}/v2/_catalog", timeout=10).status_code == 200
    assert requests.post(f"{oldest_host.url}/v2/anon/app/blobs/uploads/", timeout=10).status_code == 401
    assert push(skopeo_copy, oci_image, oldest_host, "team/app:1.0", user="ci").returncode == 0
    manifest = requests.get(f"{oldest_host.url}/v2/team/app/manifests/1.0", headers={"Accept": MANIFEST}, timeout=10)
    assert manifest.status_code == 200
    ci, admin = ("ci", USERS["ci"]), ("admin", USERS["admin"])
    assert put_manifest(oldest_host, "team/app", "1.0", manifest.content, auth=ci).status_code == 403
    assert put_manifest(oldest_host, "team/app", "1.1", manifest.content, auth=ci).status_code == 201
    assert put_manifest(oldest_host, "team/app", "1.2", manifest.content, auth=("reader", USERS["reader"])).status_code == 403
    assert put_manifest(oldest_host, "team/app", "1.0", manifest.content, auth=admin).status_code == 201
    # Why zot_access's immutable_tags needs 2.1.15: before it, a push over an existing `latest` is `create`.
    assert put_manifest(oldest_host, "team/app", "latest", manifest.content, auth=ci).status_code == 201
    assert put_manifest(oldest_host, "team/app", "latest", manifest.content, auth=ci).status_code == 201
    cached = requests.get(f"{oldest_host.url}/v2/docker.io/library/hello/manifests/1",
                          headers={"Accept": MANIFEST}, timeout=60)
    assert cached.status_code == 200, cached.text


def test_oldest_release_second_run_changes_nothing(oldest_host):
    result = oldest_host.run()
    assert result.rc == 0, str(result)
    assert result.changed == 0, str(result)


OIDC = {"oidc": {"issuer": "https://kc.example.com/realms/zot", "client_id": "zot", "client_secret": "s3cret-y",
                 "claim_mapping": {"groups": "roles"}}}
TOO_NEW = {
    "claimMapping.groups": ({"zot_http_external_url": "https://zot.example.com", "zot_openid_providers": OIDC},
                            "zot_openid_providers.oidc.claim_mapping.groups", "2.1.14"),
    "immutable_tags": ({"zot_access_control": {}, "zot_access": {
        "anonymous": ["read"], "groups": {"artifact-workloads": {"users": ["ci"]}},
        "tiers": {"ci": {"groups": ["artifact-workloads"], "actions": ["read", "create"], "immutable_tags": True}}}},
        "zot_access.tiers.ci.immutable_tags", "2.1.15"),
    "metrics.anonymousPolicy": ({"zot_metrics_enabled": True, "zot_access_control": dict(
        tiers_vars()["zot_access_control"], metrics={"users": ["admin"], "anonymousPolicy": ["read"]})},
        "zot_access_control.metrics.anonymousPolicy", "2.1.18"),
}


@pytest.mark.parametrize("case", sorted(TOO_NEW))
def test_a_feature_newer_than_zot_version_fails_before_any_change(oldest_host, case):
    overrides, variable, release = TOO_NEW[case]
    before = oldest_host.snapshot()
    result = oldest_host.run(**overrides)
    assert result.rc != 0
    assert f"{variable}: " in result.stdout and f"needs zot {release} or newer, but zot_version is {zot.OLDEST}" \
        in result.stdout, str(result)
    assert "Nothing was changed." in result.stdout
    assert "s3cret-y" not in result.output
    assert result.changed == 0
    assert oldest_host.snapshot() == before


def test_a_release_older_than_the_oldest_supported_is_refused(oldest_host):
    before = oldest_host.snapshot()
    result = oldest_host.run(zot_version="2.1.12")
    assert result.rc != 0
    assert f"the oldest zot release this role supports is {zot.OLDEST}" in result.stdout, str(result)
    assert oldest_host.snapshot() == before


def test_a_binary_of_another_release_fails_before_any_change(oldest_host, zot_bin):
    """zot_version and the binary's own release must agree (here: zot_binary_local_path is the default release)."""
    before = oldest_host.snapshot()
    result = oldest_host.run(zot_binary_local_path=zot_bin)
    assert result.rc != 0
    assert f"zot_version is {zot.OLDEST}, but {zot_bin} (zot_binary_local_path) is zot {zot.CURRENT}" \
        in " ".join(result.stdout.split()), str(result)
    assert result.changed == 0
    assert oldest_host.snapshot() == before


@pytest.mark.parametrize("case", ["missing certificate file", "TLS file unreadable by the zot user",
                                  "port already in use", "storage the zot user cannot write"])
def test_broken_input_fails_before_any_change_on_the_oldest_release(oldest_host, case):
    before = oldest_host.snapshot()
    overrides, cause = _broken_input(case, oldest_host)
    result = oldest_host.run(**overrides)
    assert result.rc != 0
    assert cause in result.stdout, str(result)
    assert oldest_host.snapshot() == before
    assert requests.get(f"{oldest_host.url}/v2/_catalog", timeout=10).status_code == 200


# ---------------------------------------------------------------- upgrade in place

def _api_key(host):
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    made = requests.post(f"{host.url}/zot/auth/apikey", auth=("ci", USERS["ci"]), timeout=10,
                         json={"label": "upgrade", "scopes": [], "expirationDate": expires})
    assert made.status_code == 201, made.text
    return made.json()["apiKey"]


def _serves_what_it_had(host, key):
    """The image pushed before and the API key made before both still work."""
    pulled = requests.get(f"{host.url}/v2/team/kept/manifests/1.0", headers={"Accept": MANIFEST}, timeout=10)
    assert pulled.status_code == 200, pulled.text
    assert requests.get(f"{host.url}/v2/_catalog", auth=("ci", key), timeout=10).status_code == 200
    assert requests.get(f"{host.url}/v2/_catalog", auth=("ci", "zak_wrong"), timeout=10).status_code == 401


def test_upgrade_in_place_checks_first_rolls_back_a_failed_start_then_keeps_images_and_keys(
        zot_oldest_bin, real_host, release_mirror, oci_image, skopeo_copy):
    real_host.vars.update(zot_auth_apikey=True)
    assert real_host.run(**oldest_vars(release_mirror)).rc == 0
    assert host_version(real_host) == zot.OLDEST
    assert push(skopeo_copy, oci_image, real_host, "team/kept:1.0", user="ci").returncode == 0
    key = _api_key(real_host)
    old_link = real_host.path("/usr/local/bin/zot").readlink()
    new_vars = dict(tiers_vars(), zot_version=zot.CURRENT, zot_release_base_url=release_mirror.base_url)

    # The new binary checks the new config before the switch: a config it refuses changes nothing.
    before = real_host.snapshot()
    refused = real_host.run(**dict(new_vars, zot_config_extra={"storage": {"garbageCollect": True}}))
    assert refused.rc != 0 and "zot verify rejected the configuration" in refused.stdout, str(refused)
    assert {k: v for k, v in real_host.snapshot().items() if not k.startswith("/usr/local/lib/zot")} == \
        {k: v for k, v in before.items() if not k.startswith("/usr/local/lib/zot")}
    assert real_host.path("/usr/local/bin/zot").readlink() == old_link

    # A failed start on the new release (an OpenID issuer that does not answer stops zot at start) puts back
    # the old binary and config, and the old zot serves again.
    config_before = real_host.config_path.read_bytes()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_issuer = f"http://127.0.0.1:{closed.getsockname()[1]}/realms/nowhere"
    failed = real_host.run(**dict(new_vars, zot_health_check_timeout=10, zot_http_external_url=real_host.url,
                                  zot_openid_providers={"oidc": {"issuer": dead_issuer, "client_id": "zot",
                                                                 "client_secret": "s3cret-z"}}))
    assert failed.rc != 0
    assert "previous configuration and binary were restored" in failed.stdout, str(failed)
    assert real_host.path("/usr/local/bin/zot").readlink() == old_link
    assert real_host.config_path.read_bytes() == config_before
    assert host_version(real_host) == zot.OLDEST
    _serves_what_it_had(real_host, key)

    # The upgrade itself. Anonymous metrics (2.1.18 and newer) in the same run: only the new binary accepts
    # that config, so the check before the switch ran the new binary.
    access = dict(tiers_vars()["zot_access_control"], metrics={"users": ["admin"], "anonymousPolicy": ["read"]})
    upgraded = real_host.run(**dict(new_vars, zot_access_control=access))
    assert upgraded.rc == 0, str(upgraded)
    assert host_version(real_host) == zot.CURRENT
    assert real_host.config()["http"]["accessControl"]["metrics"]["anonymousPolicy"] == ["read"]
    _serves_what_it_had(real_host, key)
    again = real_host.run(**dict(new_vars, zot_access_control=access))
    assert again.rc == 0 and again.changed == 0, str(again)
