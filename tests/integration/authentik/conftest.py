"""Fixtures for the authentik modules' tests: the real authentik (harness/authentik.py) behind a recording
proxy, reset to its start after each test; and the API double, once per release shape, for what one real
server cannot be (other releases' models)."""
import socket

import pytest

from integration.authentik.authentik_double import AuthentikDouble
from integration.authentik.real import RealAuthentik, RecordingProxy
from integration.authentik.releases import RELEASES


@pytest.fixture(scope="session")
def _ak_session(authentik_server):
    proxy = RecordingProxy(authentik_server).start()
    real = RealAuthentik(authentik_server, proxy)
    baseline = real.keys()
    yield real, baseline
    proxy.stop()


@pytest.fixture
def real_authentik(_ak_session):
    """The session's real authentik, as the modules reach it (through the recording proxy); whatever a
    test made is deleted afterwards."""
    real, baseline = _ak_session
    real.clear_log()
    del real.proxy.refusals[:]
    yield real
    del real.proxy.refusals[:]
    real.reset(baseline)


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
