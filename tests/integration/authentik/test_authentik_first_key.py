"""The first API key of authentik's zot-ci service account without a browser, through the real authentik
and a real zot (the Keycloak one is tests/integration/keycloak/test_keycloak_first_key.py).

zotops.zot.oidc registers zot in authentik beside zot-ci with a password (register_zot_ci.yml);
playbooks/rotate_api_key.yml with zot_apikey_oidc_login signs in through authentik's flow executor API
with a plain HTTP client. A wrong password and an MFA stage must fail naming the flow stage and leave
zot's key list and the stored key as they were.
"""
import json
import secrets
from pathlib import Path

import pytest
import requests

# The real authentik's harness (issue 20's other half); without it there is nothing to sign in to.
pytest.importorskip("integration.harness.authentik", reason="the real authentik harness is not in this tree")

from integration.harness.ansible import run_playbook  # noqa: E402
from integration.harness.process import free_port  # noqa: E402
from integration.keycloak.kc_helpers import read_trace  # noqa: E402

pytestmark = [pytest.mark.authentik, pytest.mark.zot, pytest.mark.slow]

REGISTER = Path(__file__).parent / "playbooks" / "register_zot_ci.yml"
ROTATE = Path(__file__).resolve().parents[3] / "playbooks" / "rotate_api_key.yml"
CI_GROUP = "artifact-workloads"
CI_USER = "zot-ci"  # zot names it by preferred_username (a service account has no e-mail)
MFA_STAGE = "default-authentication-mfa-validation"
TOTP_SETUP_STAGE = "default-authenticator-totp-setup"


@pytest.fixture
def oidc_zot(real_authentik, authentik_server, zot_factory, tmp_path):
    """zot with authentik as its OIDC provider (registered by the role) and API keys on. real_authentik
    deletes what the registration made after the test."""
    ak = authentik_server
    port = free_port()
    zot_url = f"http://127.0.0.1:{port}"
    password = "Ci-" + secrets.token_urlsafe(16)
    registered = run_playbook(REGISTER, extra_vars={
        "ak_url": ak.url, "ak_token": ak.token, "ci_password": password, "external_url": zot_url,
        "credentials_file": str(tmp_path / "oidc-credentials.json"), "facts_file": str(tmp_path / "facts.json")})
    assert registered.rc == 0, registered
    provider = json.loads((tmp_path / "facts.json").read_text())["provider"]
    server = zot_factory({
        "http": {
            "address": "127.0.0.1", "port": str(port), "externalUrl": zot_url, "realm": "zot",
            "auth": {"openid": {"providers": {"oidc": provider}}, "apikey": True},
            "accessControl": {"repositories": {"**": {
                "policies": [{"groups": [CI_GROUP], "actions": ["read", "create"]}],
                "anonymousPolicy": ["read"]}}},
        },
    }, name="zot-authentik")
    server.password = password
    return server


def rotate(zot, tmp_path, password, trace, **more):
    extra = {"zot_apikey_url": zot.url, "zot_apikey_user": CI_USER, "zot_apikey_label": "ci",
             "zot_apikey_oidc_login": {"username": CI_USER, "password": password},
             "zot_apikey_stores": [{"type": "file", "path": str(tmp_path / "key")}],
             "zot_apikey_journal_path": str(tmp_path / "journal")}
    extra.update(more.pop("extra", {}))
    if trace.exists():
        trace.unlink()
    return run_playbook(ROTATE, extra_vars=extra, env={"ZOTOPS_HTTP_TRACE": str(trace)}, **more)


def key_uuids(zot, key):
    resp = requests.get(f"{zot.url}/zot/auth/apikey", auth=(CI_USER, key), timeout=10)
    assert resp.status_code == 200, (resp.status_code, resp.text, zot.log_tail())
    return sorted(k["uuid"] for k in resp.json()["apiKeys"])


def stage(ak, path, name):
    found = [s for s in ak.objects(path, name=name) if s["name"] == name]
    assert len(found) == 1, (name, found)
    return found[0]


def test_first_key_without_a_browser_then_refused_sign_ins_change_nothing(
        oidc_zot, authentik_server, tmp_path, oci_image, skopeo_copy):
    zot, ak = oidc_zot, authentik_server
    trace = tmp_path / "trace.jsonl"

    # The first key: zot's login, authentik's flow executor, zot's callback, the key from that session.
    first = rotate(zot, tmp_path, zot.password, trace, verbosity=3, diff=True,
                   extra={"zot_apikey_test_push_repository": "ci/probe"})
    assert first.rc == 0 and first.changed == 1, first
    key = (tmp_path / "key").read_text().strip()
    assert key.startswith("zak_") and key not in first.output and zot.password not in first.output
    sign_in = read_trace(trace)
    paths = [r["path"] for r in sign_in]
    assert paths[0] == "/zot/auth/login" and paths[-1] == "/zot/auth/callback/oidc", paths
    assert "/api/v3/flows/executor/default-authentication-flow/" in paths
    assert not any(p.startswith("/if/flow/") for p in paths), "the flow's HTML page is never loaded"
    print(f"authentik first-key sign-in: {len(sign_in)} HTTP requests: "
          + ", ".join(f"{r['method']} {r['path']} {r['status']}" for r in sign_in))

    pushed = skopeo_copy(oci_image, f"docker://127.0.0.1:{zot.port}/ci/hello:1.0", creds=f"{CI_USER}:{key}")
    assert pushed.returncode == 0, f"{pushed.stderr}\n{zot.log_tail()}"
    keys = key_uuids(zot, key)
    assert len(keys) == 1
    assert len(list((zot.workdir / "data" / "_sessions").iterdir())) == 1, "the module logged out"

    # Again, the key file lost: it signs in, finds the key with 90 days left, makes nothing.
    again = rotate(zot, tmp_path, zot.password, trace, extra={"zot_apikey_current_key_file": str(tmp_path / "nokey")})
    assert again.rc == 0 and again.changed == 0, again
    assert key_uuids(zot, key) == keys

    # A wrong password: authentik's password stage refuses it; zot's callback is never reached.
    wrong = rotate(zot, tmp_path, "not-the-password", trace, extra={"zot_apikey_state": "rotated"})
    assert wrong.rc != 0, wrong
    assert "authentik flow stage 'ak-stage-password' refused the answer: password: Invalid password" \
        in wrong.output, wrong
    assert "nothing was changed on zot" in wrong.output
    assert "/zot/auth/callback/oidc" not in [r["path"] for r in read_trace(trace)]
    assert key_uuids(zot, key) == keys and (tmp_path / "key").read_text().strip() == key

    # MFA: the default flow's authenticator validation stage makes an account without a device set one
    # up (authentik's TOTP setup stage). Restored afterwards: the session's authentik is shared.
    mfa_stage = stage(ak, "/stages/authenticator/validate/", MFA_STAGE)
    totp_setup = stage(ak, "/stages/authenticator/totp/", TOTP_SETUP_STAGE)
    path = f"/stages/authenticator/validate/{mfa_stage['pk']}/"
    before = {k: mfa_stage[k] for k in ("not_configured_action", "configuration_stages")}
    patched = ak.api("PATCH", path, json={"not_configured_action": "configure",
                                          "configuration_stages": [totp_setup["pk"]]})
    assert patched.status_code == 200, patched.text
    try:
        mfa = rotate(zot, tmp_path, zot.password, trace, extra={"zot_apikey_state": "rotated"})
    finally:
        assert ak.api("PATCH", path, json=before).status_code == 200
    assert mfa.rc != 0, mfa
    assert "authentik flow stage 'ak-stage-authenticator-totp' (MFA setup: TOTP) cannot be answered without " \
           "a person" in mfa.output, mfa
    assert "/zot/auth/callback/oidc" not in [r["path"] for r in read_trace(trace)]
    assert key_uuids(zot, key) == keys and (tmp_path / "key").read_text().strip() == key
