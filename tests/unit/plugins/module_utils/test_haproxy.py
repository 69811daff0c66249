"""haproxy: how the runtime API's server state is read (haproxy_server's drain and wait)."""
import pytest

from ansible_collections.zotops.zot.plugins.module_utils import haproxy


@pytest.mark.parametrize("status,state,done", [
    ({"status": "UP", "scur": "0", "qcur": "0"}, "ready", True),
    ({"status": "UP 1/2", "scur": "0", "qcur": "0"}, "ready", False),
    ({"status": "DRAIN", "scur": "2", "qcur": "0"}, "drain", False),
    ({"status": "DRAIN", "scur": "0", "qcur": "0"}, "drain", True),
    ({"status": "MAINT", "scur": "0", "qcur": "0"}, "maint", True),
])
def test_haproxy_settled(status, state, done):
    assert haproxy.settled(status, state) is done


def test_haproxy_current_state():
    assert haproxy.current_state({"status": "MAINT"}) == "maint"
    assert haproxy.current_state({"status": "DRAIN"}) == "drain"
    assert haproxy.current_state({"status": "DOWN"}) == "ready"
