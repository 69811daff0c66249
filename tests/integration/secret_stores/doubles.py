"""API doubles for the secret stores that have no real server here (and one for Vault, whose real KV
v2 the tests also run: tests/integration/api_keys uses it to act in the middle of a store write, and
test_store_vault.py checks it answers the store's requests as Vault does).

Each double is a real HTTP server on loopback. Every request is checked against a small
extract of the vendor's published API description (``specs/<vendor>.json``): the method and path
must be an operation of the spec, the query parameters must be declared, and the body must
validate (jsonschema) against the operation's request schema with the declared content type.
A request that is not in the spec is answered 400 and recorded in ``violations``; tests assert
that list is empty. Behind the check each double keeps a little in-memory state so the stores
can read back what they wrote.
"""
import base64
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema

SPECS = Path(__file__).parent / "specs"


def load_spec(name):
    return json.loads((SPECS / f"{name}.json").read_text())


def _compile(template):
    """'/a/{x}/b/{rest+}' -> regex; '{name+}' may contain slashes."""
    out, names = "^", []
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name.endswith("+")
            name = name.rstrip("+")
            names.append(name)
            out += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            out += re.escape(part)
    return re.compile(out + "$")


class Request:
    def __init__(self, method, path, query, headers, body, op, params):
        self.method, self.path, self.query, self.headers = method, path, query, headers
        self.body, self.op, self.params = body, op, params

    def json(self):
        return json.loads(self.body) if self.body else None


class SpecDouble:
    """A loopback HTTP server validating requests against ``spec``; ``handler(req)`` answers."""

    def __init__(self, spec_name, handler, auth_header=None, auth_value=None):
        self.spec = load_spec(spec_name)
        self.ops = [(op, _compile(op["path"])) for op in self.spec["operations"]]
        self.handler = handler
        self.auth_header, self.auth_value = auth_header, auth_value
        self.requests, self.violations = [], []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload, headers = double.dispatch(self.command, self.path, dict(self.headers), body)
                data = b"" if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- validation -------------------------------------------------------------------------
    def _violation(self, text):
        self.violations.append(text)
        return 400, {"message": "contract violation: " + text}, {}

    def dispatch(self, method, raw_path, headers, body):
        parts = urlsplit(raw_path)
        path = parts.path
        query = dict(parse_qs(parts.query, keep_blank_values=True))
        if self.auth_header and headers.get(self.auth_header) != self.auth_value:
            return getattr(self.handler, "auth_failure", (401, {"message": "bad credentials"}, {}))
        for op, rx in self.ops:
            m = rx.match(path)
            if not m or op["method"] != method:
                continue
            params = {k: unquote(v) for k, v in m.groupdict().items()}
            for name, schema in (op.get("path_params") or {}).items():
                try:
                    jsonschema.validate(params[name], schema)
                except jsonschema.ValidationError as e:
                    return self._violation(f"{op['operationId']}: path parameter {name}: {e.message}")
            for name, values in query.items():
                if name not in op.get("query", {}):
                    return self._violation(f"{op['operationId']}: query parameter {name!r} is not in the spec")
                qschema = op["query"][name]
                for v in values:
                    value = int(v) if qschema.get("type") == "integer" and v.lstrip("-").isdigit() else v
                    if qschema.get("type") == "boolean":
                        value = v in ("true", "false") and v == "true"
                    try:
                        jsonschema.validate(value, qschema)
                    except jsonschema.ValidationError as e:
                        return self._violation(f"{op['operationId']}: query {name}: {e.message}")
            if op.get("body") is None:
                if body:
                    return self._violation(f"{op['operationId']}: takes no body")
            else:
                ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
                if ctype not in op.get("content_types", ["application/json"]):
                    return self._violation(f"{op['operationId']}: content type {ctype!r} not in {op.get('content_types')}")
                try:
                    doc = json.loads(body or b"null")
                except ValueError:
                    return self._violation(f"{op['operationId']}: body is not JSON")
                schema = dict(op["body"], definitions=self.spec["definitions"])
                try:
                    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
                except jsonschema.ValidationError as e:
                    where = "/".join(str(p) for p in e.absolute_path)
                    return self._violation(f"{op['operationId']}: body {where}: {e.message[:200]}")
            req = Request(method, path, query, headers, body, op, params)
            self.requests.append(req)
            status, payload, extra = self.handler(req)
            # Errors (4xx/5xx) are the double's business; a success must be a documented one.
            if str(status).startswith("2") and str(status) not in op.get("responses", []):
                self.violations.append(f"{op['operationId']}: double answered {status}, not a documented response")
            return status, payload, extra
        return self._violation(f"{method} {path} is not an operation of the spec")

    def writes(self):
        return [r for r in self.requests if r.method in ("PUT", "POST", "PATCH", "DELETE")]


# --- vendor behaviour -------------------------------------------------------------------------
class VaultKv2:
    """KV v2 as the real Vault answers (checked against harness/vaultdev, Vault 1.21.4): a bad or
    missing token gets 403 "permission denied"; DELETE soft-deletes the latest version (no new
    version), after which a read is 404 *with* that version's metadata and the next write's
    check-and-set must name it; a secret never written reads 404 with no error."""
    auth_failure = (403, {"errors": ["permission denied"]}, {})

    def __init__(self):
        self.data = {}  # (mount, path) -> list of versions (dict, or None once deleted)

    def __call__(self, req):
        key = (req.params["kv_v2_mount_path"], req.params["path"])
        versions = self.data.setdefault(key, [])
        if req.method == "GET":
            if not versions:
                return 404, {"errors": []}, {}
            metadata = {"version": len(versions), "deletion_time": "" if versions[-1] is not None else
                        "2026-01-01T00:00:00Z", "destroyed": False, "custom_metadata": None,
                        "created_time": "2026-01-01T00:00:00Z"}
            if versions[-1] is None:
                return 404, {"data": {"data": None, "metadata": metadata}}, {}
            return 200, {"data": {"data": versions[-1], "metadata": metadata}}, {}
        if req.method == "POST":
            doc = req.json()
            cas = (doc.get("options") or {}).get("cas")
            if cas is not None and cas != len(versions):
                return 400, {"errors": ["check-and-set parameter did not match the current version"]}, {}
            versions.append(doc["data"])
            return 200, {"data": {"version": len(versions)}}, {}
        if req.method == "DELETE":
            if versions:
                versions[-1] = None
            return 204, None, {}


class Gitea:
    def __init__(self):
        self.secrets = {}  # (scope, NAME) -> value

    def __call__(self, req):
        p = req.params
        scope = f"{p['owner']}/{p['repo']}" if "repo" in p else (f"org:{p['org']}" if "org" in p else "user")
        if req.method == "GET":
            names = sorted(n for (s, n) in self.secrets if s == scope)
            return 200, [{"name": n, "created_at": "2026-01-01T00:00:00Z"} for n in names], {}
        name = p["secretname"].upper()
        if req.method == "PUT":
            existed = (scope, name) in self.secrets
            self.secrets[(scope, name)] = req.json()["data"]
            return (204 if existed else 201), None, {}
        if req.method == "DELETE":
            self.secrets.pop((scope, name), None)
            return 204, None, {}


class GitHub:
    def __init__(self):
        from nacl.public import PrivateKey
        self.private = PrivateKey.generate()
        self.key_id = "568250167242549743"
        self.secrets = {}

    def decrypt(self, scope, name):
        from nacl.public import SealedBox
        return SealedBox(self.private).decrypt(base64.b64decode(self.secrets[(scope, name)]["encrypted_value"])).decode()

    def __call__(self, req):
        p = req.params
        scope = f"{p['owner']}/{p['repo']}" if "repo" in p else f"org:{p['org']}"
        if req.path.endswith("/public-key"):
            return 200, {"key_id": self.key_id, "key": base64.b64encode(bytes(self.private.public_key)).decode()}, {}
        name = p["secret_name"]
        if req.method == "GET":
            if (scope, name) not in self.secrets:
                return 404, {"message": "Not Found"}, {}
            return 200, {"name": name, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}, {}
        if req.method == "PUT":
            doc = req.json()
            if doc["key_id"] != self.key_id:
                return 422, {"message": "bad key id"}, {}
            existed = (scope, name) in self.secrets
            self.secrets[(scope, name)] = doc
            return (204 if existed else 201), None, {}
        if req.method == "DELETE":
            self.secrets.pop((scope, name), None)
            return 204, None, {}


def _op_id():
    return uuid.uuid4().hex[:26]


class OnePasswordConnect:
    def __init__(self):
        self.vault_id = _op_id()
        self.item_id = _op_id()
        self.items = {self.item_id: {
            "id": self.item_id, "title": "Forgejo Secrets", "vault": {"id": self.vault_id}, "category": "LOGIN",
            "version": 1, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "fields": [{"id": "username", "type": "STRING", "purpose": "USERNAME", "label": "username", "value": "ci"},
                       {"id": "password", "type": "CONCEALED", "purpose": "PASSWORD", "label": "password",
                        "value": "unrelated", "entropy": 40.0}]}}

    def __call__(self, req):
        if req.path == "/v1/vaults":
            return 200, [{"id": self.vault_id, "name": "blumeops"}] if 'name eq "blumeops"' in req.query.get("filter", [""])[0] else [], {}
        if req.params.get("vaultUuid") != self.vault_id:
            return 404, {"status": 404, "message": "vault not found"}, {}
        if "itemUuid" not in req.params:
            want = req.query.get("filter", [""])[0]
            return 200, [dict((k, v) for k, v in i.items() if k != "fields") for i in self.items.values()
                         if f'title eq "{i["title"]}"' == want], {}
        item = self.items.get(req.params["itemUuid"])
        if item is None:
            return 404, {"status": 404, "message": "item not found"}, {}
        if req.method == "GET":
            return 200, item, {}
        doc = req.json()
        doc["version"] = item["version"] + 1
        doc["createdAt"], doc["updatedAt"] = item["createdAt"], "2026-01-02T00:00:00Z"
        self.items[item["id"]] = doc
        return 200, doc, {}

    def field(self, label):
        return next(f.get("value") for f in self.items[self.item_id]["fields"] if f["label"] == label)


class Kubernetes:
    def __init__(self):
        self.secrets = {}

    def __call__(self, req):
        ns = req.params["namespace"]
        if req.method == "POST":
            doc = req.json()
            key = (ns, doc["metadata"]["name"])
            if key in self.secrets:
                return 409, {"kind": "Status", "reason": "AlreadyExists"}, {}
            self.secrets[key] = doc
            return 201, doc, {}
        key = (ns, req.params["name"])
        if key not in self.secrets:
            return 404, {"kind": "Status", "reason": "NotFound", "code": 404}, {}
        if req.method == "GET":
            return 200, self.secrets[key], {}
        if req.method == "PATCH":
            patch = req.json()
            data = dict(self.secrets[key].get("data") or {})
            for k, v in (patch.get("data") or {}).items():
                if v is None:
                    data.pop(k, None)
                else:
                    data[k] = v
            self.secrets[key]["data"] = data
            return 200, self.secrets[key], {}
        if req.method == "DELETE":
            del self.secrets[key]
            return 200, {"kind": "Status", "status": "Success"}, {}
