"""The seeds' hardening checklist and their three "Uncertainties", as one run on real services.

zot is installed by zotops.zot.server (release mirror, real unit) with the seeds' three tiers, OIDC
through zotops.zot.oidc + Keycloak (groups claim on), API keys on and externalUrl set; chromium signs
in, skopeo pushes, and the CI key is rotated by playbooks/rotate_api_key.yml as a scheduler runs it.
The tiers name only IdP groups, never users: every grant below comes from the groups claim.

Uncertainties (seeds/homelab-zot-oidc-apikey-change.txt), each decided by an assertion here:
1. IdP groups from the groups claim match accessControl groups -> the CI account pushes (its only
   grant is the artifact-workloads group) and an admin overwrites and deletes (admins group).
2. http.auth.apikey: true enables keys on v2.1.20 -> the key routes exist here; without it they do
   not (tests/integration/api_keys/test_zot_api_keys.py::test_apikey_routes_exist_only_with_apikey_true).
3. A key carries the groups of the user that made it -> a browser-made key and its successor made by
   the rotation module with that key both push; after the user leaves the group in the IdP, the key
   keeps the groups zot stored at the user's last OIDC login until that user signs in again.
"""
import json
import secrets
from pathlib import Path

import pytest
import requests

from integration.harness.browser import browser_key, keycloak_login, zot_oidc_sign_in
from integration.harness.oci import MANIFEST, assert_admin_overwrites_and_deletes, assert_new_tag_pushed_overwrite_refused
from integration.harness.rotation import scheduled_rotation
from integration.keycloak.kc_helpers import PLAYBOOKS
from integration.server.server_helpers import provisioned_host

pytestmark = [pytest.mark.keycloak, pytest.mark.zot, pytest.mark.browser, pytest.mark.slow]

# The seeds' three tiers, by IdP group only.
THREE_TIERS = {
    "repositories": {"**": {"anonymousPolicy": ["read"],
                            "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]}},
    "adminPolicy": {"groups": ["admins"], "actions": ["read", "create", "update", "delete"]},
}


def sign_in(context, zot_url, keycloak_url, username, password):
    """zot's login -> Keycloak's page -> zot's callback; returns the page, signed in to zot."""
    return zot_oidc_sign_in(context, zot_url, keycloak_url, keycloak_login(username, password))


def test_seeds_checklist_and_uncertainties(keycloak_server, realm, release_mirror, systemd_path, registry_upstream,
                                           chromium, oci_image, oci_image_factory, skopeo_copy, tmp_path):
    ci_pw, admin_pw = "Ci-" + secrets.token_urlsafe(12), "Adm-" + secrets.token_urlsafe(12)
    with provisioned_host("zotops-seeds-", {"zot_release_base_url": release_mirror.base_url}, systemd_path) as host:
        zot_url = host.url
        extra = {"kc_url": keycloak_server.url, "kc_admin_user": keycloak_server.admin_user,
                 "kc_admin_password": keycloak_server.admin_password, "kc_realm": realm,
                 "idp_users": [{"name": "zot-ci", "password": ci_pw, "group": "artifact-workloads"},
                               {"name": "zot-admin", "password": admin_pw, "group": "admins"}],
                 "zot_http_external_url": zot_url, "zot_auth_apikey": True, "zot_access_control": THREE_TIERS,
                 "zot_pull_through": [{"name": "docker.io", "url": registry_upstream.url, "tls_verify": False}]}
        hardened = host.run(playbook=PLAYBOOKS / "harden.yml", verbosity=3, diff=True, **extra)
        assert hardened.rc == 0, hardened
        outputs = [hardened.output]
        config = host.config()
        assert config["http"]["auth"]["apikey"] is True and config["http"]["externalUrl"] == zot_url
        client_secret = json.loads(Path(config["http"]["auth"]["openid"]["providers"]["oidc"]["credentialsFile"])
                                   .read_text())["clientsecret"]
        again = host.run(playbook=PLAYBOOKS / "harden.yml", **extra)
        assert again.rc == 0 and again.changed == 0, again

        # Anonymous: catalog and pull work; a push is refused with 401.
        assert requests.get(f"{zot_url}/v2/_catalog", timeout=10).status_code == 200
        assert requests.post(f"{zot_url}/v2/ci/app/blobs/uploads/", timeout=10).status_code == 401
        assert skopeo_copy(oci_image, f"docker://127.0.0.1:{host.port}/ci/app:anon").returncode != 0
        # Pull-through cache: an upstream image, pulled anonymously through zot.
        cached = requests.get(f"{zot_url}/v2/docker.io/library/hello/manifests/1", headers={"Accept": MANIFEST},
                              timeout=60)
        assert cached.status_code == 200, cached.text

        # Browser login as the CI account; its session makes the first key (the old manual step).
        ci_context = chromium.new_context()
        key1 = browser_key(sign_in(ci_context, zot_url, keycloak_server.url, "zot-ci", ci_pw), zot_url, "ci")
        user = "zot-ci@example.test"  # zot's username is the email claim by default
        target = f"docker://127.0.0.1:{host.port}/ci/app"
        # A new tag pushes; the same tag again is refused (skopeo, and a 403 at the manifest).
        other = assert_new_tag_pushed_overwrite_refused(skopeo_copy, oci_image, oci_image_factory, zot_url, "ci/app", user, key1)

        # Rotation with no human, as a scheduler runs it: the browser-made key makes its successor.
        rotated, key2 = scheduled_rotation(zot_url, user, key1, tmp_path)
        outputs.append(rotated.output)
        assert skopeo_copy(oci_image, f"{target}:2", creds=f"{user}:{key2}").returncode == 0  # uncertainty 3

        # An admin (admins group) overwrites and deletes.
        admin_context = chromium.new_context()
        admin_key = browser_key(sign_in(admin_context, zot_url, keycloak_server.url, "zot-admin", admin_pw),
                                zot_url, "break-glass")
        assert_admin_overwrites_and_deletes(skopeo_copy, other, zot_url, "ci/app", (user, key2),
                                            ("zot-admin@example.test", admin_key))

        # The CI account leaves artifact-workloads in the IdP. Its key keeps the groups zot stored at
        # the last OIDC login, until the account signs in again (uncertainty 3, measured).
        users = keycloak_server.admin("GET", f"/{realm}/users", params={"username": "zot-ci", "exact": "true"}).json()
        groups = keycloak_server.admin("GET", f"/{realm}/groups", params={"search": "artifact-workloads"}).json()
        keycloak_server.admin("DELETE", f"/{realm}/users/{users[0]['id']}/groups/{groups[0]['id']}")
        assert skopeo_copy(oci_image, f"{target}:3", creds=f"{user}:{key2}").returncode == 0, "stale groups"
        sign_in(chromium.new_context(), zot_url, keycloak_server.url, "zot-ci", ci_pw)
        after = skopeo_copy(oci_image, f"{target}:4", creds=f"{user}:{key2}")
        # In no group, an authenticated user matches no policy and no defaultPolicy: even its read is
        # refused (anonymousPolicy applies to anonymous requests only).
        assert after.returncode != 0 and "403" in after.stderr, after.stderr
        assert requests.get(f"{zot_url}/v2/", auth=(user, key2), timeout=10).status_code == 200, "the key is valid"

        # No secret in the -vvv --diff output of any play this ran.
        for value in (ci_pw, admin_pw, client_secret, keycloak_server.admin_password, key1, key2):
            for output in outputs:
                assert value not in output
