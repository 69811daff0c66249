"""Unit tests of plugins/module_utils/_oidc_login_authentik.py: what it answers to authentik's flow
executor challenges and what it refuses, naming the stage.

The challenges are shaped as authentik 2025.12 serializes them (authentik/flows/challenge.py,
authentik/stages/*/stage.py); the real server is exercised in
tests/integration/authentik/test_authentik_first_key.py.
"""
import json

import pytest

from ansible_collections.zotops.zot.plugins.module_utils._oidc_login import (
    HttpResponse, OidcLoginError, SignIn, detect_idp)
from ansible_collections.zotops.zot.plugins.module_utils._oidc_login_authentik import (
    answer, errors_text, executor_url, flow_of, sign_in)

FLOW_INFO = {"title": "Welcome to authentik!", "cancel_url": "/flows/-/cancel/", "layout": "stacked"}


def identification(**more):
    challenge = {"flow_info": FLOW_INFO, "component": "ak-stage-identification", "user_fields": ["email", "username"],
                 "password_fields": False, "primary_action": "Log in", "sources": [], "show_source_labels": False,
                 "flow_designation": "authentication", "enable_remember_me": True, "captcha_stage": None}
    challenge.update(more)
    return challenge


def test_identification_is_answered_with_the_username():
    assert answer(identification(), "zot-ci", "pw") == {"component": "ak-stage-identification", "uid_field": "zot-ci"}


def test_identification_with_a_password_field_gets_the_password_too():
    assert answer(identification(password_fields=True), "zot-ci", "pw") == {
        "component": "ak-stage-identification", "uid_field": "zot-ci", "password": "pw"}


def test_identification_with_a_captcha_needs_a_person():
    captcha = {"js_url": "https://captcha.example/api.js", "site_key": "k", "interactive": True,
               "pending_user": "", "pending_user_avatar": "/static/dist/assets/images/user_default.png"}
    with pytest.raises(OidcLoginError) as err:
        answer(identification(captcha_stage=captcha), "zot-ci", "pw")
    assert "'ak-stage-identification' (captcha) cannot be answered without a person" in str(err.value)


def test_identification_without_user_fields_needs_a_person():
    with pytest.raises(OidcLoginError) as err:
        answer(identification(user_fields=[]), "zot-ci", "pw")
    assert "offers no username field" in str(err.value)


def test_password_and_user_login_are_answered():
    assert answer({"component": "ak-stage-password", "pending_user": "zot-ci"}, "u", "pw") == {
        "component": "ak-stage-password", "password": "pw"}
    assert answer({"component": "ak-stage-user-login", "pending_user": "zot-ci"}, "u", "pw") == {
        "component": "ak-stage-user-login", "remember_me": False}


@pytest.mark.parametrize("component, what", [
    ("ak-stage-authenticator-validate", "MFA"),
    ("ak-stage-authenticator-totp", "MFA setup: TOTP"),
    ("ak-stage-consent", "consent"),
    ("ak-stage-prompt", "prompt"),
])
def test_stages_only_a_person_can_answer_are_named(component, what):
    with pytest.raises(OidcLoginError) as err:
        answer({"component": component, "pending_user": "zot-ci"}, "u", "pw")
    assert str(err.value) == f"authentik flow stage '{component}' ({what}) cannot be answered without a person"
    assert err.value.stage == component and err.value.idp == "authentik"


def test_an_unknown_stage_is_named():
    with pytest.raises(OidcLoginError) as err:
        answer({"component": "ak-stage-something-new"}, "u", "pw")
    assert "'ak-stage-something-new' is unknown to this client" in str(err.value)


def test_access_denied_carries_authentiks_message():
    with pytest.raises(OidcLoginError) as err:
        answer({"component": "ak-stage-access-denied", "error_message": "Invalid password",
                "pending_user": "zot-ci"}, "u", "pw")
    assert str(err.value) == "authentik flow stage 'ak-stage-access-denied': Invalid password"


def test_response_errors_read_as_one_line():
    challenge = {"component": "ak-stage-password",
                 "response_errors": {"password": [{"string": "Invalid password", "code": "invalid"}]}}
    assert errors_text(challenge) == "password: Invalid password"
    challenge = {"component": "ak-stage-identification",
                 "response_errors": {"non_field_errors": [{"string": "Failed to authenticate.", "code": "invalid"}]}}
    assert errors_text(challenge) == "Failed to authenticate."


def test_flow_pages_and_the_executor_url():
    page = "https://auth.example/if/flow/default-authentication-flow/?next=%2Fapplication%2Fo%2Fauthorize%2F%3Fx%3D1"
    slug, query = flow_of(page)
    assert slug == "default-authentication-flow" and query == "next=%2Fapplication%2Fo%2Fauthorize%2F%3Fx%3D1"
    assert flow_of("https://auth.example/application/o/authorize/?x=1") is None
    assert executor_url("https://auth.example", slug, query) == (
        "https://auth.example/api/v3/flows/executor/default-authentication-flow/"
        "?query=next%3D%252Fapplication%252Fo%252Fauthorize%252F%253Fx%253D1")


def test_the_idp_is_told_from_the_authorization_url():
    assert detect_idp("https://auth.example/application/o/authorize/?client_id=a") == "authentik"
    assert detect_idp("https://kc.example/realms/ops/protocol/openid-connect/auth?client_id=a") == "keycloak"
    assert detect_idp("https://kc.example/auth/realms/ops/protocol/openid-connect/auth") == "keycloak"
    assert detect_idp("https://login.example/oauth2/authorize") is None


# --- the executor walk, against scripted answers shaped as authentik 2025.12 gives them -----------------------

AK = "http://127.0.0.1:9000"
CALLBACK = "http://127.0.0.1:5000/zot/auth/callback/oidc"
AUTHORIZE = f"{AK}/application/o/authorize/?client_id=zot&redirect_uri={CALLBACK}&response_type=code&state=s"
FLOW_QS = "client_id=zot&next=%2Fapplication%2Fo%2Fauthorize%2F%3Fclient_id%3Dzot"
EXECUTOR = "/api/v3/flows/executor/default-authentication-flow/"


class ScriptedAuthentik:
    """Answers the requests of one sign-in from a script of (method, path, answer); records the bodies."""

    def __init__(self, script):
        self.script = list(script)
        self.sent = []
        self.requests = 0

    def request(self, method, url, headers=None, json_body=None, form=None, data=None):
        self.requests += 1
        want_method, want_path, (status, body, location) = self.script.pop(0)
        assert (method, url.split("?")[0].replace(AK, "")) == (want_method, want_path), url
        self.sent.append(json_body)
        return HttpResponse(status, json.dumps(body).encode() if isinstance(body, dict) else b"",
                            {"Location": location} if location else {}, url)

    def cookie(self, name, url):
        return None


def redirect(to):
    return (302, None, to)


def challenge(body):
    return (200, body, None)


def walk(script, password="pw"):
    session = SignIn("http://127.0.0.1:5000", "zot-ci", password)
    session.redirect_uri = CALLBACK
    session.browser = ScriptedAuthentik(script)
    return session, sign_in(session, AUTHORIZE)


def start():
    self_url = f"{EXECUTOR}?query=x"
    return [("GET", "/application/o/authorize/", redirect(f"/if/flow/default-authentication-flow/?{FLOW_QS}")),
            ("GET", EXECUTOR, challenge(identification())),
            ("POST", EXECUTOR, redirect(self_url)),
            ("GET", EXECUTOR, challenge({"component": "ak-stage-password", "pending_user": "zot-ci"}))]


def test_identification_password_then_back_to_the_authorization_endpoint_and_zot():
    script = start() + [
        ("POST", EXECUTOR, redirect(f"{EXECUTOR}?query=x")),
        ("GET", EXECUTOR, redirect(f"{EXECUTOR}?query=x")),  # the MFA stage skipped: no device
        ("GET", EXECUTOR, challenge({"component": "xak-flow-redirect", "to": "/application/o/authorize/?client_id=zot"})),
        ("GET", "/application/o/authorize/", redirect(f"{CALLBACK}?code=c&state=s")),
    ]
    session, callback = walk(script)
    assert callback == f"{CALLBACK}?code=c&state=s"
    assert session.browser.sent[2] == {"component": "ak-stage-identification", "uid_field": "zot-ci"}
    assert session.browser.sent[4] == {"component": "ak-stage-password", "password": "pw"}
    assert session.browser.requests == 8


def test_a_refused_password_names_the_stage_and_authentiks_error():
    refused = {"component": "ak-stage-password", "pending_user": "zot-ci",
               "response_errors": {"password": [{"string": "Invalid password", "code": "invalid"}]}}
    with pytest.raises(OidcLoginError) as err:
        walk(start() + [("POST", EXECUTOR, challenge(refused))], password="wrong")
    assert str(err.value) == ("authentik flow stage 'ak-stage-password' refused the answer: password: Invalid password "
                              "(flow default-authentication-flow)")


def test_an_mfa_stage_stops_the_walk_before_zot():
    mfa = {"component": "ak-stage-authenticator-validate", "pending_user": "zot-ci",
           "device_challenges": [{"device_class": "totp", "device_uid": "1", "challenge": {}, "last_used": None}],
           "configuration_stages": []}
    with pytest.raises(OidcLoginError) as err:
        walk(start() + [("POST", EXECUTOR, redirect(f"{EXECUTOR}?query=x")), ("GET", EXECUTOR, challenge(mfa))])
    assert str(err.value) == ("authentik flow stage 'ak-stage-authenticator-validate' (MFA) cannot be answered "
                              "without a person (flow default-authentication-flow)")


def test_an_explicit_consent_flow_after_sign_in_is_named():
    script = start() + [
        ("POST", EXECUTOR, challenge({"component": "xak-flow-redirect", "to": "/application/o/authorize/?client_id=zot"})),
        ("GET", "/application/o/authorize/",
         redirect("/if/flow/default-provider-authorization-explicit-consent/?client_id=zot")),
        ("GET", "/api/v3/flows/executor/default-provider-authorization-explicit-consent/",
         challenge({"component": "ak-stage-consent", "token": "t", "permissions": [], "pending_user": "zot-ci"})),
    ]
    with pytest.raises(OidcLoginError) as err:
        walk(script)
    assert "'ak-stage-consent' (consent) cannot be answered without a person " \
           "(flow default-provider-authorization-explicit-consent)" in str(err.value)
