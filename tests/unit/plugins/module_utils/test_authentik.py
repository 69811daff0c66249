"""Pure-Python checks of plugins/module_utils/authentik.py (no server needed)."""
import json

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import authentik as ak

TOKEN = "tok-0123456789abcdef"


def client():
    return ak.AuthentikClient("https://authentik.example.test/", TOKEN)


def test_field_errors_are_flattened_like_authentik_reports_them():
    body = {"redirect_uris": ["This field is required."], "non_field_errors": ["Only one of 'policy', 'group'."],
            "slug": ["application with this slug already exists.", "Enter a valid slug."]}
    assert ak._format_errors(body) == ("Only one of 'policy', 'group'., redirect_uris: This field is required., "
                                       "slug: application with this slug already exists.; Enter a valid slug.")


@pytest.mark.parametrize("status, body, expected", [
    (403, {"detail": "Token invalid/expired"}, "authentik refused the API token (HTTP 403 on GET /api/v3/x/"),
    (401, {"detail": f"bad token {TOKEN}"}, "check authentik_token"),
    (400, {"name": [f"echo {TOKEN}"]}, "authentik rejected GET /api/v3/x/ (HTTP 400): name: echo ********"),
    (404, {"detail": "Not found."}, "authentik answered HTTP 404 to GET /api/v3/x/: Not found."),
    (404, "<!DOCTYPE html><html>" + "x" * 400, "authentik answered HTTP 404 to GET /api/v3/x/: an HTML page instead"),
    (502, "<html>bad gateway</html>", "authentik rejected GET /api/v3/x/ (HTTP 502): an HTML page instead of a JSON"),
    (502, "upstream timed out\nmore", "(HTTP 502): a non-JSON answer starting 'upstream timed out'"),
])
def test_http_errors_are_clear_and_never_contain_the_token(status, body, expected):
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    error = client()._http_error("GET /api/v3/x/", status, raw)
    assert expected in error.message
    assert TOKEN not in error.message
    assert "<" not in error.message and "xxx" not in error.message
    assert error.status == status


def test_url_and_token_are_checked_before_any_request():
    with pytest.raises(ak.AuthentikError, match="authentik_url must be an http"):
        ak.AuthentikClient("authentik.example.test", TOKEN)
    with pytest.raises(ak.AuthentikError, match="authentik_token is empty"):
        ak.AuthentikClient("https://a.test", "")
    assert client().url == "https://authentik.example.test"


def test_changed_fields_treats_lists_as_sets_and_keeps_only_differences():
    current = {"property_mappings": ["b", "a"], "name": "zot", "sub_mode": "hashed_user_id", "extra": 1}
    desired = {"property_mappings": ["a", "b"], "name": "zot", "sub_mode": "user_username"}
    assert ak.changed_fields(current, desired) == {"sub_mode": "user_username"}


def test_module_options_may_not_shadow_connection_options():
    with pytest.raises(ValueError, match="timeout"):
        ak.new_authentik_module({"timeout": {"type": "int"}})


def test_undo_deletes_what_the_run_created_and_forgets_those_writes():
    c = client()
    calls = []

    def fake(method, target, query=None, body=None, expect_json=True):
        calls.append((method, target))
        if method == 'DELETE' and 'keep' in target:
            raise ak.AuthentikError('authentik refused the API token (HTTP 403 on DELETE %s: no)' % target, 403)
        c.written.append((method, ak.API_PREFIX + target))
        return {'pk': 'p%d' % len(calls)} if method == 'POST' else None

    c.request = fake
    c.create('/a/', {}, 'thing a')
    c.create('/keep/', {}, 'thing b')
    c.post('/other/', {})
    removed, left = c.undo()
    assert removed == ['thing a'] and len(left) == 1 and left[0].startswith('thing b (authentik refused')
    assert calls[-2:] == [('DELETE', '/keep/p2/'), ('DELETE', '/a/p1/')]
    assert c.written == [('POST', '/api/v3/keep/'), ('POST', '/api/v3/other/')]


@pytest.mark.parametrize("check, good, bad", [
    (ak.check_timedelta, "hours=1;minutes=30", "1h"),
    (ak.check_expression, 'return {"groups": []}', "return {"),
    (ak.check_url, "https://zot.example.test", "zot.example.test"),
])
def test_local_checks_accept_what_authentik_accepts_and_name_the_option(check, good, bad):
    check("opt", good)
    with pytest.raises(ak.AuthentikError, match="^opt: "):
        check("opt", bad)


def test_regex_redirect_uris_are_compiled_like_authentik_does():
    ak.check_regex_uris("redirect_uris", [r"https://zot\.test/.*"])
    with pytest.raises(ak.AuthentikError, match="redirect_uris: 'https://\\(' is not a valid regular expression"):
        ak.check_regex_uris("redirect_uris", ["https://("])
