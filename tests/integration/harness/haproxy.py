"""Debian's haproxy on loopback: the load balancer in front of zot replicas, with its admin runtime API."""
import shutil
from pathlib import Path

from .process import ManagedProcess, ServiceError, free_port

CONFIG = """global
    stats socket {socket} mode 600 level admin
    stats timeout 30s

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    # A replica that refuses a connection (stopped, killed) costs no request: HAProxy tries another.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 503

frontend registry
    bind 127.0.0.1:{port}
    default_backend zot

backend zot
    balance roundrobin
    option httpchk GET /v2/
    http-check expect rstatus ^(200|401)$
    default-server check inter 500ms fall 2 rise 2
{servers}
"""


def haproxy_binary():
    path = shutil.which("haproxy") or (shutil.which("haproxy", path="/usr/sbin:/sbin") if Path("/usr/sbin").exists() else None)
    return (path, None) if path else (None, "haproxy is not installed (scripts/setup-dev-env.sh installs it)")


class HAProxy:
    """HAProxy balancing one backend `zot` over {name: port or "address:port"} replicas."""

    def __init__(self, workdir, servers):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.socket = str(self.workdir / "admin.sock")
        binary, reason = haproxy_binary()
        if not binary:
            raise ServiceError(reason)
        # {name: port} on loopback, or {name: "address:port"} (replicas on booted test hosts)
        lines = "\n".join(f"    server {name} {target if ':' in str(target) else f'127.0.0.1:{target}'}"
                          for name, target in servers.items())
        self.config = self.workdir / "haproxy.cfg"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(CONFIG.format(socket=self.socket, port=self.port, servers=lines))
        self.process = ManagedProcess("haproxy", [binary, "-db", "-f", self.config], self.workdir)

    def start(self, timeout=30):
        self.process.start()
        self.process.wait_until(lambda: Path(self.socket).exists(), timeout, "admin socket")
        return self

    def stop(self):
        self.process.stop()
