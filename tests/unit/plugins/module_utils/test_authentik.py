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
    (404, {"detail": "Not found."}, "authentik answered 404 to GET /api/v3/x/"),
    (502, None, "authentik rejected GET /api/v3/x/ (HTTP 502): <html>bad gateway</html>"),
])
def test_http_errors_are_clear_and_never_contain_the_token(status, body, expected):
    raw = json.dumps(body).encode() if body is not None else b"<html>bad gateway</html>"
    error = client()._http_error("GET /api/v3/x/", status, raw)
    assert expected in error.message
    assert TOKEN not in error.message
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
        ak.new_module({"timeout": {"type": "int"}})
