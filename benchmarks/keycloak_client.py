#!/usr/bin/env python
"""Benchmark (not a test): zotops.zot.keycloak_oidc_client vs community.general.keycloak_client.

For the same client (confidential, standard flow, redirect URIs, post-logout URIs, web origins, a
groups mapper), it measures a create and a no-op of each module: wall time of the module process and
the number of HTTP requests that reached Keycloak, counted by a loopback proxy in front of it (so both
modules are counted the same way, whatever they log).

Usage:
  .venv/bin/python benchmarks/keycloak_client.py [--runs 5]
      starts a Keycloak with the test harness (tests/integration/harness/keycloak.py) and stops it after;
  ZOTOPS_BENCH_KEYCLOAK_URL=http://127.0.0.1:8080 ZOTOPS_BENCH_KEYCLOAK_USER=admin \\
  ZOTOPS_BENCH_KEYCLOAK_PASSWORD=... .venv/bin/python benchmarks/keycloak_client.py
      uses a Keycloak that is already running.

Each module runs as Ansible runs it on the target (python <module> <args.json>), without the
controller's per-task overhead, which is the same for both.
"""
import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from integration.harness.ansible import collection_tree  # noqa: E402
from integration.harness.env import venv_bin  # noqa: E402
from integration.harness.process import free_port  # noqa: E402


class CountingProxy:
    """Forwards every request to Keycloak and counts it by method."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlparse(upstream)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                proxy.log.append((self.command, self.path.split("?")[0], response.status))
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = _forward  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def take(self):
        taken, self.log[:] = list(self.log), []
        return taken

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def module_path(fqcn):
    namespace, collection, name = fqcn.split(".")
    roots = [collection_tree()] + [Path(p) for p in sys.path if p.endswith("site-packages")]
    for root in roots:
        path = Path(root, "ansible_collections", namespace, collection, "plugins", "modules", name + ".py")
        if path.exists():
            return path
    raise SystemExit(f"cannot find module {fqcn}")


def run_module(fqcn, args):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        # As a task with no_log: true: ours returns the client secret only to such a task (any other
        # would print it at -v), and community.general's keycloak_clientsecret_info is read the same way.
        json.dump({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_no_log=True)}, handle)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(collection_tree())] + [p for p in sys.path if p.endswith("site-packages")])
    try:
        started = time.perf_counter()
        # -m, not the file: a module's own directory must not shadow the standard library
        # (community.general has a module named pkgutil).
        module_path(fqcn)
        proc = subprocess.run([venv_bin("python"), "-m", "ansible_collections.%s.%s.plugins.modules.%s"
                               % tuple(fqcn.split(".")), handle.name],
                              capture_output=True, text=True, env=env, timeout=300, cwd=tempfile.gettempdir(),
                              check=False)
        elapsed = time.perf_counter() - started
    finally:
        os.unlink(handle.name)
    try:
        result = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise SystemExit(f"{fqcn} printed no result:\n{proc.stdout}\n{proc.stderr}")
    if result.get("failed"):
        raise SystemExit(f"{fqcn} failed: {result.get('msg')}")
    return elapsed, result


def ours_args(url, user, password, realm, client_id, external):
    return {"keycloak_url": url, "auth_username": user, "auth_password": password, "realm": realm,
            "client_id": client_id, "name": "zot registry", "root_url": external,
            "redirect_uris": [f"{external}/zot/auth/callback/oidc"], "post_logout_redirect_uris": [f"{external}/*"],
            "web_origins": [external], "groups_claim": True}


def general_args(url, user, password, realm, client_id, external):
    return {"auth_keycloak_url": url, "auth_realm": "master", "auth_username": user, "auth_password": password,
            "realm": realm, "client_id": client_id, "name": "zot registry", "root_url": external,
            "redirect_uris": [f"{external}/zot/auth/callback/oidc"], "web_origins": [external],
            "attributes": {"post.logout.redirect.uris": f"{external}/*"},
            "protocol": "openid-connect", "public_client": False, "client_authenticator_type": "client-secret",
            "standard_flow_enabled": True, "direct_access_grants_enabled": False, "implicit_flow_enabled": False,
            "protocol_mappers": [{"name": "groups", "protocol": "openid-connect",
                                  "protocolMapper": "oidc-group-membership-mapper",
                                  "config": {"claim.name": "groups", "full.path": "false", "id.token.claim": "true",
                                             "access.token.claim": "true", "userinfo.token.claim": "true",
                                             "introspection.token.claim": "true"}}],
            "state": "present"}


def admin_token(url, user, password):
    response = requests.post(f"{url}/realms/master/protocol/openid-connect/token", data={
        "grant_type": "password", "client_id": "admin-cli", "username": user, "password": password}, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median is printed)")
    options = parser.parse_args()

    server = None
    url = os.environ.get("ZOTOPS_BENCH_KEYCLOAK_URL")
    user = os.environ.get("ZOTOPS_BENCH_KEYCLOAK_USER", "kcadmin")
    password = os.environ.get("ZOTOPS_BENCH_KEYCLOAK_PASSWORD")
    if not url:
        from integration.harness.keycloak import Keycloak
        workdir = Path(tempfile.mkdtemp(prefix="zotops-bench-kc-"))
        password = secrets.token_urlsafe(16)
        print("starting Keycloak (harness) ...", flush=True)
        server = Keycloak(workdir, password).start()
        url, user = server.url, server.admin_user
    proxy = CountingProxy(url)
    realm = "bench-" + secrets.token_hex(3)
    headers = {"Authorization": f"Bearer {admin_token(url, user, password)}"}
    requests.post(f"{url}/admin/realms", json={"realm": realm, "enabled": True}, headers=headers,
                  timeout=30).raise_for_status()
    external = "https://registry.bench.test"
    rows = []
    modules = (("zotops.zot.keycloak_oidc_client", "zotops.zot.keycloak_oidc_client", ours_args, None),
               ("community.general.keycloak_client", "community.general.keycloak_client", general_args,
                "community.general.keycloak_clientsecret_info"))
    cases = ("create", "no-op", "create + secret", "no-op + secret")
    measured = dict(((m[0], case), ([], [])) for m in modules for case in cases)
    try:
        for label, fqcn, make_args, dummy in modules:
            # Warm-up (Keycloak's JIT, imports) on a client of its own.
            run_module(fqcn, make_args(proxy.url, user, password, realm, f"warm-{label}", external))
            proxy.take()
        for run in range(options.runs):
            # Interleaved, first one then the other first, so load on the machine hits both alike.
            for label, fqcn, make_args, secret_fqcn in (modules if run % 2 == 0 else modules[::-1]):
                client_id = f"zot-{label.split('.', maxsplit=1)[0]}-{run}"
                for case in ("create", "no-op"):
                    elapsed, result = run_module(fqcn, make_args(proxy.url, user, password, realm, client_id, external))
                    assert result["changed"] == (case == "create"), (label, case, result.get("diff"))
                    counts = Counter(request[0] for request in proxy.take())
                    measured[(label, case)][0].append(elapsed)
                    measured[(label, case)][1].append(counts)
                    # zot needs the secret too: ours returns it; community.general's keycloak_client masks it
                    # in end_state, so its users read it with keycloak_clientsecret_info.
                    if secret_fqcn:
                        extra, secret = run_module(secret_fqcn, {
                            "auth_keycloak_url": proxy.url, "auth_realm": "master", "auth_username": user,
                            "auth_password": password, "realm": realm, "client_id": client_id})
                        assert secret.get("clientsecret_info", {}).get("value"), secret
                        elapsed += extra
                        counts = counts + Counter(request[0] for request in proxy.take())
                    else:
                        assert result.get("client_secret"), result
                    measured[(label, case + " + secret")][0].append(elapsed)
                    measured[(label, case + " + secret")][1].append(counts)
        for label, fqcn, make_args, secret_fqcn in modules:
            for case in cases:
                times, counts = measured[(label, case)]
                shown = label + " + clientsecret_info" if case.endswith("secret") and secret_fqcn else label
                rows.append((shown, case, statistics.median(times), counts[-1]))
    finally:
        proxy.stop()
        try:
            headers = {"Authorization": f"Bearer {admin_token(url, user, password)}"}
            requests.delete(f"{url}/admin/realms/{realm}", headers=headers, timeout=30)
        finally:
            if server is not None:
                server.stop()

    print(f"\nKeycloak {url}, median of {options.runs} runs; requests counted at a proxy in front of Keycloak")
    print(f"{'module(s)':54} {'case':15} {'wall s':>7} {'requests':>8}  by method")
    for label, case, wall, counts in sorted(rows, key=lambda r: (r[1], r[0])):
        methods = ", ".join(f"{m} {n}" for m, n in sorted(counts.items()))
        print(f"{label:54} {case:15} {wall:7.3f} {sum(counts.values()):8d}  {methods}")


if __name__ == "__main__":
    main()
