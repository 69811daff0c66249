"""Finer behaviour of the authentik modules (against the real authentik), and of the API double itself."""
import json
import urllib.error
import urllib.request

import pytest
import yaml

from integration.authentik.plays import run_tasks
from integration.harness.ansible import run_playbook


def api(double, method, path, body=None, token=None):
    request = urllib.request.Request(
        double.url + "/api/v3" + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + (token or double.token), "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


# -- the double behaves like authentik's API -----------------------------------------------------------------
@pytest.mark.contract
def test_double_rejects_what_authentik_client_models_reject(authentik):
    flows = dict((f["slug"], f["pk"]) for f in authentik.flows.objects.values())
    status, body = api(authentik, "POST", "/providers/oauth2/", {
        "name": "x", "client_type": "secretive", "colour": "blue",
        "redirect_uris": [{"url": "https://a.test/cb", "matching_mode": "fuzzy", "note": "n"}],
    })
    assert status == 400
    assert body["authorization_flow"] == ["This field is required."]
    assert body["invalidation_flow"] == ["This field is required."]
    assert body["client_type"] == ['"secretive" is not a valid choice.']
    assert "colour" in body and "redirect_uris[0].note" in body
    assert any("fuzzy" in m for m in body["redirect_uris"])
    assert authentik.providers.objects == {}

    ok = {"name": "x", "authorization_flow": flows["default-provider-authorization-implicit-consent"],
          "invalidation_flow": flows["default-provider-invalidation-flow"],
          "redirect_uris": [{"url": "https://a.test/cb", "matching_mode": "strict"}]}
    status, body = api(authentik, "POST", "/providers/oauth2/", ok)
    assert status == 201, body
    assert len(body["client_id"]) == 40 and body["client_secret"]
    status, body = api(authentik, "PATCH", "/providers/oauth2/%d/" % body["pk"], {"pk": 7})
    assert status == 400 and "pk" in body
    status, body = api(authentik, "POST", "/core/applications/", {"name": "A", "slug": "not a slug"})
    assert status == 400 and "slug" in body


@pytest.mark.contract
def test_double_filters_paginates_and_checks_tokens(authentik):
    for i in range(45):
        authentik.groups.add(f"team-{i:02d}")
    status, body = api(authentik, "GET", "/core/groups/?page_size=20&page=3")
    assert status == 200
    assert body["pagination"] == {"next": 0, "previous": 2, "count": 46, "current": 3, "total_pages": 3,
                                  "start_index": 41, "end_index": 46}
    assert len(body["results"]) == 6
    status, body = api(authentik, "GET", "/core/groups/?name=team-07&unknown_filter=1")
    assert [g["name"] for g in body["results"]] == ["team-07"]
    assert api(authentik, "GET", "/core/groups/?page=9")[0] == 404
    assert api(authentik, "GET", "/core/groups/", token="nope") == (403, {"detail": "Token invalid/expired"})


# -- module behaviour, on the real authentik --------------------------------------------------------------------
def add_user(ak, username, **fields):
    answer = ak.api("POST", "/core/users/", json=dict({"username": username, "name": username}, **fields))
    assert answer.status_code == 201, answer.text
    return answer.json()


def add_group(ak, name):
    answer = ak.api("POST", "/core/groups/", json={"name": name})
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.mark.authentik
def test_group_members_exact_or_appended_and_unknown_member_fails_first(real_authentik, tmp_path):
    ak = real_authentik
    for name in ("alice", "bob", "carol"):
        add_user(ak, name)

    def group(members, purge=True):
        return [{"zotops.zot.authentik_group": {"name": "zot-admins", "members": members, "purge_members": purge}}]

    assert run_tasks(ak, tmp_path, group(["alice", "bob"])).changed == 1

    def members():
        users = ak.all("users").values()
        gpk = ak.by("groups", "name", "zot-admins")["pk"]
        return sorted(u["username"] for u in users if gpk in u["groups"])

    assert members() == ["alice", "bob"]
    ak.clear_log()
    preview = run_tasks(ak, tmp_path, group(["alice", "carol"]), check=True, diff=True)
    assert preview.changed == 1 and ak.writes == []
    assert '-        "bob"' in preview.stdout and '+        "carol"' in preview.stdout, preview
    assert members() == ["alice", "bob"]
    assert run_tasks(ak, tmp_path, group(["alice", "carol"])).changed == 1
    assert members() == ["alice", "carol"]
    assert run_tasks(ak, tmp_path, group(["bob"], purge=False)).changed == 1
    assert members() == ["alice", "bob", "carol"]
    ak.clear_log()
    assert run_tasks(ak, tmp_path, group(["bob"], purge=False)).changed == 0
    assert ak.writes == [] and all(r["method"] == "GET" for r in ak.log)

    ak.clear_log()
    failed = run_tasks(ak, tmp_path, group(["alice", "mallory"]))
    assert failed.rc != 0 and "members: no authentik user is named 'mallory'" in failed.output, failed
    assert ak.writes == []
    assert members() == ["alice", "bob", "carol"]


@pytest.mark.authentik
def test_service_account_password_and_refusal_to_convert_a_person(real_authentik, tmp_path):
    ak = real_authentik
    add_group(ak, "artifact-workloads")
    add_user(ak, "alice")
    ak.clear_log()
    task = {"zotops.zot.authentik_service_account": {
        "username": "zot-ci", "groups": ["artifact-workloads"], "password": "s3cret-pass-word"}}
    first = run_tasks(ak, tmp_path, [task], diff=True)
    assert first.rc == 0 and first.changed == 1, first
    assert "s3cret-pass-word" not in first.output
    ci = ak.by("users", "username", "zot-ci")
    assert ci["type"] == "service_account"
    assert [r["path"] for r in ak.writes] == ["/api/v3/core/users/", "/api/v3/core/users/%d/set_password/"
                                              % ci["pk"]]
    # The password is the one authentik checks at its login (the flow executor's password stage).
    assert ak.server.password_login("zot-ci", "s3cret-pass-word")
    assert not ak.server.password_login("zot-ci", "another-password")
    ak.clear_log()
    assert run_tasks(ak, tmp_path, [task]).changed == 0  # update_password: on_create
    assert ak.writes == []

    refused = run_tasks(ak, tmp_path, [{"zotops.zot.authentik_service_account": {"username": "alice"}}])
    assert refused.rc != 0
    assert "'alice' is an authentik user of type 'internal', not a service account" in refused.output, refused
    assert ak.writes == []


@pytest.mark.authentik
def test_server_side_rejection_is_reported_with_the_field(real_authentik, tmp_path):
    # A rule the module cannot check first: authentik's own serializer refuses an application slug
    # that is taken by ... a second provider link? Here: a provider whose client id another provider
    # already has (unique in authentik's database, not knowable without reading every provider).
    ak = real_authentik
    first = {"zotops.zot.authentik_oauth2_provider": {
        "name": "grafana", "client_id": "shared-client-id", "redirect_uris": ["https://g.test/cb"]}}
    assert run_tasks(ak, tmp_path, [first]).changed == 1
    before = ak.snapshot()
    ak.clear_log()
    second = {"zotops.zot.authentik_oauth2_provider": {
        "name": "zot", "client_id": "shared-client-id", "redirect_uris": ["https://zot.test/cb"]}}
    result = run_tasks(ak, tmp_path, [second])
    assert result.rc != 0 and result.changed == 0, result
    assert "authentik rejected POST /api/v3/providers/oauth2/ (HTTP 400): client_id: " in result.output, result
    assert ak.token not in result.output
    assert ak.snapshot() == before


@pytest.mark.authentik
def test_groups_claim_reuses_an_existing_groups_mapping_and_absent_keeps_it(real_authentik, tmp_path):
    ak = real_authentik
    answer = ak.api("POST", "/propertymappings/provider/scope/", json={
        "name": "my groups", "scope_name": "groups", "expression": 'return {"groups": []}'})
    assert answer.status_code == 201, answer.text
    own = answer.json()
    present = {"zotops.zot.authentik_oauth2_provider": {
        "name": "zot", "groups_claim": True, "redirect_uris": ["https://zot.test/zot/auth/callback/oidc"]}}
    assert run_tasks(ak, tmp_path, [present]).changed == 1
    provider = ak.by("providers", "name", "zot")
    assert own["pk"] in provider["property_mappings"]
    assert ak.by("scope_mappings", "name", "zotops.zot: groups claim") is None
    absent = {"zotops.zot.authentik_oauth2_provider": {"name": "zot", "state": "absent"}}
    assert run_tasks(ak, tmp_path, [absent]).changed == 1
    assert ak.by("providers", "name", "zot") is None and own["pk"] in ak.all("scope_mappings")


@pytest.mark.authentik
def test_scope_mapping_module_lifecycle(real_authentik, tmp_path):
    ak = real_authentik
    task = {"zotops.zot.authentik_scope_mapping": {"name": "zot: groups", "description": "Your groups"}}
    assert run_tasks(ak, tmp_path, [task]).changed == 1
    made = ak.by("scope_mappings", "name", "zot: groups")
    assert made["scope_name"] == "groups" and made["description"] == "Your groups"
    ak.clear_log()
    assert run_tasks(ak, tmp_path, [task]).changed == 0 and ak.writes == []
    managed = {"zotops.zot.authentik_scope_mapping": {"name": "authentik default OAuth Mapping: OpenID 'email'",
                                                      "state": "absent"}}
    refused = run_tasks(ak, tmp_path, [managed])
    assert refused.rc != 0 and "is managed by authentik itself" in refused.output
    assert ak.writes == []
    assert ak.by("scope_mappings", "name", "authentik default OAuth Mapping: OpenID 'email'") is not None
    gone = {"zotops.zot.authentik_scope_mapping": {"name": "zot: groups", "state": "absent"}}
    assert run_tasks(ak, tmp_path, [gone]).changed == 1
    assert ak.by("scope_mappings", "name", "zot: groups") is None


@pytest.mark.authentik
def test_connection_from_environment_and_secret_change_hidden_in_diff(real_authentik, tmp_path):
    ak = real_authentik
    playbook = tmp_path / "env.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"zotops.zot.authentik_oauth2_provider": {
            "name": "zot", "client_id": "zot", "client_secret": "{{ secret }}",
            "redirect_uris": ["https://zot.test/zot/auth/callback/oidc"]}}]}]))
    env = {"AUTHENTIK_URL": ak.url, "AUTHENTIK_TOKEN": ak.token}
    first = run_playbook(playbook, extra_vars={"secret": "first-secret-value"}, env=env)
    assert first.rc == 0 and first.changed == 1, first
    provider = ak.by("providers", "name", "zot")
    assert (provider["client_id"], provider["client_secret"]) == ("zot", "first-secret-value")

    ak.clear_log()
    preview = run_playbook(playbook, extra_vars={"secret": "second-secret-value"}, env=env, check=True, diff=True)
    assert preview.rc == 0 and preview.changed == 1, preview
    assert ak.writes == []
    assert "first-secret-value" not in preview.output and "second-secret-value" not in preview.output
    assert '"client_secret": "********"' in preview.stdout, preview
    real = run_playbook(playbook, extra_vars={"secret": "second-secret-value"}, env=env)
    assert real.rc == 0 and real.changed == 1
    assert ak.writes[-1]["body"] == {"client_secret": "second-secret-value"}
    assert ak.by("providers", "name", "zot")["client_secret"] == "second-secret-value"
