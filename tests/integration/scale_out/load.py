"""A bounded loop of pulls and pushes through the load balancer, recording every failed request."""
import hashlib
import threading
import time

import requests

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class RegistryLoad(threading.Thread):
    """Pulls ``repo:base`` (manifest + every blob) and, every ``push_every`` rounds, pushes a new blob
    (monolithic upload) and a new tag, until stop() or ``max_seconds``. A failure is any exception or
    unexpected status."""

    def __init__(self, url, repo, auth, push_every=3, max_seconds=300):
        super().__init__(daemon=True)
        self.url, self.repo, self.auth = url, repo, auth
        self.push_every, self.max_seconds = push_every, max_seconds
        self.session = requests.Session()
        self.requests = 0
        self.failures = []
        self._stop_event = threading.Event()
        base = self.session.get(f"{url}/v2/{repo}/manifests/base", headers={"Accept": MANIFEST}, timeout=10)
        base.raise_for_status()
        self.manifest = base.content
        doc = base.json()
        self.blobs = [doc["config"]["digest"]] + [layer["digest"] for layer in doc["layers"]]

    def _call(self, method, path, ok, **kwargs):
        self.requests += 1
        try:
            response = self.session.request(method, f"{self.url}{path}", timeout=30, **kwargs)
            if response.status_code not in ok:
                self.failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        except requests.RequestException as error:
            self.failures.append(f"{method} {path}: {error}")

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        round_ = 0
        while not self._stop_event.is_set() and time.monotonic() < deadline:
            round_ += 1
            self._call("GET", f"/v2/{self.repo}/manifests/base", (200,), headers={"Accept": MANIFEST})
            for digest in self.blobs:
                self._call("GET", f"/v2/{self.repo}/blobs/{digest}", (200,))
            if round_ % self.push_every == 0:
                blob = f"load {id(self)} {round_} {time.time()}".encode()
                digest = "sha256:" + hashlib.sha256(blob).hexdigest()
                self._call("POST", f"/v2/{self.repo}/blobs/uploads/?digest={digest}", (201,), data=blob,
                           auth=self.auth, headers={"Content-Type": "application/octet-stream"})
                self._call("PUT", f"/v2/{self.repo}/manifests/load-{round_}", (201,), data=self.manifest,
                           auth=self.auth, headers={"Content-Type": MANIFEST})

    def stop(self):
        self._stop_event.set()
        self.join(60)
        return self
