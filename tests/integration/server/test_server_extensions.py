"""zotops.zot.server's UI, search, image trust and events variables against the release-equivalent zot.

One host: converge without them, `--check --diff` with all of them (CVE scanning included) shows each
config change and changes nothing, then the real run turns on the UI, search, cosign/notation and an
HTTP event sink, and what a user notices is checked: the UI's page and search answer, admins upload
cosign keys, a push sends a CloudEvent. A second run changes nothing. Skips (fails with
ZOTOPS_REQUIRE_ZOT=1) naming the missing extensions on a zot without the UI and search.
"""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from integration.harness.process import free_port
from integration.server.server_helpers import provisioned_host

pytestmark = [pytest.mark.zot, pytest.mark.slow]

USERS = {"admin": "admin-Pass-1", "ci": "ci-Pass-1"}
ACCESS = {"repositories": {"**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read", "create"]}},
          "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]}}


class EventSink:
    """An HTTP endpoint recording the CloudEvents zot posts (binary mode: ce-* headers)."""

    def __init__(self):
        self.events = []
        events = self.events

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                events.append({"type": self.headers.get("ce-type"), "source": self.headers.get("ce-source"),
                               "team": self.headers.get("X-Team"), "body": body.decode("utf-8", "replace")})
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/events"
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, kind, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events if e["type"] == kind]
            if found:
                return found
            time.sleep(0.2)
        return []

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sink():
    server = EventSink()
    yield server
    server.stop()


def test_ui_search_trust_events_check_diff_apply_and_second_run(zot_ui_bin, release_mirror, systemd_path, sink,
                                                                oci_image, skopeo_copy):
    base = {"zot_htpasswd_users": [{"name": n, "password": p} for n, p in USERS.items()],
            "zot_access_control": ACCESS}
    extensions = dict(base, zot_ui_enabled=True, zot_image_trust_cosign=True, zot_image_trust_notation=True,
                      zot_events_sinks=[{"type": "http", "address": sink.url, "timeout": "5s",
                                         "headers": {"X-Team": "platform"}}])
    with provisioned_host("zotops-server-ext-", {"zot_release_base_url": release_mirror.base_url},
                          systemd_path) as host:
        first = host.run(**base)
        assert first.rc == 0, str(first)
        assert requests.get(f"{host.url}/", timeout=10).status_code == 404  # no UI yet

        # --check --diff: every variable's config change shown, nothing changed.
        before = host.snapshot()
        check = host.run(check=True, diff=True, **dict(
            extensions, zot_search_cve_enabled=True,
            zot_search_cve={"db_repository": "registry.example.com/ghcr.io/aquasecurity/trivy-db"}))
        assert check.rc == 0, str(check)
        assert check.changed >= 1 and host.snapshot() == before
        for line in ('+    "ui": {', '+    "search": {', '+      "cve": {',
                     '+          "dbRepository": "registry.example.com/ghcr.io/aquasecurity/trivy-db"',
                     '+    "trust": {', '+      "cosign": true,', '+      "notation": true',
                     '+    "events": {', f'+          "address": "{sink.url}",', "zot would be restarted"):
            assert line in check.stdout, f"{line!r} not in:\n{check.stdout}"

        applied = host.run(**extensions)
        assert applied.rc == 0, str(applied)
        assert "cve" not in host.config()["extensions"]["search"]  # CVE scanning stays off unless asked for

        # The UI: its page at / (the seeds' users land here), search behind it.
        page = requests.get(f"{host.url}/", timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"], page.status_code
        assert '<div id="root">' in page.text
        pushed = skopeo_copy(oci_image, f"docker://127.0.0.1:{host.port}/team/app:1.0", creds=f"ci:{USERS['ci']}")
        assert pushed.returncode == 0, pushed.stderr
        query = '{ GlobalSearch(query: "team") { Repos { Name } } }'
        found = requests.get(f"{host.url}/v2/_zot/ext/search", params={"query": query}, timeout=10)
        assert found.status_code == 200, found.text
        assert [r["Name"] for r in found.json()["data"]["GlobalSearch"]["Repos"]] == ["team/app"]

        # Events: the push reached the sink as CloudEvents, with the configured header.
        updated = sink.wait_for("zotregistry.image.updated")
        assert updated, sink.events
        assert updated[0]["source"] == "zotregistry.dev" and updated[0]["team"] == "platform"
        assert "team/app" in updated[0]["body"]

        # Image trust: admins upload cosign public keys; other users may not.
        key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert requests.post(f"{host.url}/v2/_zot/ext/cosign", data=key, auth=("ci", USERS["ci"]),
                             timeout=10).status_code in (401, 403)
        upload = requests.post(f"{host.url}/v2/_zot/ext/cosign", data=key, auth=("admin", USERS["admin"]), timeout=10)
        assert upload.status_code == 200, upload.text

        again = host.run(**extensions)
        assert again.rc == 0 and again.changed == 0, str(again)
        for secret in USERS.values():
            assert secret not in check.output + applied.output
