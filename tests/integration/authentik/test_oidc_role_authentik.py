"""The zotops.zot.oidc role with zot_oidc_idp: authentik, against the real authentik.

The role runs the way a site playbook would (include_role on localhost, connection from the role's
zot_oidc_authentik_* variables). It reaches authentik through a recording proxy (real.py), so "no write"
is counted on the wire; the client secret is the one authentik generated, and it must never appear in the
output, also at -v.
"""
import json
import os
import stat

import pytest
import requests

from integration.authentik.test_authentik_modules import public_only_certificate
from integration.harness.ansible import run_playbook

pytestmark = [pytest.mark.authentik, pytest.mark.slow]

EXTERNAL = "https://zot.example.test"
CI_GROUP = "artifact-workloads"

PLAYBOOK = """\
- name: Register zot in authentik through the oidc role
  hosts: localhost
  gather_facts: false
  tasks:
    - name: zot's OIDC client, application and credentials file
      ansible.builtin.include_role:
        name: zotops.zot.oidc
      vars:
        zot_oidc_idp: authentik
        zot_oidc_state: "{{ oidc_state | default('present') }}"
        zot_oidc_authentik_url: "{{ ak_url }}"
        zot_oidc_authentik_token: "{{ ak_token }}"
        zot_oidc_authentik_signing_key: "{{ signing_key | default('authentik Self-signed Certificate') }}"
        zot_oidc_authentik_ci_group: "{{ ci_group | default('') }}"
        zot_oidc_authentik_access_groups: "{{ access_groups | default([]) }}"
        zot_oidc_external_url: "{{ external_url }}"
        zot_oidc_groups: "{{ groups_claim | default(false) }}"
        zot_oidc_credentials_file: "{{ credentials_file }}"
        zot_oidc_credentials_owner: "{{ lookup('ansible.builtin.pipe', 'id -un') }}"
        zot_oidc_credentials_group: "{{ lookup('ansible.builtin.pipe', 'id -gn') }}"

    - name: Hand the facts to the test (zot_openid_providers holds the secret for the server role)
      ansible.builtin.copy:
        dest: "{{ facts_file }}"
        content: "{{ {'provider_config': zot_oidc_provider_config, 'openid_providers': zot_openid_providers} | to_json }}"
        mode: "0600"
      no_log: true
      check_mode: false
      changed_when: false
      when: facts_file is defined
"""


@pytest.fixture
def setup(real_authentik, tmp_path):
    playbook = tmp_path / "register.yml"
    playbook.write_text(PLAYBOOK)
    assert real_authentik.api("POST", "/core/groups/", json={"name": "zot-admins"}).status_code == 201
    real_authentik.clear_log()
    values = {"ak_url": real_authentik.url, "ak_token": real_authentik.token, "external_url": EXTERNAL,
              "credentials_file": str(tmp_path / "oidc-oidc-credentials.json"),
              "facts_file": str(tmp_path / "facts.json"),
              "ci_group": CI_GROUP, "access_groups": ["zot-admins"], "groups_claim": True}
    return {"playbook": playbook, "vars": values, "tmp": tmp_path}


def play(setup, check=False, diff=False, verbosity=0, **extra):
    return run_playbook(setup["playbook"], extra_vars=dict(setup["vars"], **extra), check=check, diff=diff,
                        verbosity=verbosity)


def zot_provider(ak, name="zot"):
    found = [p for p in ak.all("providers").values() if p["name"] == name]
    assert len(found) == 1, found
    return found[0]


def write_paths(double):
    return [(r["method"], r["path"]) for r in double.writes]


def test_role_from_nothing_registers_everything_then_changes_nothing(real_authentik, setup):
    d = real_authentik
    first = play(setup, diff=True, verbosity=1)
    assert first.rc == 0, first
    assert first.changed == 5, first  # provider, application, CI group, bindings, credentials file
    assert "[WARNING]" not in first.output, first

    # The provider: confidential, strict redirect URI from zot's externalUrl, signing key and flows by name/slug,
    # zot's scopes plus the groups claim.
    provider = zot_provider(d)
    assert provider["client_type"] == "confidential"
    assert [(u["matching_mode"], u["url"]) for u in provider["redirect_uris"]] == [
        ("strict", f"{EXTERNAL}/zot/auth/callback/oidc")]
    assert d.all("certificates")[provider["signing_key"]]["name"] == "authentik Self-signed Certificate"
    flows = dict((f["pk"], f["slug"]) for f in d.all("flows").values())
    assert flows[provider["authorization_flow"]] == "default-provider-authorization-implicit-consent"
    assert flows[provider["invalidation_flow"]] == "default-provider-invalidation-flow"
    mappings = d.all("scope_mappings")
    scopes = sorted(mappings[pk]["scope_name"] for pk in provider["property_mappings"])
    assert scopes == ["email", "groups", "openid", "profile"]

    # The application links it, the CI group exists and both groups are bound (CI group first).
    app = d.all("applications")["zot"]
    assert app["provider"] == provider["pk"] and app["name"] == "zot registry"
    assert app["meta_launch_url"] == EXTERNAL and app["policy_engine_mode"] == "any"
    groups = dict((g["name"], g["pk"]) for g in d.all("groups").values())
    assert CI_GROUP in groups
    bound = sorted((b["order"], b["group"]) for b in d.all("bindings").values() if b["target"] == app["pk"])
    assert bound == [(0, groups[CI_GROUP]), (1, groups["zot-admins"])]

    # zot's credentials file holds the id and secret authentik generated, mode 0600.
    creds_path = setup["vars"]["credentials_file"]
    assert stat.S_IMODE(os.stat(creds_path).st_mode) == 0o600
    creds = json.loads(open(creds_path).read())
    assert creds == {"clientid": provider["client_id"], "clientsecret": provider["client_secret"]}
    assert len(provider["client_secret"]) >= 64

    # The facts: zot's entry with authentik's per-application issuer and the groups scope, free of secrets;
    # the server role's entry carries the same issuer (and the secret, which it writes to the same file).
    facts = json.loads(open(setup["vars"]["facts_file"]).read())
    issuer = f"{d.url}/application/o/zot/"
    assert facts["provider_config"] == {"name": "authentik", "issuer": issuer, "credentialsFile": creds_path,
                                        "scopes": ["openid", "profile", "email", "groups"]}
    assert provider["client_secret"] not in json.dumps(facts["provider_config"])
    assert list(facts["openid_providers"]) == ["oidc"]
    server = facts["openid_providers"]["oidc"]
    assert server["issuer"] == issuer and server["client_id"] == provider["client_id"]
    assert server["credentials_file"] == creds_path
    assert server["client_secret"] == provider["client_secret"]

    # Neither the secret nor the token reaches the output, even at -v with --diff.
    assert provider["client_secret"] not in first.output
    assert d.token not in first.output

    # authentik publishes that issuer.
    discovery = requests.get(issuer + ".well-known/openid-configuration", timeout=30)
    assert discovery.status_code == 200 and discovery.json()["issuer"] == issuer, discovery.text

    # A second run: nothing changed, not one write request.
    before = d.snapshot()
    d.clear_log()
    second = play(setup, diff=True, verbosity=1)
    assert second.rc == 0, second
    assert second.changed == 0, second
    assert "[WARNING]" not in second.output, second
    assert d.writes == [], write_paths(d)
    assert d.log and all(r["method"] == "GET" for r in d.log)
    print(f"oidc role no-op against the real authentik: {len(d.log)} GET requests")
    assert len(d.log) <= 30, [(r["path"], r["query"]) for r in d.log]
    assert d.snapshot() == before
    assert json.loads(open(creds_path).read()) == creds
    assert provider["client_secret"] not in second.output


def test_check_diff_of_a_new_external_url_shows_the_redirect_change_and_no_secret(real_authentik, setup):
    d = real_authentik
    assert play(setup).rc == 0
    secret = zot_provider(d)["client_secret"]
    before = d.snapshot()
    creds = open(setup["vars"]["credentials_file"]).read()
    d.clear_log()

    new_url = "https://registry.example.test"
    result = play(setup, check=True, diff=True, verbosity=1, external_url=new_url)
    assert result.rc == 0, result
    assert result.changed == 2, result  # the provider's redirect URI, the application's launch URL
    assert d.writes == [], write_paths(d)
    assert d.snapshot() == before
    assert open(setup["vars"]["credentials_file"]).read() == creds

    out = result.stdout
    assert f'"{EXTERNAL}/zot/auth/callback/oidc (strict)"' in out, out
    assert f'"{new_url}/zot/auth/callback/oidc (strict)"' in out, out
    # the application's launch URL, as a real diff
    assert f'-    "launch_url": "{EXTERNAL}"' in out and f'+    "launch_url": "{new_url}"' in out, out
    assert secret not in result.output
    assert "client_secret" not in out

    # The real run does what check mode predicted: one PATCH each, nothing else written.
    d.clear_log()
    real = play(setup, diff=True, external_url=new_url)
    assert real.rc == 0 and real.changed == 2, real
    provider = zot_provider(d)
    assert sorted(write_paths(d)) == sorted([("PATCH", f"/api/v3/providers/oauth2/{provider['pk']}/"),
                                             ("PATCH", "/api/v3/core/applications/zot/")])
    assert [u["url"] for u in provider["redirect_uris"]] == [f"{new_url}/zot/auth/callback/oidc"]
    assert provider["client_secret"] == secret
    assert secret not in real.output


def test_check_mode_from_nothing_predicts_the_real_run_and_writes_nothing(real_authentik, setup):
    before = real_authentik.snapshot()
    predicted = play(setup, check=True, diff=True)
    assert predicted.rc == 0, predicted
    assert real_authentik.writes == [], write_paths(real_authentik)
    assert real_authentik.snapshot() == before
    assert not os.path.exists(setup["vars"]["credentials_file"])
    real = play(setup)
    assert real.rc == 0, real
    assert predicted.changed == real.changed == 5, (predicted, real)


def test_bad_token_fails_clearly_and_makes_nothing(real_authentik, setup):
    authentik = real_authentik
    before = authentik.snapshot()
    result = play(setup, ak_token="wrong-token-value-1234")
    assert result.rc != 0, result
    assert result.failed == 1, result
    assert "authentik refused the API token (HTTP 403" in result.output, result
    assert authentik.writes == [], write_paths(authentik)
    assert authentik.snapshot() == before
    assert not os.path.exists(setup["vars"]["credentials_file"])
    assert "wrong-token-value-1234" not in result.output
    assert authentik.token not in result.output


@pytest.mark.parametrize("extra, expected", [
    ({"signing_key": "no such key"}, "signing_key: no authentik certificate-key pair is named 'no such key'"),
    ({"signing_key": "public-only CA"}, "signing_key: the certificate 'public-only CA' has no private key"),
    ({"access_groups": ["no-such-group"]}, "group: no authentik group is named 'no-such-group'"),
    ({"ak_token": ""}, "zot_oidc_authentik_token an authentik API token (it is empty)"),
    ({"ak_url": "authentik.example.test"}, "zot_oidc_authentik_url must be authentik's base URL"),
])
def test_bad_input_fails_clearly(real_authentik, setup, extra, expected):
    authentik = real_authentik
    public_only_certificate(authentik)
    before = authentik.snapshot()
    authentik.clear_log()
    result = play(setup, **extra)
    assert result.rc != 0, result
    assert expected in result.output, result
    assert not os.path.exists(setup["vars"]["credentials_file"])
    if "access_groups" not in extra:  # a group is looked up at its binding, after the provider is made
        assert authentik.writes == [], write_paths(authentik)
        assert authentik.snapshot() == before
    assert authentik.token not in result.output


def test_absent_removes_provider_application_and_file(real_authentik, setup):
    d = real_authentik
    assert play(setup).rc == 0
    d.clear_log()
    removed = play(setup, oidc_state="absent")
    assert removed.rc == 0, removed
    assert "[WARNING]" not in removed.output, removed
    assert removed.changed == 3, removed  # provider, application, credentials file
    assert all(m == "DELETE" for m, p in write_paths(d)), write_paths(d)
    assert d.by("providers", "name", "zot") is None
    assert "zot" not in d.all("applications")
    assert d.by("scope_mappings", "name", "zotops.zot: groups claim") is None
    groups = d.all("groups")
    assert not [b for b in d.all("bindings").values() if b["group"] is not None
                and groups[b["group"]]["name"] in (CI_GROUP, "zot-admins")]
    assert CI_GROUP in [g["name"] for g in groups.values()]  # zot's accessControl may name it
    assert not os.path.exists(setup["vars"]["credentials_file"])

    d.clear_log()
    again = play(setup, oidc_state="absent")
    assert again.rc == 0 and again.changed == 0, again
    assert d.writes == []


def test_minimal_settings_make_only_provider_and_application(real_authentik, setup):
    d = real_authentik
    bindings_before = set(d.all("bindings"))
    result = play(setup, ci_group="", access_groups=[], groups_claim=False)
    assert result.rc == 0, result
    assert result.changed == 3, result  # provider, application, credentials file
    provider = zot_provider(d)
    mappings = d.all("scope_mappings")
    scopes = sorted(mappings[pk]["scope_name"] for pk in provider["property_mappings"])
    assert scopes == ["email", "openid", "profile"]
    assert d.by("scope_mappings", "name", "zotops.zot: groups claim") is None
    assert set(d.all("bindings")) == bindings_before
    assert CI_GROUP not in [g["name"] for g in d.all("groups").values()]
    facts = json.loads(open(setup["vars"]["facts_file"]).read())
    assert facts["provider_config"]["scopes"] == ["openid", "profile", "email"]
    assert facts["provider_config"]["issuer"] == f"{d.url}/application/o/zot/"
