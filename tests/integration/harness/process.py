"""Start and stop the processes the harness owns."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests


def free_port():
    """A loopback TCP port free right now (chosen by the kernel)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceError(RuntimeError):
    pass


class ManagedProcess:
    """A child process in its own session, logging to a file; stop() ends its whole group."""

    def __init__(self, name, argv, log_dir, env=None, cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_dir) / f"{name}.log"
        self.env = env
        self.cwd = cwd
        self.proc = None

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, cwd=self.cwd, start_new_session=True)
        log.close()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_until(self, ready, timeout, what):
        """Poll ready() until it is true; fail early, with the log, if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise ServiceError(f"{self.name} exited ({self.proc.returncode}) before {what}:\n{self.log_tail()}")
            try:
                if ready():
                    return
            except (requests.RequestException, OSError):
                pass
            time.sleep(0.2)
        raise ServiceError(f"{self.name}: no {what} after {timeout}s:\n{self.log_tail()}")

    def wait_http(self, url, timeout=60, ok=(200,)):
        self.wait_until(lambda: requests.get(url, timeout=2).status_code in ok, timeout, f"answer from {url}")

    def stop(self, timeout=15):
        if not self.running():
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(5)
