"""Unit tests of plugins/module_utils/_oidc_login.py: when zot_api_key signs in through OIDC (only without
a key zot accepts, never in check mode), what check mode then reports, and the cookie policy."""
import urllib.request
from http.cookiejar import Cookie

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import _oidc_login as ol
from ansible_collections.zotops.zot.plugins.module_utils.zot_api import ZotApiError, ZotClient

LOGIN = {"username": "zot-ci", "password": "pw", "provider": "oidc", "idp": None}


def params(**more):
    p = {"zot_url": "http://zot.example", "username": None, "password": None, "api_key": None, "session_cookie": None,
         "validate_certs": True, "ca_path": None, "timeout": 5, "oidc_login": LOGIN, "state": "present"}
    p.update(more)
    return p


@pytest.fixture
def signed_in(monkeypatch):
    """SignIn.run replaced by a record of the sign-ins asked for (no network)."""
    calls = []

    def run(self):
        calls.append(self.username)
        self.idp, self.session_cookie, self.zot_username = "keycloak", "c2Vzc2lvbg==", "zot-ci@example.test"
        return self

    monkeypatch.setattr(ol.SignIn, "run", run)
    monkeypatch.setattr(ol.atexit, "register", lambda *a: None)
    return calls


def refuse_keys(monkeypatch, status):
    def list_keys(self):
        raise ZotApiError("refused", status)
    monkeypatch.setattr(ZotClient, "list_keys", list_keys)


def test_without_oidc_login_the_given_credentials_are_used(signed_in):
    client, sign_in, _note = ol.zot_client(params(oidc_login=None, username="ci", password="pw"), False)
    assert client.auth == ("password", "pw") and sign_in is None and signed_in == []


def test_a_key_zot_accepts_is_used_and_nobody_signs_in(monkeypatch, signed_in):
    monkeypatch.setattr(ZotClient, "list_keys", lambda self: [])
    client, sign_in, _note = ol.zot_client(params(username="zot-ci@example.test", api_key="zak_old"), False)
    assert client.auth == ("api_key", "zak_old") and sign_in is None and signed_in == []


def test_a_key_zot_refuses_falls_back_to_the_sign_in(monkeypatch, signed_in):
    refuse_keys(monkeypatch, 401)
    client, sign_in, note = ol.zot_client(params(username="zot-ci@example.test", api_key="zak_expired"), False)
    assert signed_in == ["zot-ci"] and client.auth == ("session_cookie", "session=c2Vzc2lvbg==")
    assert client.username == "zot-ci@example.test" and "zot refused api_key" in note


def test_other_key_errors_are_not_hidden_by_a_sign_in(monkeypatch, signed_in):
    refuse_keys(monkeypatch, 503)
    with pytest.raises(ZotApiError):
        ol.zot_client(params(username="u", api_key="zak_x"), False)
    assert signed_in == []


def test_check_mode_never_signs_in(monkeypatch, signed_in):
    client, sign_in, note = ol.zot_client(params(), True)
    assert (client, sign_in, note) == (None, None, "no api_key was given") and signed_in == []
    result = ol.check_mode_result(params(), note)
    assert result["changed"] and result["rotation_due"]
    assert result["reason"].startswith("check mode does not sign in through OIDC (no api_key was given;")


def test_the_username_defaults_to_zots_name_and_a_different_one_fails(monkeypatch, signed_in):
    client, _sign_in, _note = ol.zot_client(params(), False)
    assert client.username == "zot-ci@example.test"
    monkeypatch.setattr(ol, "logout", lambda *a: None)
    with pytest.raises(ol.OidcLoginError) as err:
        ol.zot_client(params(username="zot-ci"), False)
    assert "zot knows the account signed in as 'zot-ci' as 'zot-ci@example.test'" in str(err.value)


def secure_cookie(host):
    return Cookie(0, "AUTH_SESSION_ID", "x", None, False, host, False, False, "/", True, True, None, False,
                  None, None, {})


@pytest.mark.parametrize("url, sent", [
    ("http://127.0.0.1:8080/realms/r/login-actions/authenticate", True),
    ("http://localhost:8080/x", True),
    ("https://kc.example/x", True),
    ("http://kc.example/x", False),
])
def test_secure_cookies_go_over_http_only_to_loopback_as_in_browsers(url, sent):
    host = url.split("/")[2].split(":")[0]
    request = urllib.request.Request(url)
    assert ol._BrowserCookiePolicy().return_ok_secure(secure_cookie(host), request) is sent
