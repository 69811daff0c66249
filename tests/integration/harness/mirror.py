"""A loopback HTTP server laid out like zot's GitHub releases, so roles download for real."""
import functools
import hashlib
import http.server
import shutil
import threading
from pathlib import Path


class ReleaseMirror:
    """Serves <root>/v<version>/{zot-linux-amd64, zot-linux-arm64, checksums.sha256.txt}, for one release
    or more (add())."""

    def __init__(self, root, version, binary):
        self.root = Path(root)
        self.version = version
        release = self.root / f"v{version}"
        release.mkdir(parents=True, exist_ok=True)
        sums = []
        # Only an amd64 build exists here; arm64 is the same bytes so multi-arch lookups resolve.
        for name in ("zot-linux-amd64", "zot-linux-arm64"):
            shutil.copyfile(binary, release / name)
            sums.append(f"{hashlib.sha256((release / name).read_bytes()).hexdigest()}  {name}")
        (release / "checksums.sha256.txt").write_text("\n".join(sums) + "\n")
        handler = functools.partial(_QuietHandler, directory=str(self.root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.requests = []
        self.server.mirror = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base_url = f"{self.url}/v{version}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, version, binary):
        """Serve another release beside the first, at base_url_for(version)."""
        release = self.root / f"v{version}"
        release.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(Path(binary).read_bytes()).hexdigest()
        for name in ("zot-linux-amd64", "zot-linux-arm64"):
            link = release / name
            if not link.exists():
                link.symlink_to(binary)  # the cached build itself: no 200 MB copy per release
        (release / "checksums.sha256.txt").write_text(
            "".join(f"{digest}  {name}\n" for name in ("zot-linux-amd64", "zot-linux-arm64")))
        return self

    def base_url_for(self, version):
        return f"{self.url}/v{version}"

    def sha256(self, name):
        return hashlib.sha256((self.root / f"v{self.version}" / name).read_bytes()).hexdigest()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        self.server.mirror.requests.append(self.path)
