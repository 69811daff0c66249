"""Smoke tests: each service of the harness is the real program, and usable."""
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import requests

from integration.harness.zot import verify_config


def test_zot_answers_v2_and_what_zot_verify_does_and_does_not_check(zot_factory, zot_bin, tmp_path):
    """The facts about `zot verify` that zotops.zot.zot_config_check is built on (v2.1.20)."""
    server = zot_factory({})
    assert requests.get(f"{server.url}/v2/", timeout=10).status_code == 200
    good = json.loads(server.config_path.read_text())
    assert verify_config(zot_bin, good).returncode == 0
    # It rejects what it parses: an unknown key.
    unknown = dict(good, storage=dict(good["storage"], garbageCollect=True))
    rejected = verify_config(zot_bin, unknown)
    assert rejected.returncode != 0 and "invalid keys: garbagecollect" in rejected.stderr
    # It does not look at the files the config points at: a missing htpasswd file passes.
    missing = dict(good, http=dict(good["http"], auth={"htpasswd": {"path": str(tmp_path / "no-such-htpasswd")}}))
    assert verify_config(zot_bin, missing).returncode == 0
    # And it opens the log output as whoever runs it: verifying a live config as root would hand
    # the service's log file to root.
    log = tmp_path / "zot.log"
    assert verify_config(zot_bin, dict(good, log={"level": "info", "output": str(log)})).returncode == 0
    assert log.exists() and log.stat().st_mode & 0o777 == 0o600


def test_skopeo_push_then_pull_round_trips_the_image(zot_factory, oci_image, skopeo_copy, tmp_path):
    server = zot_factory({})
    pushed = skopeo_copy(oci_image, f"docker://127.0.0.1:{server.port}/smoke/hello:1.0")
    assert pushed.returncode == 0, pushed.stderr
    catalog = requests.get(f"{server.url}/v2/_catalog", timeout=10).json()
    assert catalog["repositories"] == ["smoke/hello"]
    pulled = skopeo_copy(f"docker://127.0.0.1:{server.port}/smoke/hello:1.0", f"oci:{tmp_path / 'pulled'}:1.0")
    assert pulled.returncode == 0, pulled.stderr
    source_index = json.loads(Path(oci_image.split(":")[1], "index.json").read_text())
    pulled_index = json.loads((tmp_path / "pulled" / "index.json").read_text())
    assert pulled_index["manifests"][0]["digest"] == source_index["manifests"][0]["digest"]


def test_release_mirror_serves_the_binary_and_its_checksum(release_mirror, zot_bin):
    binary = requests.get(f"{release_mirror.base_url}/zot-linux-amd64", timeout=30)
    sums = requests.get(f"{release_mirror.base_url}/checksums.sha256.txt", timeout=10).text
    assert binary.status_code == 200
    digest = hashlib.sha256(binary.content).hexdigest()
    assert f"{digest}  zot-linux-amd64" in sums.splitlines()
    assert digest == hashlib.sha256(Path(zot_bin).read_bytes()).hexdigest()


def test_local_oci_image_is_readable_by_skopeo(oci_image):
    inspected = subprocess.run(["skopeo", "--insecure-policy", "inspect", "--raw", oci_image],
                               capture_output=True, text=True, timeout=60, check=False)
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["schemaVersion"] == 2


@pytest.mark.keycloak
def test_keycloak_issues_an_admin_token_and_refuses_a_wrong_password(keycloak_server):
    token = keycloak_server.admin_token()
    realms = requests.get(f"{keycloak_server.url}/admin/realms", timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    assert realms.status_code == 200
    assert "master" in [realm["realm"] for realm in realms.json()]
    refused = requests.post(f"{keycloak_server.url}/realms/master/protocol/openid-connect/token", timeout=30, data={
        "grant_type": "password", "client_id": "admin-cli", "username": keycloak_server.admin_user,
        "password": "wrong"})
    assert refused.status_code == 401


def test_ldap_binds_as_a_test_user_and_refuses_a_wrong_password(ldap_server):
    def whoami(password):
        return subprocess.run(["ldapwhoami", "-x", "-H", ldap_server.url, "-D", ldap_server.user_dn("ci-bot"),
                               "-w", password], capture_output=True, text=True, timeout=30, check=False)
    ok = whoami(ldap_server.password_for("ci-bot"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"dn:{ldap_server.user_dn('ci-bot')}"
    assert whoami("wrong").returncode == 49  # invalidCredentials
    # zot maps LDAP groups through the memberOf attribute: the overlay must maintain it.
    member_of = ldap_server.search("(uid=ci-bot)", "memberOf")
    assert f"memberOf: cn=artifact-workloads,{ldap_server.groups_dn}" in member_of


def test_moto_stores_and_returns_a_secret(moto_server):
    client = moto_server.client()
    client.create_secret(Name="zotops/smoke", SecretString="s3cr3t")
    assert client.get_secret_value(SecretId="zotops/smoke")["SecretString"] == "s3cr3t"


@pytest.mark.browser
def test_chromium_loads_a_page_from_zot(zot_factory, browser_page):
    server = zot_factory({})
    response = browser_page.goto(f"{server.url}/v2/_catalog")
    assert response.status == 200
    assert json.loads(browser_page.inner_text("body")) == {"repositories": []}


@pytest.mark.browser
@pytest.mark.keycloak
def test_chromium_loads_keycloak_sign_in_page(keycloak_server, browser_page):
    browser_page.goto(f"{keycloak_server.url}/admin/master/console/")
    browser_page.wait_for_selector("input[name=username]", timeout=60000)
    browser_page.fill("input[name=username]", keycloak_server.admin_user)
    browser_page.fill("input[name=password]", keycloak_server.admin_password)
    browser_page.click("[type=submit]")
    browser_page.wait_for_url("**/admin/master/console/**", timeout=60000)
    assert "login-actions" not in browser_page.url
