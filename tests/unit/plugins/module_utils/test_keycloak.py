"""Unit tests of plugins/module_utils/keycloak.py with a fake opener (no network)."""
import io
import json

import pytest

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible_collections.zotops.zot.plugins.module_utils import keycloak as kc


class FakeResponse:
    def __init__(self, status, body=b"", headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = headers or {}

    def read(self):
        return self.body

    def getcode(self):
        return self.status


class FakeOpener:
    """Answers from a list of (status, body[, headers]) or exceptions; records every call."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, method=None, data=None, headers=None, **kwargs):
        self.calls.append({"url": url, "method": method, "data": data, "headers": headers, **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer[0], answer[1]
        extra = answer[2] if len(answer) > 2 else {}
        if status >= 400:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            raise HTTPError(url, status, "error", extra, io.BytesIO(raw))
        return FakeResponse(status, body, extra)


PARAMS = {"keycloak_url": "https://sso.example.test/", "auth_realm": "master", "auth_username": "admin",
          "auth_password": "s3cret-pw", "auth_client_id": "admin-cli", "auth_client_secret": None, "token": None,
          "validate_certs": True, "ca_path": None, "timeout": 5, "retries": 2}
TOKEN = (200, {"access_token": "tok-123"})


def client(opener, **overrides):
    params = dict(PARAMS, **overrides)
    return kc.KeycloakClient(params, sleep=lambda s: None, opener=opener)


def test_password_grant_then_one_read_for_a_client():
    opener = FakeOpener(TOKEN, (200, [{"id": "u1", "clientId": "zot", "secret": "x"}]))
    found = client(opener).find_client("my realm", "zot")
    assert found["id"] == "u1"
    token_call, read = opener.calls
    assert token_call["url"] == "https://sso.example.test/realms/master/protocol/openid-connect/token"
    assert "grant_type=password" in token_call["data"] and "username=admin" in token_call["data"]
    assert read["method"] == "GET"
    assert read["url"] == "https://sso.example.test/admin/realms/my%20realm/clients?clientId=zot"
    assert read["headers"]["Authorization"] == "Bearer tok-123"


def test_client_credentials_grant_and_given_token():
    opener = FakeOpener(TOKEN, (200, []))
    client(opener, auth_username=None, auth_password=None, auth_client_id="ansible",
           auth_client_secret="cs").find_client("r", "zot")
    assert "grant_type=client_credentials" in opener.calls[0]["data"]
    assert "client_id=ansible" in opener.calls[0]["data"]

    opener = FakeOpener((200, []))
    assert client(opener, auth_username=None, token="given").find_client("r", "zot") is None
    assert len(opener.calls) == 1 and opener.calls[0]["headers"]["Authorization"] == "Bearer given"


def test_wrong_password_names_the_user_and_hides_the_password():
    opener = FakeOpener((401, {"error": "invalid_grant", "error_description": "Invalid user credentials"}))
    with pytest.raises(kc.KeycloakError) as caught:
        client(opener).find_client("r", "zot")
    assert "refused the credentials of admin user 'admin'" in caught.value.message
    assert "Invalid user credentials" in caught.value.message
    assert "s3cret-pw" not in caught.value.message
    assert len(opener.calls) == 1  # never retried


def test_unknown_realms():
    with pytest.raises(kc.KeycloakError, match="auth_realm 'nope' does not exist"):
        client(FakeOpener((404, {"error": "Realm does not exist"})), auth_realm="nope").find_client("r", "zot")
    with pytest.raises(kc.KeycloakError, match="realm 'gone' does not exist"):
        client(FakeOpener(TOKEN, (404, {"error": "Realm not found."}))).find_client("gone", "zot")


def test_unreachable_is_retried_a_bounded_number_of_times():
    sleeps = []
    opener = FakeOpener(*[URLError("Connection refused")] * 3)
    api = kc.KeycloakClient(dict(PARAMS), sleep=sleeps.append, opener=opener)
    with pytest.raises(kc.KeycloakError, match=r"cannot reach Keycloak .* after 3 attempt\(s\)"):
        api.find_client("r", "zot")
    assert len(opener.calls) == 3 and sleeps == [0.5, 1.0]


def test_503_is_retried_then_succeeds():
    opener = FakeOpener((503, b"busy"), TOKEN, (200, []))
    assert client(opener).find_client("r", "zot") is None
    assert len(opener.calls) == 3


def test_forbidden_explains_the_missing_role():
    opener = FakeOpener(TOKEN, (403, {"error": "unknown_error"}))
    with pytest.raises(kc.KeycloakError, match="lacks the admin role"):
        client(opener).find_client("r", "zot")


def test_create_returns_the_id_from_location():
    opener = FakeOpener(TOKEN, (201, b"", {"Location": "https://sso.example.test/admin/realms/r/clients/abc-1"}))
    assert client(opener).create("/r/clients", {"clientId": "zot"}) == "abc-1"
    assert json.loads(opener.calls[1]["data"]) == {"clientId": "zot"}
    assert opener.calls[1]["headers"]["Content-Type"] == "application/json"


def test_trace_records_method_path_status_only(tmp_path, monkeypatch):
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv(kc.TRACE_ENV, str(trace))
    client(FakeOpener(TOKEN, (200, []))).find_client("r", "zot")
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [(r["method"], r["path"], r["status"]) for r in lines] == [
        ("POST", "/realms/master/protocol/openid-connect/token", 200), ("GET", "/admin/realms/r/clients", 200)]
    assert "s3cret-pw" not in trace.read_text() and "tok-123" not in trace.read_text()


def test_bad_connection_options_fail_before_any_request():
    with pytest.raises(kc.KeycloakError, match="keycloak_url must be an http"):
        kc.KeycloakClient(dict(PARAMS, keycloak_url="sso.example.test"), opener=FakeOpener())
    with pytest.raises(kc.KeycloakError, match="no Keycloak credentials"):
        kc.KeycloakClient(dict(PARAMS, auth_username=None), opener=FakeOpener())


@pytest.mark.parametrize("value,wildcard,ok", [
    ("https://registry.example.test/zot/auth/callback/oidc", False, True),
    ("http://127.0.0.1:5000/zot/auth/callback/oidc", False, True),
    ("https://registry.example.test/*", True, True),
    ("https://registry.example.test/*", False, True),  # '*' is a valid path character too
    ("not a url", False, False),
    ("registry.example.test/cb", False, False),
    ("ftp://registry.example.test/cb", False, False),
    ("https://:443/cb", False, False),
    ("https://host:99999/cb", False, False),
])
def test_is_http_url(value, wildcard, ok):
    assert kc.is_http_url(value, allow_wildcard=wildcard) is ok


@pytest.mark.parametrize("value,ok", [("https://registry.example.test", True), ("+", True), ("*", True),
                                      ("https://registry.example.test/path", False), ("registry", False)])
def test_is_origin(value, ok):
    assert kc.is_origin(value) is ok


def test_generated_secrets_look_like_keycloak_ones():
    secrets = {kc.generate_secret() for dummy in range(50)}
    assert len(secrets) == 50
    assert all(len(s) == 32 and s.isalnum() for s in secrets)
