"""The seeds' flow through the real authentik, end to end, in a real browser (the Keycloak one is
tests/integration/keycloak/test_seeds_checklist_e2e.py).

zotops.zot.server installs zot (release mirror, real unit) with the seeds' three tiers; zotops.zot.oidc
registers zot in authentik (provider, application, artifact-workloads and admins bound) beside the
zot-ci service account with a password (playbooks/harden.yml); chromium signs in to zot through
authentik's own flow pages; the groups claim maps to the tiers (CI pushes a new tag with skopeo and is
refused on overwrite, an admin overwrites and deletes); zot-ci's first API key is made from its signed-in
session; a scheduled rotation puts the successor into a Forgejo store (the real Gitea) and a file; the
old key stops working and the new one pushes.
"""
import json
import os
import secrets
from pathlib import Path

import pytest
import requests

from integration.harness.browser import authentik_login, browser_key, zot_oidc_sign_in
from integration.harness.env import REPO
from integration.harness.oci import assert_admin_overwrites_and_deletes, assert_new_tag_pushed_overwrite_refused
from integration.harness.rotation import scheduled_rotation
from integration.server.server_helpers import provisioned_host

pytestmark = [pytest.mark.authentik, pytest.mark.zot, pytest.mark.browser, pytest.mark.slow]

PLAYBOOK = Path(__file__).parent / "playbooks" / "harden.yml"
SHOTS = REPO / "tests" / "output" / "screenshots" / "authentik-seeds"  # a failed sign-in's last page
# The seeds' three tiers, by IdP group only.
THREE_TIERS = {
    "repositories": {"**": {"anonymousPolicy": ["read"],
                            "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]}},
    "adminPolicy": {"groups": ["admins"], "actions": ["read", "create", "update", "delete"]},
}


def sign_in(chromium, zot_url, ak, username, password):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return zot_oidc_sign_in(chromium.new_context(), zot_url, ak.url, authentik_login(username, password),
                            screenshot=SHOTS / f"{username}-stopped.png")


def test_seeds_flow_through_authentik(real_authentik, release_mirror, systemd_path, chromium, gitea_server,
                                      oci_image, oci_image_factory, skopeo_copy, tmp_path):
    ak = real_authentik.server  # zot and the browser reach authentik itself (real_authentik resets it after)
    missing = ak.web_ui_missing()
    if missing:
        if os.environ.get("ZOTOPS_REQUIRE_AUTHENTIK") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    ci_pw = "Ci-" + secrets.token_urlsafe(16)
    repo = "ci-" + secrets.token_hex(4)
    assert gitea_server.api("POST", "/user/repos", json={"name": repo}).status_code == 201
    repo_id = gitea_server.api("GET", f"/repos/{gitea_server.admin_user}/{repo}").json()["id"]
    with provisioned_host("zotops-ak-seeds-", {"zot_release_base_url": release_mirror.base_url},
                          systemd_path) as host:
        zot_url = host.url
        extra = {"ak_url": ak.url, "ak_token": ak.token, "ak_admins": [ak.admin_user], "ci_password": ci_pw,
                 "zot_http_external_url": zot_url, "zot_auth_apikey": True, "zot_access_control": THREE_TIERS}
        hardened = host.run(playbook=PLAYBOOK, verbosity=3, diff=True, **extra)
        assert hardened.rc == 0, hardened
        outputs = [hardened.output]
        oidc = host.config()["http"]["auth"]["openid"]["providers"]["oidc"]
        assert oidc["issuer"] == f"{ak.url}/application/o/zot/" and "groups" in oidc["scopes"], oidc
        client_secret = json.loads(Path(oidc["credentialsFile"]).read_text())["clientsecret"]
        # No second run here: the authentik side's changed=0 (GETs only) is test_oidc_role_authentik's,
        # the server role's is tests/integration/server's; this test is the flow a browser sees.

        # Anonymous: the catalog answers, a push is refused with 401.
        assert requests.get(f"{zot_url}/v2/_catalog", timeout=10).status_code == 200
        assert requests.post(f"{zot_url}/v2/ci/app/blobs/uploads/", timeout=10).status_code == 401

        # zot-ci signs in through authentik's flow pages; its session makes the first key.
        key1 = browser_key(sign_in(chromium, zot_url, ak, "zot-ci", ci_pw), zot_url, "ci")
        user = "zot-ci"  # zot names it by preferred_username (a service account has no e-mail)
        target = f"docker://127.0.0.1:{host.port}/ci/app"
        # artifact-workloads (the groups claim): a new tag pushes; the same tag again is refused.
        other = assert_new_tag_pushed_overwrite_refused(skopeo_copy, oci_image, oci_image_factory, zot_url,
                                                        "ci/app", user, key1)

        # The scheduled rotation: the current key makes its successor, into Forgejo and a file.
        rotated, key2 = scheduled_rotation(zot_url, user, key1, tmp_path, stores=[
            {"type": "forgejo", "url": gitea_server.url, "token": gitea_server.token,
             "owner": gitea_server.admin_user, "repo": repo, "secret_name": "ZOT_CI_API_KEY"}])
        outputs.append(rotated.output)
        assert gitea_server.stored_secrets().get((0, repo_id, "ZOT_CI_API_KEY")) == key2
        assert skopeo_copy(oci_image, f"{target}:2", creds=f"{user}:{key2}").returncode == 0

        # An administrator (authentik's admins group) overwrites and deletes; CI may not delete.
        admin_key = browser_key(sign_in(chromium, zot_url, ak, ak.admin_user, ak.admin_password), zot_url,
                                "break-glass")
        assert_admin_overwrites_and_deletes(skopeo_copy, other, zot_url, "ci/app", (user, key2),
                                            (ak.admin_user, admin_key))

        # No secret in the -vvv --diff output of the plays.
        for value in (ci_pw, client_secret, ak.token, ak.admin_password, key1, key2, gitea_server.token):
            for output in outputs:
                assert value not in output
