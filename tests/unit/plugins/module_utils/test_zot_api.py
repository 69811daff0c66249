"""zot's API client (plugins/module_utils/zot_api.py): how it authenticates. Its requests against
zot's /zot/auth/apikey contract are exercised through the rotation engine in test_api_key_rotation.py
and against a real zot in tests/integration/api_keys."""
from ansible_collections.zotops.zot.plugins.module_utils.zot_api import ZotClient


def test_session_cookie_sends_the_ui_header():
    c = ZotClient("http://z", username="ci", session_cookie="abc")
    h = c._headers()
    assert h["Cookie"] == "session=abc" and h["X-ZOT-API-CLIENT"] == "zot-ui" and "Authorization" not in h
