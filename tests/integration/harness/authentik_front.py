"""The part of authentik's Go server the tests need, in front of its Python core (gunicorn).

authentik's Go server serves the web UI's built files itself and hands every other request to
gunicorn. Its Go module host (goauthentik.io) is not on the module proxy these machines reach, so this
does the same two things for the routes a browser login uses (internal/web/static.go at 2025.12):

  /static/dist/...                  -> web/dist/...
  /static/authentik/...             -> web/authentik/...
  /if/flow/<slug>/assets/...,
  /if/admin/assets/..., /if/user/assets/...  -> web/dist/assets/...
  anything else                     -> gunicorn, unchanged (Host kept, so authentik's URLs name this port)

Standard library only. Usage: authentik_front.py --listen PORT --backend PORT --web DIR
"""
import argparse
import http.client
import mimetypes
import posixpath
import re
import shutil
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}
ASSETS = re.compile(r"^/if/(?:flow/[^/]+|admin|user)(/assets/.*)$")


def static_file(web, path):
    """The file a static route names, or None when the path is not a static route."""
    if path.startswith("/static/dist/"):
        root, rest = web / "dist", path[len("/static/dist/"):]
    elif path.startswith("/static/authentik/"):
        root, rest = web / "authentik", path[len("/static/authentik/"):]
    elif ASSETS.match(path):
        root, rest = web / "dist", ASSETS.match(path).group(1).lstrip("/")
    else:
        return None
    rest = posixpath.normpath(unquote(rest)).lstrip("/")
    if rest.startswith(".."):
        return root / "\0"  # never outside the root
    return root / rest


class Front(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    web = None
    backend = None

    def log_message(self, fmt, *args):  # the core logs requests; keep the test output short
        pass

    def _static(self, file):
        if not file.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        kind = mimetypes.guess_type(str(file))[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(file.stat().st_size))
        self.send_header("Cache-Control", "public, max-age=86400")
        self.end_headers()
        if self.command != "HEAD":
            with open(file, "rb") as body:
                shutil.copyfileobj(body, self.wfile)

    def _proxy(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = self.client_address[0]
        headers["X-Forwarded-Proto"] = "http"
        conn = http.client.HTTPConnection("127.0.0.1", self.backend, timeout=120)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except OSError as exc:
            message = f"authentik's core did not answer: {exc}".encode()
            self.send_response(502)
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        finally:
            conn.close()
        self.send_response_only(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self):
        file = static_file(self.web, urlsplit(self.path).path)
        if file is not None and self.command in ("GET", "HEAD"):
            self._static(file)
        else:
            self._proxy()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--backend", type=int, required=True)
    parser.add_argument("--web", type=Path, required=True)
    args = parser.parse_args()
    Front.web, Front.backend = args.web, args.backend
    server = ThreadingHTTPServer(("127.0.0.1", args.listen), Front)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
