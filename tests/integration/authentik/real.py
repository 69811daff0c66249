"""The real authentik as the modules' tests see it: a recording proxy in front of it (every request the
modules send, so "a no-op sends only GETs" is counted on the wire), what it holds (read back through its
API) and a reset to what the session started with after each test."""
import http.client
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Every kind of object the modules make, in the order they can be deleted (dependents first);
# each: (list endpoint, key field of one object, the object's detail path).
KINDS = [
    ("bindings", "/policies/bindings/", "pk", "/policies/bindings/{}/"),
    ("applications", "/core/applications/", "slug", "/core/applications/{}/"),
    ("providers", "/providers/oauth2/", "pk", "/providers/oauth2/{}/"),
    ("users", "/core/users/", "pk", "/core/users/{}/"),
    ("groups", "/core/groups/", "pk", "/core/groups/{}/"),
    ("scope_mappings", "/propertymappings/provider/scope/", "pk", "/propertymappings/provider/scope/{}/"),
    ("certificates", "/crypto/certificatekeypairs/", "pk", "/crypto/certificatekeypairs/{}/"),
    ("flows", "/flows/instances/", "slug", "/flows/instances/{}/"),
]
# What changes on its own (timestamps, computed views) and is not state a module sets.
VOLATILE = {"last_login", "last_updated", "date_joined", "uid", "avatar", "is_superuser", "groups_obj",
            "users_obj", "launch_url", "meta_icon_url", "provider_obj", "backchannel_providers_obj",
            "policy_obj", "group_obj", "user_obj", "target_obj", "children_obj", "roles_obj",
            "cache_count", "export_url", "background_url", "assigned_application_slug",
            "assigned_application_name", "assigned_backchannel_application_slug",
            "assigned_backchannel_application_name", "component", "verbose_name", "verbose_name_plural",
            "meta_model_name", "certificate_expiry", "cert_expiry", "cert_subject", "fingerprint_sha256",
            "fingerprint_sha1", "private_key_type", "parent_name", "inherited_roles_obj", "children"}


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    target = ("127.0.0.1", 0)  # (host, port) of the real server, set by the proxy that serves this handler
    log = None
    refusals = None

    def log_message(self, fmt, *args):
        pass

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.log.append({"method": self.command, "path": parts.path,
                         "query": {k: v[0] for k, v in parse_qs(parts.query).items()}, "body": body})
        for method, pattern, status, answer in self.refusals:
            if method == self.command and re.fullmatch(pattern, parts.path):
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}  # Host kept: authentik names the proxy
        host, port = self.target
        conn = http.client.HTTPConnection(host, port, timeout=120)
        try:
            conn.request(self.command, self.path, body=raw or None, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
        self.send_response_only(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


class RecordingProxy:
    """A loopback HTTP proxy that logs every request it forwards to the real server."""

    def __init__(self, server):
        self.log = []
        self.refusals = []
        target = urlsplit(server.url)
        handler = type("Recorder", (_Recorder,), {"target": (target.hostname, target.port), "log": self.log,
                                                  "refusals": self.refusals})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RealAuthentik:
    """The session's authentik, reached by the modules through a recording proxy; the same surface
    the tests used on the double (url, token, log, writes, clear_log, snapshot) plus API reads."""

    def __init__(self, server, proxy):
        self.server = server
        self.proxy = proxy
        self.url = proxy.url            # what the modules are given
        self.token = server.token

    @property
    def log(self):
        return [r for r in self.proxy.log if r["path"].startswith("/api/v3/")]

    @property
    def writes(self):
        return [r for r in self.log if r["method"] != "GET"]

    def clear_log(self):
        del self.proxy.log[:]

    def refuse(self, method, path, status=400, body=None):
        """Answer the next such requests (path: a regex below /api/v3) with an error, without passing
        them on: only for refusals a real server gives in situations a test cannot make (a cleanup
        DELETE refused, a password refused)."""
        self.proxy.refusals.append((method, "/api/v3" + path, status, body or {"non_field_errors": ["refused"]}))

    def api(self, method, path, **kwargs):
        return self.server.api(method, path, **kwargs)

    def all(self, kind):
        """Every object of one kind, keyed like the double's store (pk, or slug for applications/flows)."""
        for name, path, key, _detail in KINDS:
            if name == kind:
                # Without superuser_full_list authentik lists only the applications the token's user may
                # open (its bindings decide), even for an admin.
                params = {"superuser_full_list": "true"} if name == "applications" else {}
                return {o[key]: o for o in self.server.objects(path, **params)}
        raise KeyError(kind)

    def by(self, kind, field, value):
        found = [o for o in self.all(kind).values() if o.get(field) == value]
        assert len(found) <= 1, found
        return found[0] if found else None

    def snapshot(self):
        """What the server holds, without what changes by itself."""
        return {name: {k: {f: v for f, v in o.items() if f not in VOLATILE} for k, o in self.all(name).items()}
                for name, *_rest in KINDS}

    def keys(self):
        return {name: set(self.all(name)) for name, *_rest in KINDS}

    def reset(self, baseline):
        """Delete what was made since ``baseline`` (keys()); restore the objects a test may change."""
        for name, path, key, detail in KINDS:
            for obj_key in set(self.all(name)) - baseline[name]:
                answer = self.api("DELETE", detail.format(obj_key))
                if answer.status_code == 502:  # a gunicorn worker recycled under load: the delete is safe to repeat
                    answer = self.api("DELETE", detail.format(obj_key))
                assert answer.status_code in (204, 404), (name, obj_key, answer.status_code, answer.text)
