"""Fixtures for the authentik modules' contract tests: a fresh API double per test, once per release shape."""
import socket

import pytest

from integration.authentik.authentik_double import AuthentikDouble
from integration.authentik.releases import RELEASES


@pytest.fixture(params=list(RELEASES), ids=[f"authentik-{r}" for r in RELEASES])
def authentik(request):
    """A running authentik API double on a free loopback port, seeded like a fresh install, behaving like the
    oldest and then the newest authentik release the modules support."""
    double = AuthentikDouble(release=request.param).seed_defaults().start()
    try:
        yield double
    finally:
        double.stop()


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
