"""The authentik modules against the real authentik (tests/integration/harness/authentik.py).

The modules reach it through a recording proxy (real.py), so what they send is counted on the wire; what
they made is read back through authentik's API. Each test starts from the session's fresh install.
"""
import datetime
import json
import re
from pathlib import Path

import pytest
import requests

from integration.harness.ansible import run_playbook

pytestmark = [pytest.mark.authentik, pytest.mark.slow]

PLAYBOOK = Path(__file__).parent / "playbooks" / "zot_authentik.yml"
REDIRECT = "https://zot.example.test/zot/auth/callback/oidc"


def play(ak, check=False, diff=False, token=None, url=None, **extra):
    extra_vars = {"authentik_url": url or ak.url, "authentik_token": token or ak.token}
    extra_vars.update(extra)
    return run_playbook(PLAYBOOK, extra_vars=extra_vars, check=check, diff=diff)


def write_paths(ak):
    return [(r["method"], r["path"]) for r in ak.writes]


def created(answer):
    assert answer.status_code in (200, 201), (answer.status_code, answer.text)
    return answer.json()


def flow_pk(ak, slug):
    return created(ak.api("GET", f"/flows/instances/{slug}/"))["pk"]


def seed_unrelated(ak):
    """Objects a real instance already has, which the playbook must neither change nor remove."""
    mapping = created(ak.api("POST", "/propertymappings/provider/scope/", json={
        "name": "grafana: roles", "scope_name": "roles", "expression": 'return {"roles": []}'}))
    provider = created(ak.api("POST", "/providers/oauth2/", json={
        "name": "grafana", "authorization_flow": flow_pk(ak, "default-provider-authorization-explicit-consent"),
        "invalidation_flow": flow_pk(ak, "default-provider-invalidation-flow"),
        "property_mappings": [mapping["pk"]],
        "redirect_uris": [{"matching_mode": "strict", "url": "https://grafana.example.test/login/generic_oauth"}]}))
    app = created(ak.api("POST", "/core/applications/",
                         json={"name": "Grafana", "slug": "grafana", "provider": provider["pk"]}))
    staff = created(ak.api("POST", "/core/groups/", json={"name": "staff"}))
    alice = created(ak.api("POST", "/core/users/",
                           json={"username": "alice", "name": "Alice", "groups": [staff["pk"]]}))
    robot = created(ak.api("POST", "/core/users/service_account/",
                           json={"name": "grafana-ci", "create_group": False}))
    binding = created(ak.api("POST", "/policies/bindings/", json={"target": app["pk"], "group": staff["pk"],
                                                                  "order": 0}))
    return dict(provider=provider, app=app, staff=staff, alice=alice, robot=robot, binding=binding)


def public_only_certificate(ak, name="public-only CA"):
    """A certificate-key pair with no private key (a CA's certificate imported on its own)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return created(ak.api("POST", "/crypto/certificatekeypairs/", json={"name": name, "certificate_data": pem}))


def zot_provider(ak):
    found = [p for p in ak.all("providers").values() if p["name"] == "zot"]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.ansible_range
def test_full_set_from_nothing_then_second_run_writes_nothing(real_authentik, tmp_path):
    ak = real_authentik
    seed_unrelated(ak)
    results = tmp_path / "oidc.json"
    ak.clear_log()

    first = play(ak, zot_results_file=str(results))
    assert first.rc == 0, first
    assert "[WARNING]" not in first.output, first
    assert first.changed == 6, first  # provider, application, groups, service account, bindings, results file

    provider = zot_provider(ak)
    flows = dict((f["pk"], f["slug"]) for f in ak.all("flows").values())
    assert flows[provider["authorization_flow"]] == "default-provider-authorization-implicit-consent"
    assert flows[provider["invalidation_flow"]] == "default-provider-invalidation-flow"
    assert ak.all("certificates")[provider["signing_key"]]["name"] == "authentik Self-signed Certificate"
    assert provider["client_type"] == "confidential"
    assert provider["sub_mode"] == "user_username"
    assert [(u["matching_mode"], u["url"]) for u in provider["redirect_uris"]] == [("strict", REDIRECT)]
    mappings = ak.all("scope_mappings")
    scopes = sorted(mappings[pk]["scope_name"] for pk in provider["property_mappings"])
    assert scopes == ["email", "groups", "openid", "profile"]
    managed = [mappings[pk]["managed"] for pk in provider["property_mappings"]]
    assert sorted(m for m in managed if m) == ["goauthentik.io/providers/oauth2/scope-email",
                                               "goauthentik.io/providers/oauth2/scope-openid",
                                               "goauthentik.io/providers/oauth2/scope-profile"]
    groups_mapping = [mappings[pk] for pk in provider["property_mappings"]
                      if mappings[pk]["scope_name"] == "groups"][0]
    assert groups_mapping["name"] == "zotops.zot: groups claim"
    assert "request.user.ak_groups" in groups_mapping["expression"]

    app = ak.all("applications")["zot"]
    assert app["provider"] == provider["pk"] and app["name"] == "Zot registry"
    assert app["meta_launch_url"] == "https://zot.example.test"
    assert app["policy_engine_mode"] == "any" and app["group"] == "Infrastructure"

    groups = dict((g["name"], g) for g in ak.all("groups").values())
    users = dict((u["username"], u) for u in ak.all("users").values())
    assert groups["zot-admins"]["pk"] in users["akadmin"]["groups"]
    ci = users["zot-ci"]
    assert ci["type"] == "service_account" and ci["name"] == "zot CI"
    assert ci["groups"] == [groups["artifact-workloads"]["pk"]]
    bound = sorted((b["order"], b["group"]) for b in ak.all("bindings").values() if b["target"] == app["pk"])
    assert bound == [(0, groups["zot-admins"]["pk"]), (1, groups["artifact-workloads"]["pk"])]

    # What the oidc role will read: client id/secret, issuer and the application slug; the issuer is
    # the one authentik itself publishes.
    out = json.loads(results.read_text())
    assert out == {"client_id": provider["client_id"], "client_secret": provider["client_secret"],
                   "issuer": ak.url + "/application/o/zot/", "slug": "zot"}
    discovery = requests.get(out["issuer"] + ".well-known/openid-configuration", timeout=30)
    assert discovery.status_code == 200 and discovery.json()["issuer"] == out["issuer"], discovery.text
    assert provider["client_secret"] not in first.output

    before = ak.snapshot()
    ak.clear_log()
    second = play(ak, zot_results_file=str(results))
    assert second.rc == 0, second
    assert "[WARNING]" not in second.output, second
    assert second.changed == 0, second
    assert ak.writes == [], write_paths(ak)
    assert ak.log and all(r["method"] == "GET" for r in ak.log)
    # 16 for the objects, 3 for the no_log task that reads the client secret
    assert len(ak.log) == 19, [(r["path"], r["query"]) for r in ak.log]
    assert ak.snapshot() == before


def test_check_diff_of_a_redirect_uri_change_shows_only_that_and_no_secret(real_authentik):
    ak = real_authentik
    assert play(ak).rc == 0
    before = ak.snapshot()
    ak.clear_log()

    new_uri = "https://registry.example.test/zot/auth/callback/oidc"
    result = play(ak, check=True, diff=True, zot_redirect_uri=new_uri)
    assert result.rc == 0, result
    assert result.changed == 1, result
    assert ak.writes == [], write_paths(ak)
    assert ak.snapshot() == before

    changed_lines = [line for line in result.stdout.splitlines()
                     if re.match(r"^[-+](?![-+]{2} )", line)]
    assert changed_lines == [f'-        "{REDIRECT} (strict)"', f'+        "{new_uri} (strict)"'], result
    secret = zot_provider(ak)["client_secret"]
    assert secret not in result.output
    assert "client_secret" not in result.stdout

    # The real run does exactly what check mode predicted.
    ak.clear_log()
    real = play(ak, diff=True, zot_redirect_uri=new_uri)
    assert real.rc == 0 and real.changed == 1, real
    assert write_paths(ak) == [("PATCH", "/api/v3/providers/oauth2/%d/" % zot_provider(ak)["pk"])]
    assert ak.writes[0]["body"] == {"redirect_uris": [{"matching_mode": "strict", "url": new_uri}]}
    assert [u["url"] for u in zot_provider(ak)["redirect_uris"]] == [new_uri]


def test_check_mode_from_nothing_predicts_the_real_run_and_writes_nothing(real_authentik):
    ak = real_authentik
    before = ak.snapshot()
    predicted = play(ak, check=True)
    assert predicted.rc == 0, predicted
    assert ak.writes == [] and ak.snapshot() == before
    real = play(ak)
    assert real.rc == 0, real
    assert predicted.changed == real.changed == 5, (predicted, real)  # every authentik task


def test_absent_removes_what_it_made_and_nothing_else(real_authentik):
    ak = real_authentik
    seeded = seed_unrelated(ak)
    untouched = ak.snapshot()

    assert play(ak).rc == 0
    ak.clear_log()
    removed = play(ak, zot_state="absent")
    assert removed.rc == 0, removed
    assert removed.changed == 5, removed
    deleted = sorted(p for m, p in write_paths(ak))
    assert all(m == "DELETE" for m, p in write_paths(ak)), write_paths(ak)
    assert len(deleted) == 8, deleted  # 2 bindings, user, 2 groups, application, provider, scope mapping

    assert ak.snapshot() == untouched
    assert seeded["binding"]["pk"] in ak.all("bindings")

    ak.clear_log()
    again = play(ak, zot_state="absent")
    assert again.rc == 0 and again.changed == 0, again
    assert ak.writes == []


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
def test_bad_input_fails_clearly_before_anything_is_created(real_authentik, extra, expected):
    ak = real_authentik
    public_only_certificate(ak)
    before = ak.snapshot()
    ak.clear_log()
    result = play(ak, **extra)
    assert result.rc != 0, result
    assert result.failed == 1
    assert expected in result.output, result
    assert ak.writes == [], write_paths(ak)
    assert ak.snapshot() == before
    assert ak.token not in result.output
    assert "wrong-token-value-1234" not in result.output


def test_unreachable_server_fails_clearly(real_authentik, closed_port):
    ak = real_authentik
    result = play(ak, url=f"http://127.0.0.1:{closed_port}")
    assert result.rc != 0, result
    assert f"cannot reach authentik at http://127.0.0.1:{closed_port}" in result.output, result
    assert ak.log == []
    assert ak.token not in result.output


def test_lookups_follow_pagination(real_authentik):
    ak = real_authentik
    # 101 flows and 101 scope mappings that sort before the defaults push them to page 2 (the
    # modules ask for 100 a page).
    for i in range(101):
        created(ak.api("POST", "/flows/instances/", json={
            "name": f"aaa flow {i:03d}", "slug": f"aaa-flow-{i:03d}", "title": "t", "designation": "authentication"}))
        created(ak.api("POST", "/propertymappings/provider/scope/", json={
            "name": f"aaa mapping {i:03d}", "scope_name": f"aaa-{i:03d}", "expression": "return {}"}))
    ak.clear_log()
    result = play(ak)
    assert result.rc == 0, result
    pages = {(r["path"], r["query"].get("page")) for r in ak.log if r["method"] == "GET"}
    assert ("/api/v3/flows/instances/", "2") in pages, sorted(pages)
    assert ("/api/v3/propertymappings/provider/scope/", "2") in pages, sorted(pages)
    provider = zot_provider(ak)
    assert len(provider["property_mappings"]) == 4
