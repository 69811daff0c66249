"""Helpers for the Keycloak tests: a loopback stand-in for zot's OIDC callback, the browser login,
the code exchange, and reading the module's HTTP trace."""
import base64
import json
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from integration.harness.ansible import run_playbook
from integration.harness.process import free_port

PLAYBOOKS = Path(__file__).parent / "playbooks"


class CallbackServer:
    """Answers every GET with 200 and records the query: what zot's /zot/auth/callback/<key> would receive."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hits = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parsed = urllib.parse.urlparse(self.path)
                hits.append((parsed.path, dict(urllib.parse.parse_qsl(parsed.query))))
                body = b"callback received"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def browser_login(page, keycloak_url, realm, client_id, redirect_uri, username, password,
                  scope="openid profile email"):
    """Open Keycloak's authorization endpoint as zot would, sign in on Keycloak's own page, and
    return the query the callback received (code, state, ...)."""
    query = urllib.parse.urlencode({
        "client_id": client_id, "response_type": "code", "scope": scope,
        "redirect_uri": redirect_uri, "state": "zotops-state", "nonce": "zotops-nonce"})
    page.goto(f"{keycloak_url}/realms/{realm}/protocol/openid-connect/auth?{query}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_url(lambda url: url.startswith(redirect_uri), timeout=30000)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))


def exchange_code(keycloak_url, realm, code, redirect_uri, client_id, client_secret):
    response = requests.post(
        f"{keycloak_url}/realms/{realm}/protocol/openid-connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
              "client_id": client_id, "client_secret": client_secret}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def read_trace(path):
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def writes(trace):
    """Requests that could change Keycloak's state: anything but GET, except token requests."""
    return [r for r in trace if r["method"] != "GET" and not r["path"].endswith("/protocol/openid-connect/token")]


def zot_with_keycloak_oidc(zot_factory, keycloak_server, realm, tmp_path, ci_group, user):
    """zot with Keycloak as its OIDC provider (the provider entry zotops.zot.oidc's register.yml made),
    API keys on, ``ci_group`` may read and create, anonymous may read. Returns (zot, ``user``'s password)."""
    port = free_port()
    zot_url = f"http://127.0.0.1:{port}"
    password = "Pw-" + secrets.token_urlsafe(12)
    extra = {"kc_url": keycloak_server.url, "kc_admin_user": keycloak_server.admin_user,
             "kc_admin_password": keycloak_server.admin_password, "kc_realm": realm,
             "ci_group": ci_group, "test_user": user, "test_password": password,
             "external_url": zot_url, "groups_claim": True,
             "credentials_file": str(tmp_path / "oidc-credentials.json"), "facts_file": str(tmp_path / "facts.json")}
    result = run_playbook(PLAYBOOKS / "register.yml", extra_vars=extra)
    assert result.rc == 0, result
    provider = json.loads((tmp_path / "facts.json").read_text())["provider"]
    zot = zot_factory({
        "http": {
            "address": "127.0.0.1", "port": str(port), "externalUrl": zot_url, "realm": "zot",
            "auth": {"openid": {"providers": {"oidc": provider}}, "apikey": True},
            "accessControl": {"repositories": {"**": {
                "policies": [{"groups": [ci_group], "actions": ["read", "create"]}],
                "anonymousPolicy": ["read"]}}},
        },
    }, name="zot-oidc")
    return zot, password
