"""The authentik modules against a stateful API double that validates every request with authentik-client."""
import json
import re
from pathlib import Path

import pytest

from integration.harness.ansible import run_playbook

pytestmark = pytest.mark.contract

PLAYBOOK = Path(__file__).parent / "playbooks" / "zot_authentik.yml"
REDIRECT = "https://zot.example.test/zot/auth/callback/oidc"


def play(double, check=False, diff=False, token=None, url=None, **extra):
    extra_vars = {"authentik_url": url or double.url, "authentik_token": token or double.token}
    extra_vars.update(extra)
    return run_playbook(PLAYBOOK, extra_vars=extra_vars, check=check, diff=diff)


def write_paths(double):
    return [(r["method"], r["path"]) for r in double.writes]


def seed_unrelated(double):
    """Objects a real instance already has, which the playbook must neither change nor remove."""
    flow = double.flows.by_pk(next(f["pk"] for f in double.flows.objects.values()
                                   if f["slug"] == "default-provider-authorization-explicit-consent"))
    inv = next(f["pk"] for f in double.flows.objects.values() if f["slug"] == "default-provider-invalidation-flow")
    other_mapping = double.scope_mappings.add("grafana: roles", "roles", 'return {"roles": []}')
    provider = double.providers.new({"name": "grafana", "authorization_flow": flow["pk"], "invalidation_flow": inv,
                                     "property_mappings": [other_mapping["pk"]],
                                     "redirect_uris": [{"matching_mode": "strict",
                                                        "url": "https://grafana.example.test/login/generic_oauth"}]})
    double.providers.objects[provider["pk"]] = provider
    app = double.applications.new({"name": "Grafana", "slug": "grafana", "provider": provider["pk"]})
    double.applications.objects[app["slug"]] = app
    staff = double.groups.add("staff")
    alice = double.users.add("alice", groups=[staff["pk"]])
    robot = double.users.add("grafana-ci", type="service_account", path="goauthentik.io/service-accounts")
    binding = double.bindings.new({"target": app["pbm_uuid"], "group": staff["pk"], "order": 0})
    double.bindings.objects[binding["pk"]] = binding
    return dict(provider=provider, app=app, staff=staff, alice=alice, robot=robot, binding=binding)


def zot_provider(double):
    found = [p for p in double.providers.objects.values() if p["name"] == "zot"]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.ansible_range
def test_full_set_from_nothing_then_second_run_writes_nothing(authentik, tmp_path):
    seed_unrelated(authentik)
    results = tmp_path / "oidc.json"

    first = play(authentik, zot_results_file=str(results))
    assert first.rc == 0, first
    assert "[WARNING]" not in first.output, first
    assert first.changed == 6, first  # provider, application, groups, service account, bindings, results file

    d = authentik
    provider = zot_provider(d)
    flows = dict((f["pk"], f["slug"]) for f in d.flows.objects.values())
    assert flows[provider["authorization_flow"]] == "default-provider-authorization-implicit-consent"
    assert flows[provider["invalidation_flow"]] == "default-provider-invalidation-flow"
    assert d.certificates.objects[provider["signing_key"]]["name"] == "authentik Self-signed Certificate"
    assert provider["client_type"] == "confidential"
    assert provider["sub_mode"] == "user_username"
    assert [(u["matching_mode"], u["url"]) for u in provider["redirect_uris"]] == [("strict", REDIRECT)]
    scopes = sorted(d.scope_mappings.objects[pk]["scope_name"] for pk in provider["property_mappings"])
    assert scopes == ["email", "groups", "openid", "profile"]
    managed = [d.scope_mappings.objects[pk]["managed"] for pk in provider["property_mappings"]]
    assert sorted(m for m in managed if m) == ["goauthentik.io/providers/oauth2/scope-email",
                                               "goauthentik.io/providers/oauth2/scope-openid",
                                               "goauthentik.io/providers/oauth2/scope-profile"]
    groups_mapping = [d.scope_mappings.objects[pk] for pk in provider["property_mappings"]
                      if d.scope_mappings.objects[pk]["scope_name"] == "groups"][0]
    assert groups_mapping["name"] == "zotops.zot: groups claim"
    assert "request.user.ak_groups" in groups_mapping["expression"]

    app = d.applications.objects["zot"]
    assert app["provider"] == provider["pk"] and app["name"] == "Zot registry"
    assert app["meta_launch_url"] == "https://zot.example.test"
    assert app["policy_engine_mode"] == "any" and app["group"] == "Infrastructure"

    groups = dict((g["name"], g) for g in d.groups.objects.values())
    users = dict((u["username"], u) for u in d.users.objects.values())
    assert (users["akadmin"]["pk"], groups["zot-admins"]["pk"]) in d.members
    ci = users["zot-ci"]
    assert ci["type"] == "service_account" and ci["name"] == "zot CI"
    assert {g for (u, g) in d.members if u == ci["pk"]} == {groups["artifact-workloads"]["pk"]}
    bound = sorted((b["order"], b["group"]) for b in d.bindings.objects.values() if b["target"] == app["pbm_uuid"])
    assert bound == [(0, groups["zot-admins"]["pk"]), (1, groups["artifact-workloads"]["pk"])]

    # What the oidc role will read: client id/secret, issuer and the application slug.
    out = json.loads(results.read_text())
    assert out == {"client_id": provider["client_id"], "client_secret": provider["client_secret"],
                   "issuer": d.url + "/application/o/zot/", "slug": "zot"}
    assert provider["client_secret"] not in first.output

    d.clear_log()
    second = play(d, zot_results_file=str(results))
    assert second.rc == 0, second
    assert "[WARNING]" not in second.output, second
    assert second.changed == 0, second
    assert d.writes == [], write_paths(d)
    assert all(r["method"] == "GET" for r in d.log)
    # 16 for the objects, 3 for the no_log task that reads the client secret
    assert len(d.log) <= 19, [(r["path"], r["query"]) for r in d.log]


def test_check_diff_of_a_redirect_uri_change_shows_only_that_and_no_secret(authentik):
    assert play(authentik).rc == 0
    before = authentik.snapshot()
    authentik.clear_log()

    new_uri = "https://registry.example.test/zot/auth/callback/oidc"
    result = play(authentik, check=True, diff=True, zot_redirect_uri=new_uri)
    assert result.rc == 0, result
    assert result.changed == 1, result
    assert authentik.writes == [], write_paths(authentik)
    assert authentik.snapshot() == before

    changed_lines = [line for line in result.stdout.splitlines()
                     if re.match(r"^[-+](?![-+]{2} )", line)]
    assert changed_lines == [f'-        "{REDIRECT} (strict)"', f'+        "{new_uri} (strict)"'], result
    secret = zot_provider(authentik)["client_secret"]
    assert secret not in result.output
    assert "client_secret" not in result.stdout

    # The real run does exactly what check mode predicted.
    authentik.clear_log()
    real = play(authentik, diff=True, zot_redirect_uri=new_uri)
    assert real.rc == 0 and real.changed == 1, real
    assert write_paths(authentik) == [("PATCH", "/api/v3/providers/oauth2/%d/" % zot_provider(authentik)["pk"])]
    assert authentik.writes[0]["body"] == {"redirect_uris": [{"matching_mode": "strict", "url": new_uri}]}
    assert [u["url"] for u in zot_provider(authentik)["redirect_uris"]] == [new_uri]


def test_check_mode_from_nothing_predicts_the_real_run_and_writes_nothing(authentik):
    predicted = play(authentik, check=True)
    assert predicted.rc == 0, predicted
    assert authentik.writes == []
    real = play(authentik)
    assert real.rc == 0, real
    assert predicted.changed == real.changed == 5, (predicted, real)  # every authentik task


def test_absent_removes_what_it_made_and_nothing_else(authentik):
    seeded = seed_unrelated(authentik)
    untouched = authentik.snapshot()

    assert play(authentik).rc == 0
    authentik.clear_log()
    removed = play(authentik, zot_state="absent")
    assert removed.rc == 0, removed
    assert removed.changed == 5, removed
    deleted = sorted(p for m, p in write_paths(authentik))
    assert all(m == "DELETE" for m, p in write_paths(authentik)), write_paths(authentik)
    assert len(deleted) == 8, deleted  # 2 bindings, user, 2 groups, application, provider, scope mapping

    assert authentik.snapshot() == untouched
    assert seeded["binding"]["pk"] in authentik.bindings.objects

    authentik.clear_log()
    again = play(authentik, zot_state="absent")
    assert again.rc == 0 and again.changed == 0, again
    assert authentik.writes == []


@pytest.mark.parametrize("extra, expected", [
    ({"zot_signing_key": "no such key"},
     "signing_key: no authentik certificate-key pair is named 'no such key'"),
    ({"zot_signing_key": "public-only CA"},
     "signing_key: the certificate 'public-only CA' has no private key"),
    ({"zot_authorization_flow": "no-such-flow"},
     "authorization_flow: no authentik flow has the slug 'no-such-flow'"),
    ({"token": "wrong-token-value-1234"},
     "authentik refused the API token (HTTP 403"),
])
def test_bad_input_fails_clearly_before_anything_is_created(authentik, extra, expected):
    before = authentik.snapshot()
    result = play(authentik, **extra)
    assert result.rc != 0, result
    assert result.failed == 1
    assert expected in result.output, result
    assert authentik.writes == [], write_paths(authentik)
    assert authentik.snapshot() == before
    assert authentik.token not in result.output
    assert "wrong-token-value-1234" not in result.output


def test_unreachable_server_fails_clearly(authentik, closed_port):
    result = play(authentik, url=f"http://127.0.0.1:{closed_port}")
    assert result.rc != 0, result
    assert f"cannot reach authentik at http://127.0.0.1:{closed_port}" in result.output, result
    assert authentik.log == []
    assert authentik.token not in result.output


def test_lookups_follow_pagination(authentik):
    # 150 flows and 150 scope mappings that sort before the defaults push them to page 2.
    for i in range(150):
        authentik.flows.add(f"aaa-flow-{i:03d}", "authentication")
        authentik.scope_mappings.add(f"aaa mapping {i:03d}", f"aaa-{i:03d}")
    result = play(authentik)
    assert result.rc == 0, result
    pages = {(r["path"], r["query"].get("page")) for r in authentik.log if r["method"] == "GET"}
    assert ("/api/v3/flows/instances/", "2") in pages
    assert ("/api/v3/propertymappings/provider/scope/", "2") in pages
    provider = zot_provider(authentik)
    assert len(provider["property_mappings"]) == 4
