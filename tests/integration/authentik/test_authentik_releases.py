"""The authentik releases people run, checks before the first write, nothing left behind, readable errors.

Every test runs against the double behaving like the oldest and like the newest supported authentik release.
"""
import json
import re

import pytest

from integration.authentik.plays import run_tasks

pytestmark = pytest.mark.contract

REDIRECT = "https://zot.test/zot/auth/callback/oidc"
GROUPS_MAPPING = "zotops.zot: groups claim"


def failure(result):
    """The JSON result of the failed task (ansible's "fatal: [host]: FAILED! => {...}" line)."""
    line = next(line for line in result.stdout.splitlines() if line.startswith("fatal: "))
    return json.loads(line.split("=> ", 1)[1])


def provider(**options):
    return {"zotops.zot.authentik_oauth2_provider": dict({"name": "zot", "redirect_uris": [REDIRECT]}, **options)}


def groups_mappings(double):
    return [m for m in double.scope_mappings.objects.values() if m["name"] == GROUPS_MAPPING]


# -- the double answers like each release ---------------------------------------------------------------------
def test_double_answers_in_the_shape_of_its_release(authentik, tmp_path):
    assert run_tasks(authentik, tmp_path, [provider(), {"zotops.zot.authentik_application": {
        "slug": "zot", "name": "zot", "provider": "zot"}}]).rc == 0
    authentik.clear_log()
    answer = run_tasks(authentik, tmp_path, [{"ansible.builtin.uri": {
        "url": authentik.url + "/api/v3/core/applications/zot/", "headers": {
            "Authorization": "Bearer {{ authentik_token }}"}}, "register": "app"},
        {"ansible.builtin.copy": {"content": "{{ app.json | to_json }}", "dest": str(tmp_path / "app.json")}}])
    assert answer.rc == 0, answer
    app = json.loads((tmp_path / "app.json").read_text())
    # 2025.2 to 2026.5 return no pbm_uuid; 2026.8 does. The pk is the binding target either way.
    assert ("pbm_uuid" in app) == (authentik.release == "2026.8"), sorted(app)
    assert app["pk"] == authentik.applications.objects["zot"]["pbm_uuid"]


def test_policy_binding_targets_the_application_pk_in_every_release(authentik, tmp_path):
    authentik.groups.add("zot-admins")
    tasks = [provider(), {"zotops.zot.authentik_application": {"slug": "zot", "name": "zot", "provider": "zot"}},
             {"zotops.zot.authentik_policy_binding": {"application": "zot", "group": "zot-admins"}}]
    result = run_tasks(authentik, tmp_path, tasks)
    assert result.rc == 0, result
    assert result.changed == 3, result
    app = authentik.applications.objects["zot"]
    assert [b["target"] for b in authentik.bindings.objects.values()] == [app["pk"]]
    authentik.clear_log()
    again = run_tasks(authentik, tmp_path, tasks)
    assert again.rc == 0 and again.changed == 0, again
    assert authentik.writes == []


# -- what authentik would refuse is refused before the first write -----------------------------------------------
def test_invalid_regex_redirect_uri_fails_before_the_groups_mapping_is_made(authentik, tmp_path):
    before = authentik.snapshot()
    bad = provider(groups_claim=True, redirect_uri_matching="regex", redirect_uris=["https://zot.test/(unclosed"])
    result = run_tasks(authentik, tmp_path, [bad])
    assert result.rc != 0, result
    assert "redirect_uris: 'https://zot.test/(unclosed' is not a valid regular expression" in result.output, result
    assert failure(result)["changed"] is False
    assert authentik.writes == [] and authentik.snapshot() == before


def test_invalid_regex_on_an_existing_provider_changes_nothing(authentik, tmp_path):
    assert run_tasks(authentik, tmp_path, [provider(groups_claim=True)]).rc == 0
    before = authentik.snapshot()
    authentik.clear_log()
    bad = provider(groups_claim=True, redirect_uri_matching="regex", redirect_uris=["https://zot.test/[a-"])
    result = run_tasks(authentik, tmp_path, [bad])
    assert result.rc != 0 and result.changed == 0, result
    assert failure(result)["changed"] is False
    assert authentik.writes == [] and authentik.snapshot() == before


@pytest.mark.parametrize("task, expected", [
    (provider(access_token_validity="1 hour"), "access_token_validity: '1 hour' is not an authentik duration"),
    (provider(client_id="x" * 256), "client_id: at most 255 characters, got 256"),
    ({"zotops.zot.authentik_scope_mapping": {"name": "zot: groups", "expression": "return {'groups': ["}},
     "expression: not a valid authentik (Python) expression"),
    ({"zotops.zot.authentik_application": {"slug": "zot", "name": "zot", "launch_url": "zot.example.test"}},
     "launch_url: 'zot.example.test' is not a URL authentik accepts"),
    ({"zotops.zot.authentik_service_account": {"username": "zot-ci", "path": "/service-accounts/"}},
     "path: '/service-accounts/' is not an authentik user path"),
])
def test_what_authentik_would_refuse_fails_before_any_write(authentik, tmp_path, task, expected):
    before = authentik.snapshot()
    result = run_tasks(authentik, tmp_path, [task])
    assert result.rc != 0, result
    assert expected in result.output, result
    assert authentik.writes == [] and authentik.snapshot() == before


def test_what_the_double_refuses_the_modules_also_refuse(authentik):
    """The local checks and the double's copy of authentik's serializer rules agree (a check in only one of
    them would let the tests above pass without protecting anyone)."""
    from integration.authentik.authentik_double import ApiError, check_expression, check_timedelta, check_url
    from ansible_collections.zotops.zot.plugins.module_utils import authentik as ak
    cases = [(check_timedelta, ak.check_timedelta, "1 hour"), (check_timedelta, ak.check_timedelta, "hours=1;x"),
             (check_expression, ak.check_expression, "return {'groups': ["),
             (check_url, ak.check_url, "zot.example.test")]
    for server, local, value in cases:
        with pytest.raises(ApiError):
            server("field", value)
        with pytest.raises(ak.AuthentikError):
            local("field", value)
    for server, local, value in [(check_timedelta, ak.check_timedelta, "hours=1;minutes=30"),
                                 (check_expression, ak.check_expression, "return {}"),
                                 (check_url, ak.check_url, "https://zot.example.test")]:
        server("field", value)
        local("field", value)


def test_provider_already_linked_elsewhere_fails_before_any_write(authentik, tmp_path):
    tasks = [provider(), {"zotops.zot.authentik_application": {"slug": "zot", "name": "zot", "provider": "zot"}}]
    assert run_tasks(authentik, tmp_path, tasks).rc == 0
    authentik.clear_log()
    result = run_tasks(authentik, tmp_path, [{"zotops.zot.authentik_application": {
        "slug": "zot-2", "name": "zot again", "provider": "zot"}}])
    assert result.rc != 0
    assert "provider: 'zot' is already the provider of application 'zot'" in result.output, result
    assert authentik.writes == []


# -- a write refused later: what the run made is removed, changed tells the truth -------------------------------
def test_refused_provider_create_removes_the_groups_mapping_it_made(authentik, tmp_path):
    before = authentik.snapshot()
    authentik.refuse("POST", "/providers/oauth2/", body={"redirect_uris": ["refused by the test"]})
    result = run_tasks(authentik, tmp_path, [provider(groups_claim=True)])
    assert result.rc != 0, result
    failed = failure(result)
    assert failed["changed"] is False
    assert failed["msg"].startswith("authentik rejected POST /api/v3/providers/oauth2/ (HTTP 400): "
                                    "redirect_uris: refused by the test"), failed
    assert f"removed again what this run had created: scope mapping '{GROUPS_MAPPING}'" in failed["msg"]
    writes = [(r["method"], r["path"]) for r in authentik.writes]
    assert writes[:2] == [("POST", "/api/v3/propertymappings/provider/scope/"), ("POST", "/api/v3/providers/oauth2/")]
    assert len(writes) == 3 and writes[2][0] == "DELETE", writes
    assert re.fullmatch(r"/api/v3/propertymappings/provider/scope/[0-9a-f-]{36}/", writes[2][1]), writes
    assert groups_mappings(authentik) == [] and authentik.snapshot() == before


def test_refused_cleanup_is_named_in_the_error_and_reported_as_changed(authentik, tmp_path):
    authentik.refuse("POST", "/providers/oauth2/")
    authentik.refuse("DELETE", "/propertymappings/provider/scope/[^/]+/", status=403,
                     body={"detail": "You do not have permission to perform this action."})
    result = run_tasks(authentik, tmp_path, [provider(groups_claim=True)])
    failed = failure(result)
    assert failed["changed"] is True  # the mapping stays
    assert f"this run created scope mapping '{GROUPS_MAPPING}' (authentik" in failed["msg"], failed
    assert "HTTP 403 on DELETE /api/v3/propertymappings/provider/scope/" in failed["msg"]
    assert len(groups_mappings(authentik)) == 1


def test_refused_provider_update_reports_no_change(authentik, tmp_path):
    assert run_tasks(authentik, tmp_path, [provider()]).rc == 0
    before = authentik.snapshot()
    authentik.refuse("PATCH", r"/providers/oauth2/\d+/")
    result = run_tasks(authentik, tmp_path, [provider(redirect_uris=["https://other.test/cb"])], diff=True)
    assert result.rc != 0 and result.changed == 0, result
    failed = failure(result)
    assert failed["changed"] is False and "diff" not in failed
    assert "authentik rejected PATCH /api/v3/providers/oauth2/" in failed["msg"]
    assert authentik.snapshot() == before


def test_refused_password_removes_the_service_account_it_made(authentik, tmp_path):
    before = authentik.snapshot()
    authentik.refuse("POST", r"/core/users/\d+/set_password/",
                     body={"password": ["This password is too short."]})
    task = {"zotops.zot.authentik_service_account": {"username": "zot-ci", "password": "s3cret-pass-word"}}
    result = run_tasks(authentik, tmp_path, [task])
    failed = failure(result)
    assert failed["changed"] is False, failed
    assert "password: This password is too short." in failed["msg"]
    assert "removed again what this run had created: service account 'zot-ci'" in failed["msg"]
    assert "s3cret-pass-word" not in result.output
    assert authentik.snapshot() == before


# -- error messages ----------------------------------------------------------------------------------------------
def test_wrong_url_path_gives_status_method_and_path_not_an_html_page(authentik, tmp_path):
    result = run_tasks(authentik, tmp_path, [provider()], url=authentik.url + "/authentik")
    assert result.rc != 0
    msg = failure(result)["msg"]
    assert re.match(r"authentik answered HTTP 404 to GET /api/v3/providers/oauth2/\?\S+: an HTML page instead of "
                    r"a JSON answer \(is authentik_url http://127\.0\.0\.1:\d+/authentik the URL authentik is served "
                    r"at\?\)$", msg), msg
    assert "<" not in result.output.split("fatal: ", 1)[1]
    assert authentik.writes == []
