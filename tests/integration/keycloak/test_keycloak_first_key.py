"""The first API key of an OIDC-only account without a browser, through a real Keycloak and a real zot.

zot's OIDC provider entry comes from zotops.zot.oidc (register.yml); the key is made by
playbooks/rotate_api_key.yml with zot_apikey_oidc_login (zotops.zot.zot_api_key's oidc_login), which
signs in on Keycloak's own login form with a plain HTTP client. A refused sign-in (wrong password, an
MFA required action) must fail naming the page and leave zot's key list as it was.
"""
from pathlib import Path

import pytest
import requests

from integration.harness.ansible import run_playbook
from integration.keycloak.kc_helpers import read_trace, zot_with_keycloak_oidc

pytestmark = [pytest.mark.keycloak, pytest.mark.zot, pytest.mark.slow]

ROTATE = Path(__file__).resolve().parents[3] / "playbooks" / "rotate_api_key.yml"
CI_GROUP = "artifact-workloads"
CI_USER = "zot-ci"
ZOT_USER = f"{CI_USER}@example.test"  # zot's username comes from the email claim by default


@pytest.fixture
def oidc_zot(zot_factory, keycloak_server, realm, tmp_path):
    """zot with Keycloak as its OIDC provider (registered by the role) and API keys on."""
    server, password = zot_with_keycloak_oidc(zot_factory, keycloak_server, realm, tmp_path, CI_GROUP, CI_USER)
    server.password = password
    return server


def rotate(zot, tmp_path, password, trace=None, **more):
    extra = {"zot_apikey_url": zot.url, "zot_apikey_user": ZOT_USER, "zot_apikey_label": "ci",
             "zot_apikey_oidc_login": {"username": CI_USER, "password": password},
             "zot_apikey_stores": [{"type": "file", "path": str(tmp_path / "key")}],
             "zot_apikey_journal_path": str(tmp_path / "journal")}
    extra.update(more.pop("extra", {}))
    env = {"ZOTOPS_HTTP_TRACE": str(trace)} if trace else None
    return run_playbook(ROTATE, extra_vars=extra, env=env, **more)


def key_uuids(zot, key):
    resp = requests.get(f"{zot.url}/zot/auth/apikey", auth=(ZOT_USER, key), timeout=10)
    assert resp.status_code == 200, (resp.status_code, resp.text, zot.log_tail())
    return sorted(k["uuid"] for k in resp.json()["apiKeys"])


def kc_user(keycloak_server, realm):
    return keycloak_server.admin("GET", f"/{realm}/users", params={"username": CI_USER, "exact": "true"}).json()[0]


def test_first_key_without_a_browser_then_refused_sign_ins_change_nothing(
        oidc_zot, keycloak_server, realm, tmp_path, oci_image, skopeo_copy):
    zot = oidc_zot
    trace = tmp_path / "trace.jsonl"

    # The first key: zot's login, Keycloak's form, zot's callback, the key made with that session.
    first = rotate(zot, tmp_path, zot.password, trace=trace, verbosity=3, diff=True,
                   extra={"zot_apikey_test_push_repository": "ci/probe"})
    assert first.rc == 0 and first.changed == 1, first
    key = (tmp_path / "key").read_text().strip()
    assert key.startswith("zak_")
    assert key not in first.output and zot.password not in first.output
    sign_in = read_trace(trace)
    paths = [r["path"] for r in sign_in]
    assert paths[0] == "/zot/auth/login" and paths[-1] == "/zot/auth/callback/oidc", paths
    print(f"Keycloak first-key sign-in: {len(sign_in)} HTTP requests: "
          + ", ".join(f"{r['method']} {r['path']} {r['status']}" for r in sign_in))

    # The key works: CI pushes with it (the groups claim put the account in the CI tier).
    pushed = skopeo_copy(oci_image, f"docker://127.0.0.1:{zot.port}/ci/hello:1.0", creds=f"{ZOT_USER}:{key}")
    assert pushed.returncode == 0, f"{pushed.stderr}\n{zot.log_tail()}"
    keys = key_uuids(zot, key)
    assert len(keys) == 1

    # zot keeps no signed-in session of the module's: it logged out. What stays is the OAuth2 state
    # zot's /zot/auth/login stores for every visitor (one file, removed by zot's session cleaner).
    assert len(list((zot.workdir / "data" / "_sessions").iterdir())) == 1

    # Again, with the key file missing (lost): it signs in, finds the key with 90 days left, makes nothing.
    trace.unlink()
    again = rotate(zot, tmp_path, zot.password, trace=trace, extra={"zot_apikey_current_key_file": str(tmp_path / "nokey")})
    assert again.rc == 0 and again.changed == 0, again
    assert read_trace(trace)[-1]["path"] == "/zot/auth/callback/oidc"
    assert key_uuids(zot, key) == keys
    trace.unlink()

    # Check mode never signs in; it says why it cannot tell and makes nothing. (With a key zot accepts,
    # the key is used and nothing signs in: tests/unit/plugins/module_utils/test_oidc_login.py.)
    checked = rotate(zot, tmp_path, zot.password, trace=trace, check=True)
    assert checked.rc == 0, checked
    assert "check mode does not sign in through OIDC" in checked.output
    assert read_trace(trace) == [] and key_uuids(zot, key) == keys

    # A wrong password: fails naming Keycloak's form, before zot's callback; no key made.
    wrong = rotate(zot, tmp_path, "not-the-password", trace=trace, extra={"zot_apikey_state": "rotated"})
    assert wrong.rc != 0, wrong
    assert "Keycloak sign-in form 'kc-form-login' refused the credentials: Invalid username or password" \
        in wrong.output, wrong
    assert "nothing was changed on zot" in wrong.output
    assert "/zot/auth/callback/oidc" not in [r["path"] for r in read_trace(trace)]
    assert key_uuids(zot, key) == keys and (tmp_path / "key").read_text().strip() == key

    # MFA: Keycloak makes the account set up an authenticator app after its password.
    user = kc_user(keycloak_server, realm)
    keycloak_server.admin("PUT", f"/{realm}/users/{user['id']}", json={"requiredActions": ["CONFIGURE_TOTP"]})
    trace.unlink()
    mfa = rotate(zot, tmp_path, zot.password, trace=trace, extra={"zot_apikey_state": "rotated"})
    assert mfa.rc != 0, mfa
    assert "Keycloak page 'kc-totp-settings-form' (required action: set up an authenticator app, MFA) " \
           "cannot be answered without a person" in mfa.output, mfa
    assert "/zot/auth/callback/oidc" not in [r["path"] for r in read_trace(trace)]
    assert key_uuids(zot, key) == keys and (tmp_path / "key").read_text().strip() == key
