"""The seeds' steps in zot's own web UI, in a real browser (Debian's chromium), as one test.

zot (the release-equivalent build, UI embedded) is installed by zotops.zot.server with
`zot_ui_enabled`, API keys, the seeds' tiers and Keycloak through zotops.zot.oidc
(tests/integration/keycloak/playbooks/harden.yml). Then, as seeds/keycloak-zot-sso-guide.txt's
"API Key Rotation" does it by hand: open the registry, land on the login page, click
"SIGN IN WITH OIDC", sign in at Keycloak, land in zot's UI signed in, see the repositories the tiers
allow (not the admins-only one), open /user/apikey, create a key there, and push with it (skopeo).
An anonymous visitor continues as guest, sees the public catalog and cannot reach the API key page.
Screenshots of every step are kept in tests/output/screenshots/zot-ui-seeds/ (the key is masked).
"""
import re
import secrets
import shutil

import pytest
import requests

from integration.harness.env import REPO
from integration.keycloak.kc_helpers import PLAYBOOKS
from integration.server.server_helpers import provisioned_host

pytestmark = [pytest.mark.keycloak, pytest.mark.zot, pytest.mark.browser, pytest.mark.slow]

SHOTS = REPO / "tests" / "output" / "screenshots" / "zot-ui-seeds"
BREAK_GLASS = {"name": "breakglass", "password": "Break-" + secrets.token_urlsafe(12)}
# The seeds' three tiers by IdP group, plus a repository only admins read.
TIERS = {
    "repositories": {
        "**": {"anonymousPolicy": ["read"],
               "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]},
        "private/**": {"policies": [{"groups": ["admins"], "actions": ["read"]}]},
    },
    "adminPolicy": {"groups": ["admins"], "users": [BREAK_GLASS["name"]],
                    "actions": ["read", "create", "update", "delete"]},
}
TIMEOUT = 30000


def shot(page, name, mask=()):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, mask=list(mask))


def explore_repositories(page, *expected):
    """From zot's home page, "View all" -> the explore page; once every name in ``expected`` is on a
    repository card, the text of all the cards."""
    page.get_by_text("View all").first.click()
    page.wait_for_url(re.compile(r"/explore"), timeout=TIMEOUT)
    cards = page.locator('[data-testid="repo-card"]')
    for name in expected:
        cards.filter(has_text=name).first.wait_for(timeout=TIMEOUT)
    return " ".join(cards.all_inner_texts())


def test_seeds_steps_in_zot_ui(zot_ui_bin, keycloak_server, realm, release_mirror, systemd_path, chromium,
                               oci_image, skopeo_copy):
    ci_pw = "Ci-" + secrets.token_urlsafe(12)
    shutil.rmtree(SHOTS, ignore_errors=True)
    with provisioned_host("zotops-ui-", {"zot_release_base_url": release_mirror.base_url}, systemd_path) as host:
        zot_url = host.url
        extra = {"kc_url": keycloak_server.url, "kc_admin_user": keycloak_server.admin_user,
                 "kc_admin_password": keycloak_server.admin_password, "kc_realm": realm,
                 "idp_users": [{"name": "zot-ci", "password": ci_pw, "group": "artifact-workloads"}],
                 # The provider's display name: zot's UI then says "SIGN IN WITH OIDC", as in the seeds.
                 "zot_oidc_provider_name": "OIDC",
                 "zot_http_external_url": zot_url, "zot_auth_apikey": True, "zot_ui_enabled": True,
                 "zot_htpasswd_users": [BREAK_GLASS], "zot_access_control": TIERS}
        hardened = host.run(playbook=PLAYBOOKS / "harden.yml", **extra)
        assert hardened.rc == 0, hardened
        glass = f"{BREAK_GLASS['name']}:{BREAK_GLASS['password']}"
        for ref in ("public/base:1", "private/secret:1"):
            pushed = skopeo_copy(oci_image, f"docker://127.0.0.1:{host.port}/{ref}", creds=glass)
            assert pushed.returncode == 0, pushed.stderr

        # The CI account, by hand as the seeds do it: registry -> login page -> SIGN IN WITH OIDC.
        context = chromium.new_context()
        page = context.new_page()
        page.goto(zot_url)
        page.wait_for_url(re.compile(r"/login$"), timeout=TIMEOUT)
        button = page.get_by_role("button", name=re.compile("Sign in with", re.I))
        button.wait_for(timeout=TIMEOUT)
        assert button.inner_text() == "SIGN IN WITH OIDC"
        shot(page, "01-login-page")
        button.click()
        page.wait_for_url(lambda url: url.startswith(keycloak_server.url), timeout=TIMEOUT)
        page.fill("#username", "zot-ci")
        page.fill("#password", ci_pw)
        shot(page, "02-keycloak-sign-in", mask=[page.locator("#password")])
        page.click("#kc-login")
        page.wait_for_url(lambda url: url.startswith(zot_url) and url.rstrip("/").endswith("/home"), timeout=TIMEOUT)
        assert any(c["name"] == "user" for c in context.cookies(zot_url)), "zot's UI does not know who signed in"
        shot(page, "03-home-signed-in")

        # The repositories its tiers allow: everything but the admins-only one.
        names = explore_repositories(page, "public/base")
        assert "private/secret" not in names, names
        shot(page, "04-explore-signed-in")

        # The API key page (the seeds: "Navigate to https://REGISTRY/user/apikey") and a key made there.
        page.goto(f"{zot_url}/user/apikey")
        page.get_by_role("button", name="Create new API key").click()
        page.fill("#apikeylabel", "ci")
        shot(page, "05-create-api-key")
        page.get_by_role("button", name="Create", exact=True).click()
        shown = page.get_by_text(re.compile(r"^zak_[0-9a-z]+$"))
        shown.wait_for(timeout=TIMEOUT)
        key = shown.inner_text().strip()
        shot(page, "06-api-key-created", mask=[shown])
        page.get_by_role("button", name="Close").click()
        page.get_by_text("ci", exact=True).first.wait_for(timeout=TIMEOUT)
        shot(page, "07-api-keys-list")
        context.close()

        # That key pushes with skopeo (new tags only), and reads nothing of private/.
        user = "zot-ci@example.test"  # zot's username is the email claim by default
        pushed = skopeo_copy(oci_image, f"docker://127.0.0.1:{host.port}/ci/app:1", creds=f"{user}:{key}")
        assert pushed.returncode == 0, pushed.stderr
        assert requests.get(f"{zot_url}/v2/private/secret/tags/list", auth=(user, key), timeout=10).status_code == 403

        # An anonymous visitor: the login page offers the guest view, which shows the public catalog.
        guest = chromium.new_context()
        page = guest.new_page()
        page.goto(zot_url)
        page.get_by_role("button", name=re.compile("Continue as guest", re.I)).click()
        page.wait_for_url(re.compile(r"/home$"), timeout=TIMEOUT)
        shot(page, "08-guest-home")
        names = explore_repositories(page, "public/base", "ci/app")
        assert "private/secret" not in names, names
        shot(page, "09-guest-explore")
        # ... and cannot reach the API key page: the UI sends it away, zot refuses the key API.
        page.goto(f"{zot_url}/user/apikey")
        page.wait_for_url(re.compile(r"/login$"), timeout=TIMEOUT)  # back to the sign-in page
        assert page.get_by_role("button", name="Create new API key").count() == 0
        shot(page, "10-guest-api-key-page-refused")
        # Nor through the key API (zot v2.1.20 answers an anonymous GET with 500, not 401).
        listed = requests.get(f"{zot_url}/zot/auth/apikey", timeout=10)
        assert listed.status_code >= 400 and "apiKeys" not in listed.text, listed.status_code
        made = requests.post(f"{zot_url}/zot/auth/apikey", json={"label": "anon", "scopes": []}, timeout=10)
        assert made.status_code >= 400 and "zak_" not in made.text, made.status_code
        guest.close()

        for value in (ci_pw, BREAK_GLASS["password"], key, keycloak_server.admin_password):
            assert value not in hardened.output
        assert len(list(SHOTS.glob("[01]*.png"))) == 10
