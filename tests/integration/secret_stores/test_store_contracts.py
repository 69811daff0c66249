"""Stores with no real server here, against doubles that validate every request against the
vendor's published API description (specs/*.json). Each test checks what a user would notice:
the store holds the value written, a second ensure() sends no write (or, for write-only stores,
is documented to write), restore() puts the previous state back, and no request violated the
spec.

vault_kv2 is tested against Vault itself (test_store_vault.py); its double stays for
tests/integration/api_keys, and test_store_vault.py checks that it answers as Vault does."""
import base64
import json

import pytest

from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import (
    SecretStoreError, build_store, build_stores)
from integration.secret_stores.doubles import (
    GitHub, Gitea, Kubernetes, OnePasswordConnect, SpecDouble)

pytestmark = pytest.mark.contract

NEW = "zak_" + "n" * 40
OLD = "zak_" + "o" * 40


def spec_of(double_url, **kw):
    return dict(kw, url=double_url)


@pytest.mark.parametrize("kind", ["forgejo", "gitea"])
@pytest.mark.parametrize("level", ["repo", "org", "user"])
def test_forgejo_gitea_write_only(kind, level):
    state = Gitea()
    with SpecDouble("gitea", state, "Authorization", "token gt") as double:
        where = {"repo": dict(owner="eblume", repo="blumeops"), "org": dict(org="ops"),
                 "user": dict(user_level=True)}[level]
        store = build_store(spec_of(double.url, type=kind, token="gt", secret_name="ZOT_CI_API_KEY", **where))
        assert store.readable is False
        snap = store.read()
        assert snap.known is False
        assert snap.exists is (None if level == "user" else False)
        assert store.ensure(NEW, snapshot=snap)["changed"]  # write-only: always writes when asked
        scope = {"repo": "eblume/blumeops", "org": "org:ops", "user": "user"}[level]
        assert state.secrets[(scope, "ZOT_CI_API_KEY")] == NEW
        if level != "user":
            assert store.read().exists is True
        # rollback with the previous key known puts it back; unknown and absent removes it
        store.restore(snap, fallback_value=OLD)
        assert state.secrets[(scope, "ZOT_CI_API_KEY")] == OLD
    assert double.violations == [], double.violations


def test_forgejo_restore_without_previous_value_fails_loudly():
    with SpecDouble("gitea", Gitea(), "Authorization", "token gt") as double:
        store = build_store(spec_of(double.url, type="forgejo", token="gt", secret_name="S", owner="o", repo="r"))
        store.write(OLD)
        snap = store.read()  # exists, value unknown
        with pytest.raises(SecretStoreError, match="write-only"):
            store.restore(snap)
    assert double.violations == []


@pytest.mark.parametrize("level", ["repo", "org"])
def test_github_sealed_with_the_public_key(level):
    state = GitHub()
    with SpecDouble("github", state, "Authorization", "Bearer ght") as double:
        where = dict(owner="zotops", repo="ci") if level == "repo" else dict(org="zotops")
        store = build_store(dict(type="github", url=double.url, token="ght", secret_name="ZOT_CI_API_KEY", **where))
        snap = store.read()
        assert snap.exists is False and not snap.known
        store.ensure(NEW, snapshot=snap)
        scope = "zotops/ci" if level == "repo" else "org:zotops"
        stored = state.secrets[(scope, "ZOT_CI_API_KEY")]
        assert NEW not in json.dumps(stored), "the value went over the wire unsealed"
        assert state.decrypt(scope, "ZOT_CI_API_KEY") == NEW
        assert store.read().exists is True
        store.restore(snap)  # did not exist before -> removed
        assert (scope, "ZOT_CI_API_KEY") not in state.secrets
    assert double.violations == [], double.violations


def test_onepassword_connect_item_field():
    state = OnePasswordConnect()
    with SpecDouble("onepassword_connect", state, "Authorization", "Bearer opt") as double:
        store = build_store(dict(type="onepassword_connect", url=double.url, token="opt", vault="blumeops",
                                 item="Forgejo Secrets", field="zot-ci-api"))
        snap = store.read()
        assert snap.exists is False
        store.ensure(NEW, snapshot=snap)
        assert state.field("zot-ci-api") == NEW
        assert state.field("password") == "unrelated"
        n = len(double.writes())
        assert store.ensure(NEW)["changed"] is False
        assert len(double.writes()) == n
        store.restore(snap)
        assert "zot-ci-api" not in [f["label"] for f in state.items[state.item_id]["fields"]]
        # an existing field, by id
        by_id = build_store(dict(type="onepassword_connect", url=double.url, token="opt",
                                 vault=state.vault_id, item=state.item_id, field="password"))
        before = by_id.read()
        assert before.value == "unrelated"
        by_id.ensure(NEW, snapshot=before)
        assert state.field("password") == NEW
        by_id.restore(before)
        assert state.field("password") == "unrelated"
    assert double.violations == [], double.violations


def test_kubernetes_secret_key():
    state = Kubernetes()
    with SpecDouble("kubernetes", state, "Authorization", "Bearer k8s") as double:
        store = build_store(dict(type="kubernetes", url=double.url, token="k8s", namespace="ci",
                                 secret="zot-push", key="password"))
        absent = store.read()
        assert absent.exists is False
        store.ensure(OLD, snapshot=absent)  # creates the Secret
        assert base64.b64decode(state.secrets[("ci", "zot-push")]["data"]["password"]).decode() == OLD
        state.secrets[("ci", "zot-push")]["data"]["username"] = base64.b64encode(b"ci").decode()
        n = len(double.writes())
        assert store.ensure(OLD)["changed"] is False
        assert len(double.writes()) == n
        before = store.read()
        store.ensure(NEW)
        assert store.read().value == NEW
        store.restore(before)
        assert store.read().value == OLD
        assert "username" in state.secrets[("ci", "zot-push")]["data"]
        store.restore(absent)  # the Secret did not exist: deleted
        assert ("ci", "zot-push") not in state.secrets
    assert double.violations == [], double.violations


def test_double_rejects_requests_outside_the_spec():
    """The doubles are strict: an undeclared field, query parameter or path is refused."""
    import urllib.request
    with SpecDouble("gitea", Gitea(), "Authorization", "token gt") as double:
        req = urllib.request.Request(f"{double.url}/api/v1/repos/o/r/actions/secrets/S", method="PUT",
                                     data=json.dumps({"data": "x", "extra": 1}).encode(),
                                     headers={"Authorization": "token gt", "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 400
        req = urllib.request.Request(f"{double.url}/api/v1/repos/o/r/actions/variables", headers={"Authorization": "token gt"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(req)
    assert len(double.violations) == 2


def test_option_errors_name_the_option():
    with pytest.raises(SecretStoreError, match=r"stores\[1\] \(type vault_kv2\) needs .*token"):
        build_stores([dict(type="file", path="/tmp/x"), dict(type="vault_kv2", url="http://v", path="p")])
    with pytest.raises(SecretStoreError, match=r"stores\[0\] \(type file\) does not take secret_name"):
        build_stores([dict(type="file", path="/tmp/x", secret_name="S")])
    with pytest.raises(SecretStoreError, match="exactly one of repo"):
        build_store(dict(type="gitea", url="http://g", token="t", secret_name="S"))
    stores = build_stores([dict(type="github", token="t", secret_name="S", org="o"), dict(type="file", path="/tmp/x")])
    assert [s.kind for s in stores] == ["file", "github"], "readable stores go first"


def test_module_through_ansible_playbook(tmp_path):
    """secret_store_value as a user runs it, with write-only and readable stores behind doubles."""
    from integration.harness.ansible import run_playbook
    value = "oidc-client-secret-" + "q" * 24
    github, k8s = GitHub(), Kubernetes()
    with SpecDouble("github", github, "Authorization", "Bearer github-token-1") as gh, \
            SpecDouble("kubernetes", k8s, "Authorization", "Bearer kube-token-1") as kube:
        playbook = tmp_path / "play.yml"
        playbook.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - zotops.zot.secret_store_value:
        value: "{{ v }}"
        write_only: "{{ mode }}"
        stores:
          - {type: github, url: "{{ gh }}", token: github-token-1, owner: zotops, repo: ci, secret_name: OIDC}
          - {type: kubernetes, url: "{{ kube }}", token: kube-token-1, namespace: zot, secret: oidc, key: clientsecret}
""")
        extra = {"v": value, "gh": gh.url, "kube": kube.url, "mode": "missing"}
        first = run_playbook(playbook, extra_vars=extra, verbosity=3, diff=True)
        assert first.rc == 0 and first.changed == 1, first
        assert github.decrypt("zotops/ci", "OIDC") == value
        assert base64.b64decode(k8s.secrets[("zot", "oidc")]["data"]["clientsecret"]).decode() == value
        assert value not in first.output
        writes = len(gh.writes()) + len(kube.writes())
        second = run_playbook(playbook, extra_vars=extra)
        assert second.rc == 0 and second.changed == 0, second
        assert len(gh.writes()) + len(kube.writes()) == writes, "write_only: missing wrote again"
        third = run_playbook(playbook, extra_vars=dict(extra, mode="always"))
        assert third.rc == 0 and third.changed == 1, third
        assert len(kube.writes()) + len(gh.writes()) == writes + 1, "only the write-only store was written"
    assert gh.violations == [] and kube.violations == []
