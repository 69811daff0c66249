"""Debian's containerd on a private socket and root, driven with `ctr`: a registry client that reads
mirrors from a hosts directory (certs.d/<registry>/hosts.toml), as a Kubernetes node's does."""
import shutil
import subprocess
from pathlib import Path

from .process import ManagedProcess


def containerd_binaries():
    """(path of containerd, None) when containerd and ctr are installed, else (None, why not)."""
    daemon, ctr = shutil.which("containerd"), shutil.which("ctr")
    if daemon and ctr:
        return daemon, None
    return None, "containerd/ctr are not installed (scripts/setup-dev-env.sh installs Debian's containerd)"


class Containerd:
    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.socket = self.workdir / "containerd.sock"
        config = self.workdir / "config.toml"
        self.workdir.mkdir(parents=True, exist_ok=True)
        # Only what pulling needs: no CRI (no kubelet here), the native snapshotter (works on any
        # filesystem), a root and state of its own.
        config.write_text(
            "version = 2\n"
            f'root = "{self.workdir / "root"}"\n'
            f'state = "{self.workdir / "state"}"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{self.socket}"\n'
            f'[ttrpc]\n  address = "{self.socket}.ttrpc"\n'
            '[debug]\n  level = "info"\n')
        daemon, reason = containerd_binaries()
        if daemon is None:
            raise RuntimeError(reason)
        self.process = ManagedProcess("containerd", [daemon, "--config", config], self.workdir)

    def start(self, timeout=30):
        self.process.start()
        self.process.wait_until(lambda: self.ctr("version").returncode == 0, timeout, "answer on its socket")
        return self

    def ctr(self, *args, namespace="zotops"):
        return subprocess.run(["ctr", "--address", str(self.socket), "--namespace", namespace, *args],
                              capture_output=True, text=True, timeout=300, check=False)

    def stop(self):
        self.process.stop()
