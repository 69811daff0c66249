"""containerd pulling through zot's pull-through cache, as the seeds' cluster does.

zot's config is what zotops.zot.server builds from `zot_pull_through` (the zot_config filter, as data);
containerd reads a certs.d/docker.io/hosts.toml mirror pointing at zot under zot's namespace
convention (`<zot>/v2/docker.io/...`, override_path). The upstream sits behind a counting proxy.
The first pull goes upstream through zot's on-demand sync. Later pulls (containerd's own copy
removed each time) get every blob from zot's storage: by tag, zot v2.1.20 still asks the upstream
for the tag's manifest (it syncs a tag on demand to see whether it moved: pkg/api/routes.go,
getImageManifest); by digest the upstream sees no request; and with the upstream gone the tag
still pulls from the cache.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from ansible_collections.zotops.zot.plugins.filter.zot_config import zot_config
from integration.harness import containerd
from integration.harness.env import require
from integration.harness.process import free_port

pytestmark = [pytest.mark.zot, pytest.mark.slow]


class CountingProxy:
    """Forwards every request to the upstream registry and counts them."""

    def __init__(self, upstream):
        self.requests = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                seen.append(f"{self.command} {self.path}")
                answer = requests.request(self.command, upstream + self.path, timeout=60, allow_redirects=False,
                                          headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                body = b"" if self.command == "HEAD" else answer.content
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("transfer-encoding", "content-length", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", answer.headers.get("Content-Length", str(len(body)))
                                 if self.command == "HEAD" else str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_HEAD = _forward

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


@pytest.fixture
def containerd_client(tmp_path_factory):
    require(containerd.containerd_binaries())
    client = containerd.Containerd(tmp_path_factory.mktemp("containerd"))
    try:
        yield client.start()
    finally:
        client.stop()


def test_containerd_pulls_through_zot_then_from_its_storage(zot_factory, registry_upstream, containerd_client,
                                                            tmp_path):
    proxy = CountingProxy(registry_upstream.url)
    try:
        config = zot_config({"zot_data_dir": str(tmp_path / "zot-data"), "zot_log_output": "", "zot_log_level": "info",
                             "zot_http_address": "127.0.0.1", "zot_http_port": free_port(),
                             "zot_pull_through": [{"name": "docker.io", "url": proxy.url, "tls_verify": False}]})
        zot = zot_factory(config)
        # The mirror as docs/server-role.md gives it; containerd's fallback `server` answers nothing here,
        # so every byte containerd gets comes through zot.
        hosts = tmp_path / "certs.d" / "docker.io"
        hosts.mkdir(parents=True)
        (hosts / "hosts.toml").write_text(
            f'server = "http://127.0.0.1:{free_port()}"\n\n'
            f'[host."http://127.0.0.1:{zot.port}/v2/docker.io"]\n'
            '  capabilities = ["pull", "resolve"]\n'
            '  override_path = true\n')
        pull = ["images", "pull", "--hosts-dir", str(tmp_path / "certs.d"), "--snapshotter", "native",
                "docker.io/library/hello:1"]

        first = containerd_client.ctr(*pull)
        assert first.returncode == 0, first.stderr + first.stdout
        upstream_first = list(proxy.requests)
        assert any("/v2/library/hello/manifests/1" in r for r in upstream_first), upstream_first
        assert "docker.io/library/hello" in requests.get(f"{zot.url}/v2/_catalog", timeout=10).json()["repositories"]

        blobs_first = [r for r in upstream_first if "/blobs/" in r]
        assert blobs_first, upstream_first

        def forget(ref="docker.io/library/hello:1"):
            """Drop containerd's own copy (image, then its content, collected at once with --sync): the
            next pull fetches every byte again."""
            assert containerd_client.ctr("images", "rm", "--sync", ref).returncode == 0
            leftover = containerd_client.ctr("content", "ls", "-q").stdout.split()
            if leftover:
                containerd_client.ctr("content", "rm", *leftover)
            assert containerd_client.ctr("content", "ls", "-q").stdout.split() == []

        # Second pull by tag: zot v2.1.20 asks the upstream whether the tag moved (one manifest
        # request), and serves every blob from its storage.
        forget()
        second = containerd_client.ctr(*pull)
        assert second.returncode == 0, second.stderr + second.stdout
        again = proxy.requests[len(upstream_first):]
        assert again and all(r == "GET /v2/library/hello/manifests/1" for r in again), again
        # By digest, as a pod spec pins it: nothing reaches the upstream.
        digest = requests.head(f"{zot.url}/v2/docker.io/library/hello/manifests/1", timeout=10,
                               headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}
                               ).headers["Docker-Content-Digest"]
        forget()
        asked = len(proxy.requests)
        pinned = containerd_client.ctr(*pull[:-1], f"docker.io/library/hello:1@{digest}")
        assert pinned.returncode == 0, pinned.stderr + pinned.stdout
        assert proxy.requests[asked:] == []

        # With the upstream gone, the cache still serves the image (the tag too).
        proxy.stop()
        forget(f"docker.io/library/hello:1@{digest}")
        offline = containerd_client.ctr(*pull)
        assert offline.returncode == 0, offline.stderr + offline.stdout
    finally:
        proxy.stop()
