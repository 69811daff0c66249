"""Debian's redis-server on loopback: zot's shared cache, metadata and session store."""
import secrets
import shutil
import socket

from .process import ManagedProcess, ServiceError, free_port


def redis_server_binary():
    """Path of redis-server, or None with the reason (setup-dev-env.sh installs it)."""
    path = shutil.which("redis-server")
    return (path, None) if path else (None, "redis-server is not installed (scripts/setup-dev-env.sh installs it)")


class RedisServer:
    """A throwaway Redis (no persistence) that requires a password."""

    def __init__(self, workdir, password=None):
        self.workdir = workdir
        self.port = free_port()
        self.password = password or secrets.token_urlsafe(18)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        binary, reason = redis_server_binary()
        if not binary:
            raise ServiceError(reason)
        self.process = ManagedProcess("redis", [binary, "--port", self.port, "--bind", "127.0.0.1",
                                                "--save", "", "--appendonly", "no", "--requirepass", self.password,
                                                "--dir", workdir], workdir)

    def command(self, *args):
        """One command over RESP; returns the first reply line."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            stream = sock.makefile("rb")
            for cmd in (("AUTH", self.password), args):
                payload = f"*{len(cmd)}\r\n" + "".join(f"${len(str(a))}\r\n{a}\r\n" for a in cmd)
                sock.sendall(payload.encode())
                reply = stream.readline().decode().rstrip("\r\n")
            return reply

    def start(self, timeout=30):
        self.process.start()
        self.process.wait_until(lambda: self.command("PING") == "+PONG", timeout, "PONG")
        return self

    def stop(self):
        self.process.stop()
