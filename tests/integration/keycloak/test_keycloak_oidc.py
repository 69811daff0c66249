"""zot's OIDC client registered in a real Keycloak, proven by a real browser login.

Requests are counted two ways: the modules append every request's method and path to the file named by
ZOTOPS_HTTP_TRACE, and the test realm records Keycloak's own admin events (every write through the
admin API), so "no write" is checked on both sides.
"""
import json
import os
import secrets
import stat
import time

import pytest

from integration.harness.ansible import run_playbook
from integration.harness.process import free_port
from integration.keycloak.kc_helpers import (
    PLAYBOOKS, CallbackServer, browser_login, exchange_code, jwt_claims, read_trace, writes,
)

pytestmark = [pytest.mark.keycloak, pytest.mark.slow]

CI_GROUP = "registry-ci"
TEST_USER = "ci-bot"


@pytest.fixture(scope="module")
def realm(keycloak_server):
    name = "zotops-" + secrets.token_hex(4)
    keycloak_server.admin("POST", "", json={
        "realm": name, "enabled": True, "adminEventsEnabled": True, "adminEventsDetailsEnabled": False})
    yield name
    keycloak_server.admin("DELETE", f"/{name}")


@pytest.fixture(scope="module")
def callback():
    server = CallbackServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def test_password():
    return "Pw-" + secrets.token_urlsafe(12)


def base_vars(keycloak_server, realm, **extra):
    values = {"kc_url": keycloak_server.url, "kc_admin_user": keycloak_server.admin_user,
              "kc_admin_password": keycloak_server.admin_password, "kc_realm": realm}
    values.update(extra)
    return values


def client_rep(keycloak_server, realm, client_id="zot"):
    found = keycloak_server.admin("GET", f"/{realm}/clients", params={"clientId": client_id}).json()
    return found[0] if found else None


def admin_event_count(keycloak_server, realm):
    return len(keycloak_server.admin("GET", f"/{realm}/admin-events", params={"max": 10000}).json())


@pytest.fixture(scope="module")
def registered(keycloak_server, realm, callback, test_password, tmp_path_factory):
    """The role run once with groups requested: what every test below starts from."""
    tmp = tmp_path_factory.mktemp("kc-register")
    extra = base_vars(keycloak_server, realm, ci_group=CI_GROUP, test_user=TEST_USER, test_password=test_password,
                      external_url=callback.url, groups_claim=True,
                      credentials_file=str(tmp / "oidc-credentials.json"), facts_file=str(tmp / "facts.json"))
    result = run_playbook(PLAYBOOKS / "register.yml", extra_vars=extra, diff=True)
    assert result.rc == 0, result
    assert result.changed >= 3, result  # group, user, client (+ credentials file)
    return {"vars": extra, "tmp": tmp, "result": result}


def test_playbook_registers_client_and_browser_login_gets_groups(keycloak_server, realm, callback, registered,
                                                                 browser_page, test_password):
    extra = registered["vars"]
    redirect_uri = f"{callback.url}/zot/auth/callback/oidc"

    # The client in Keycloak is the confidential client zot needs.
    client = client_rep(keycloak_server, realm)
    assert client["redirectUris"] == [redirect_uri]
    assert client["publicClient"] is False and client["standardFlowEnabled"] is True
    assert client["directAccessGrantsEnabled"] is False
    assert client["rootUrl"] == callback.url
    assert client["webOrigins"] == [callback.url]
    assert client["attributes"]["post.logout.redirect.uris"] == f"{callback.url}/*"

    # zot's credentials file: 0600, {"clientid","clientsecret"} with the secret Keycloak holds.
    creds_path = extra["credentials_file"]
    assert stat.S_IMODE(os.stat(creds_path).st_mode) == 0o600
    creds = json.loads(open(creds_path).read())
    assert set(creds) == {"clientid", "clientsecret"}
    secret = keycloak_server.admin("GET", f"/{realm}/clients/{client['id']}/client-secret").json()["value"]
    assert creds == {"clientid": "zot", "clientsecret": secret}
    assert secret not in registered["result"].output

    # The provider entry for zot (and for zotops.zot.server), without a `groups` scope.
    facts = json.loads(open(extra["facts_file"]).read())
    assert facts["provider"] == {"name": "Keycloak SSO", "issuer": f"{keycloak_server.url}/realms/{realm}",
                                 "credentialsFile": creds_path, "scopes": ["openid", "profile", "email"]}
    assert facts["server_keys"] == ["oidc"]

    # A real browser signs in on Keycloak's page and lands on zot's callback URL with a code.
    query = browser_login(browser_page, keycloak_server.url, realm, "zot", redirect_uri, TEST_USER, test_password,
                          scope=" ".join(facts["provider"]["scopes"]))
    assert query.get("state") == "zotops-state" and query.get("code"), query
    assert any(path == "/zot/auth/callback/oidc" and hit.get("code") == query["code"]
               for path, hit in callback.hits), callback.hits

    tokens = exchange_code(keycloak_server.url, realm, query["code"], redirect_uri, creds["clientid"],
                           creds["clientsecret"])
    claims = jwt_claims(tokens["id_token"])
    assert claims["iss"] == facts["provider"]["issuer"]
    assert claims["email"] == f"{TEST_USER}@example.test"
    assert CI_GROUP in claims["groups"], claims


def test_groups_scope_is_what_keycloak_refuses(keycloak_server, realm, callback, registered, browser_page):
    """Why the role leaves `groups` out of zot's scopes: Keycloak refuses a scope it does not define."""
    redirect_uri = f"{callback.url}/zot/auth/callback/oidc"
    import urllib.parse
    query = urllib.parse.urlencode({"client_id": "zot", "response_type": "code", "scope": "openid profile email groups",
                                    "redirect_uri": redirect_uri, "state": "s"})
    browser_page.goto(f"{keycloak_server.url}/realms/{realm}/protocol/openid-connect/auth?{query}")
    browser_page.wait_for_url(lambda url: url.startswith(redirect_uri), timeout=30000)
    got = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(browser_page.url).query))
    assert got.get("error") == "invalid_scope", got


@pytest.mark.ansible_range
def test_second_run_changes_nothing_and_writes_nothing(keycloak_server, realm, registered, tmp_path):
    trace = tmp_path / "trace.jsonl"
    events_before = admin_event_count(keycloak_server, realm)
    result = run_playbook(PLAYBOOKS / "register.yml", extra_vars=registered["vars"], diff=True,
                          env={"ZOTOPS_HTTP_TRACE": str(trace)})
    assert result.rc == 0, result
    assert result.changed == 0, result
    requests_sent = read_trace(trace)
    assert requests_sent, "the modules wrote no trace"
    assert writes(requests_sent) == [], requests_sent
    assert admin_event_count(keycloak_server, realm) == events_before

    # The client module alone: one token request and one read decide a no-op.
    trace_module = tmp_path / "module.jsonl"
    extra = dict(registered["vars"], client_id="zot",
                 redirect_uris=[f"{registered['vars']['external_url']}/zot/auth/callback/oidc"], groups_claim=True)
    result = run_playbook(PLAYBOOKS / "client.yml", extra_vars=extra, env={"ZOTOPS_HTTP_TRACE": str(trace_module)})
    assert result.rc == 0 and result.changed == 0, result
    assert [(r["method"], r["path"]) for r in read_trace(trace_module)] == [
        ("POST", "/realms/master/protocol/openid-connect/token"),
        ("GET", f"/admin/realms/{realm}/clients"),
    ]


def test_check_diff_shows_only_the_redirect_change_and_no_secret(keycloak_server, realm, registered, tmp_path):
    added = f"{registered['vars']['external_url']}/zot/auth/callback/oidc2"
    before = client_rep(keycloak_server, realm)
    trace = tmp_path / "trace.jsonl"
    result = run_playbook(PLAYBOOKS / "register.yml", extra_vars=dict(registered["vars"], extra_redirect_uris=[added]),
                          check=True, diff=True, verbosity=1, env={"ZOTOPS_HTTP_TRACE": str(trace)})
    assert result.rc == 0, result
    assert result.changed == 1, result
    changes = [line for line in result.stdout.splitlines()
               if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    removed = {line[1:].strip().rstrip(",") for line in changes if line[0] == "-"}
    added_lines = {line[1:].strip().rstrip(",") for line in changes if line[0] == "+"}
    # Only the redirect URI list changes (a JSON list may re-punctuate its neighbour line).
    assert added_lines - removed == {f'"{added}"'}, result.stdout
    assert removed <= added_lines, result.stdout
    assert before["secret"] not in result.output
    assert writes(read_trace(trace)) == []
    assert client_rep(keycloak_server, realm)["redirectUris"] == before["redirectUris"]


@pytest.mark.parametrize("case", ["wrong_password", "unknown_realm", "unreachable", "bad_redirect_uri"])
def test_bad_input_fails_clearly_and_makes_nothing(keycloak_server, realm, tmp_path, case):
    client_id = "zot-bad-" + case.replace("_", "-")
    extra = base_vars(keycloak_server, realm, client_id=client_id, external_url="https://registry.example.test",
                      redirect_uris=["https://registry.example.test/zot/auth/callback/oidc"])
    expected = {
        "wrong_password": "Keycloak refused the credentials of admin user",
        "unknown_realm": "realm 'no-such-realm' does not exist",
        "unreachable": "cannot reach Keycloak at",
        "bad_redirect_uri": "redirect_uris[1] 'not a url' is not valid",
    }[case]
    if case == "wrong_password":
        extra["kc_admin_password"] = "wrong-" + secrets.token_hex(4)
    elif case == "unknown_realm":
        extra["kc_realm"] = "no-such-realm"
    elif case == "unreachable":
        extra["kc_url"] = f"http://127.0.0.1:{free_port()}"
        extra["kc_timeout"] = 3
    else:
        extra["redirect_uris"].append("not a url")
    trace = tmp_path / "trace.jsonl"
    started = time.monotonic()
    result = run_playbook(PLAYBOOKS / "client.yml", extra_vars=dict(extra, hide=False),
                          env={"ZOTOPS_HTTP_TRACE": str(trace)})
    elapsed = time.monotonic() - started
    assert result.rc != 0, result
    assert expected in result.output, result
    assert extra["kc_admin_password"] not in result.output
    assert writes(read_trace(trace)) == []
    if case == "unreachable":
        assert "after 3 attempt(s)" in result.output
        assert len(read_trace(trace)) == 3
        assert elapsed < 60, elapsed
    if case == "bad_redirect_uri":
        assert read_trace(trace) == []  # refused before any request
    assert client_rep(keycloak_server, realm, client_id) is None


def test_absent_removes_the_client_once(keycloak_server, realm, tmp_path):
    extra = base_vars(keycloak_server, realm, client_id="zot-gone", external_url="https://gone.example.test",
                      redirect_uris=["https://gone.example.test/zot/auth/callback/oidc"])
    created = run_playbook(PLAYBOOKS / "client.yml", extra_vars=extra)
    assert created.rc == 0 and created.changed == 1, created
    assert client_rep(keycloak_server, realm, "zot-gone") is not None
    removed = run_playbook(PLAYBOOKS / "client.yml", extra_vars=dict(extra, client_state="absent"))
    assert removed.rc == 0 and removed.changed == 1, removed
    assert client_rep(keycloak_server, realm, "zot-gone") is None
    again = run_playbook(PLAYBOOKS / "client.yml", extra_vars=dict(extra, client_state="absent"))
    assert again.rc == 0 and again.changed == 0, again


def test_stale_credentials_file_is_repaired(keycloak_server, realm, registered, tmp_path):
    """The role compares zot's file with Keycloak's secret (without printing either) and rewrites it."""
    creds_path = registered["vars"]["credentials_file"]
    good = json.loads(open(creds_path).read())
    with open(creds_path, "w") as handle:
        json.dump({"clientid": "zot", "clientsecret": "stale"}, handle)
    trace = tmp_path / "trace.jsonl"
    result = run_playbook(PLAYBOOKS / "register.yml", extra_vars=registered["vars"], diff=True,
                          env={"ZOTOPS_HTTP_TRACE": str(trace)})
    assert result.rc == 0, result
    assert result.changed == 1, result  # the file only
    assert json.loads(open(creds_path).read()) == good
    assert stat.S_IMODE(os.stat(creds_path).st_mode) == 0o600
    assert good["clientsecret"] not in result.output
    assert writes(read_trace(trace)) == []
    assert any(r["path"].endswith("/client-secret") for r in read_trace(trace))


def test_service_account_and_token_authentication(keycloak_server, realm, tmp_path):
    """A client-credentials service account of the managed realm (with realm-management roles), then a token."""
    sa_secret = secrets.token_urlsafe(24)
    keycloak_server.admin("POST", f"/{realm}/clients", json={
        "clientId": "ansible-sa", "publicClient": False, "serviceAccountsEnabled": True,
        "standardFlowEnabled": False, "secret": sa_secret})
    sa_client = client_rep(keycloak_server, realm, "ansible-sa")
    sa_user = keycloak_server.admin("GET", f"/{realm}/clients/{sa_client['id']}/service-account-user").json()
    management = client_rep(keycloak_server, realm, "realm-management")
    roles = [keycloak_server.admin("GET", f"/{realm}/clients/{management['id']}/roles/{name}").json()
             for name in ("manage-clients", "view-clients")]
    keycloak_server.admin("POST", f"/{realm}/users/{sa_user['id']}/role-mappings/clients/{management['id']}", json=roles)

    extra = base_vars(keycloak_server, realm, client_id="zot-sa", external_url="https://sa.example.test",
                      redirect_uris=["https://sa.example.test/zot/auth/callback/oidc"],
                      kc_auth_realm=realm, kc_auth_client_id="ansible-sa", kc_auth_client_secret=sa_secret)
    trace = tmp_path / "sa.jsonl"
    result = run_playbook(PLAYBOOKS / "client.yml", extra_vars=extra, env={"ZOTOPS_HTTP_TRACE": str(trace)})
    assert result.rc == 0 and result.changed == 1, result
    assert read_trace(trace)[0]["path"] == f"/realms/{realm}/protocol/openid-connect/token"
    assert client_rep(keycloak_server, realm, "zot-sa")["redirectUris"] == extra["redirect_uris"]

    token_vars = base_vars(keycloak_server, realm, client_id="zot-sa", external_url="https://sa.example.test",
                           redirect_uris=extra["redirect_uris"], kc_token=keycloak_server.admin_token())
    trace = tmp_path / "token.jsonl"
    result = run_playbook(PLAYBOOKS / "client.yml", extra_vars=token_vars, env={"ZOTOPS_HTTP_TRACE": str(trace)})
    assert result.rc == 0 and result.changed == 0, result
    assert [(r["method"], r["path"]) for r in read_trace(trace)] == [("GET", f"/admin/realms/{realm}/clients")]


@pytest.mark.ansible_range
def test_check_mode_on_a_fresh_realm_predicts_the_real_run(keycloak_server, callback, tmp_path, test_password):
    name = "zotops-fresh-" + secrets.token_hex(3)
    keycloak_server.admin("POST", "", json={"realm": name, "enabled": True})
    try:
        extra = base_vars(keycloak_server, name, ci_group=CI_GROUP, test_user=TEST_USER, test_password=test_password,
                          external_url=callback.url, groups_claim=True,
                          credentials_file=str(tmp_path / "oidc-credentials.json"))
        trace = tmp_path / "trace.jsonl"
        checked = run_playbook(PLAYBOOKS / "register.yml", extra_vars=extra, check=True, diff=True,
                               env={"ZOTOPS_HTTP_TRACE": str(trace)})
        assert checked.rc == 0, checked
        assert writes(read_trace(trace)) == []
        assert client_rep(keycloak_server, name) is None
        assert not (tmp_path / "oidc-credentials.json").exists()
        real = run_playbook(PLAYBOOKS / "register.yml", extra_vars=extra, diff=True)
        assert real.rc == 0, real
        assert checked.changed == real.changed == 4, (checked, real)  # group, user, client, credentials file
    finally:
        keycloak_server.admin("DELETE", f"/{name}")
