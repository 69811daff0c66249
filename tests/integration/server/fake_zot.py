"""A stand-in for the zot binary, for role *mechanics* tests only (download, checksum, files, modes,
check mode, idempotence, verify-before-replace, restart and rollback) where no real zot exists.

It is NOT a registry double: `verify` checks the config's shape the way `zot verify` rejects the
common mistakes (unknown top-level key, wrong types, missing credentials file), `serve` answers
/v2/ with 401 when authentication is configured and 200 otherwise, and `serve` exits when
it cannot listen or an OpenID issuer does not answer (to exercise the rollback). Registry behaviour is tested against
the real zot in the other test files of this directory. It exits when it cannot bind its port.
"""
import http.server
import json
import os
import signal
import sys
import urllib.request

TOP = {"distSpecVersion", "storage", "http", "log", "extensions", "scheduler", "cluster"}


def fail(message):
    sys.stderr.write("Error: invalid server config: %s\n" % message)
    sys.exit(1)


def load(path):
    try:
        with open(path) as handle:
            config = json.load(handle)
    except (OSError, ValueError) as err:
        fail("cannot read %s: %s" % (path, err))
    unknown = set(config) - TOP
    if unknown:
        fail("unknown keys %s" % sorted(unknown))
    storage = config.get("storage")
    if not isinstance(storage, dict) or not isinstance(storage.get("rootDirectory"), str):
        fail("storage.rootDirectory is required")
    for key in ("dedupe", "gc"):
        if key in storage and not isinstance(storage[key], bool):
            fail("storage.%s must be a bool" % key)
    http_conf = config.get("http", {})
    if not str(http_conf.get("port", "")).isdigit():
        fail("http.port must be a number")
    auth = http_conf.get("auth", {})
    files = [auth.get("htpasswd", {}).get("path")] if auth.get("htpasswd") else []
    files.append(auth.get("ldap", {}).get("credentialsFile"))
    files.extend(p.get("credentialsFile") for p in auth.get("openid", {}).get("providers", {}).values())
    for path in filter(None, files):
        if not os.access(path, os.R_OK):
            fail("cannot read %s" % path)
    return config


def serve(config):
    http_conf = config["http"]
    log_path = config.get("log", {}).get("output")
    log = open(log_path, "a") if log_path else sys.stdout
    status = 401 if http_conf.get("auth") else 200

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status if self.path.startswith("/v2/") else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, fmt, *args):
            log.write('{"level":"info","message":"%s"}\n' % (fmt % args))
            log.flush()

    # Like zot, which asks each OpenID issuer for its discovery document at start and panics
    # when it does not answer. Only loopback issuers are asked: the mechanics tests' other issuers
    # are names that resolve nowhere.
    for provider in http_conf.get("auth", {}).get("openid", {}).get("providers", {}).values():
        issuer = provider.get("issuer") or ""
        if issuer.startswith("http://127.0.0.1:"):
            try:
                urllib.request.urlopen(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=3).close()
            except OSError as err:
                log.write('{"level":"panic","error":"%s","message":"failed to get new relying party"}\n' % err)
                log.flush()
                sys.exit(2)
    try:
        server = http.server.HTTPServer((http_conf.get("address", "127.0.0.1"), int(http_conf["port"])), Handler)
    except OSError as err:
        log.write('{"level":"error","error":"%s","message":"failed to listen"}\n' % err)
        log.flush()
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    log.write('{"level":"info","message":"fake zot listening on %s"}\n' % http_conf["port"])
    log.flush()
    server.serve_forever()


def main(argv):
    if len(argv) == 3 and argv[1] in ("verify", "serve"):
        config = load(argv[2])
        if argv[1] == "verify":
            sys.stdout.write("config %s is valid\n" % argv[2])
            return 0
        serve(config)
        return 0
    sys.stderr.write("usage: zot verify|serve CONFIG\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
