"""The vault_kv2 store against HashiCorp Vault's own KV v2 (Vault 1.21.4's core, KV plugin and HTTP API
handler, harness/vaultdev), through secret_store_value as a user runs it (ansible-playbook -vvv --diff)
and through the store class where the module has no verb (delete). What a reader of the secret gets
and whether a write happened are read back from Vault itself: the secret's data and its KV v2
metadata (current_version, per-version deletion time)."""
import secrets

import pytest
import requests

from integration.harness.ansible import run_playbook
from integration.harness.env import REPO
from integration.secret_stores.doubles import SpecDouble, VaultKv2

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - zotops.zot.secret_store_value:
        value: "{{ value }}"
        stores: "{{ stores }}"
"""


def play(tmp_path, check=False, **extra):
    path = tmp_path / "play.yml"
    path.write_text(PLAY)
    return run_playbook(path, extra_vars=extra, verbosity=3, diff=True, check=check)


def store(vault_server, path, **more):
    return dict({"type": "vault_kv2", "url": vault_server.url, "token": vault_server.token, "path": path}, **more)


def key():
    return "zak_" + secrets.token_hex(16)


def fresh_path(prefix="ci"):
    return f"{prefix}/zot-{secrets.token_hex(4)}"


def version(vault_server, path, mount="secret"):
    meta = vault_server.kv_metadata(mount, path)
    return meta["current_version"] if meta else 0


def assert_no_secret(result, *values):
    for value in values:
        assert value not in result.output


def test_create_noop_update_keep_the_other_keys(vault_server, tmp_path):
    path = fresh_path()
    # A secret CI already reads, with a key of its own that our writes must keep.
    vault_server.kv_write("secret", path, {"username": "ci"})
    first, second = key(), key()

    created = play(tmp_path, value=first, stores=[store(vault_server, path, key="apikey")])
    assert created.rc == 0 and created.changed == 1, created
    assert vault_server.kv_data("secret", path) == {"username": "ci", "apikey": first}
    assert version(vault_server, path) == 2

    noop = play(tmp_path, value=first, stores=[store(vault_server, path, key="apikey")])
    assert noop.rc == 0 and noop.changed == 0, noop
    assert version(vault_server, path) == 2, "a no-op wrote a new version"

    updated = play(tmp_path, value=second, stores=[store(vault_server, path, key="apikey")])
    assert updated.rc == 0 and updated.changed == 1, updated
    assert vault_server.kv_data("secret", path) == {"username": "ci", "apikey": second}
    assert version(vault_server, path) == 3, "one write, one new version"
    for result in (created, noop, updated):
        assert_no_secret(result, first, second, vault_server.token)


def test_check_mode_predicts_and_writes_nothing(vault_server, tmp_path):
    path, value, other = fresh_path(), key(), key()
    absent = play(tmp_path, check=True, value=value, stores=[store(vault_server, path)])
    assert absent.rc == 0 and absent.changed == 1, absent
    assert vault_server.kv_metadata("secret", path) is None, "check mode created the secret"

    vault_server.kv_write("secret", path, {"value": value})
    same = play(tmp_path, check=True, value=value, stores=[store(vault_server, path)])
    assert same.rc == 0 and same.changed == 0, same
    different = play(tmp_path, check=True, value=other, stores=[store(vault_server, path)])
    assert different.rc == 0 and different.changed == 1, different
    assert vault_server.kv_data("secret", path) == {"value": value} and version(vault_server, path) == 1
    for result in (absent, same, different):
        assert_no_secret(result, value, other, vault_server.token)


def test_non_default_mount_and_nested_path(vault_server, tmp_path):
    mount = "ci-kv-" + secrets.token_hex(3)
    vault_server.mount_kv2(mount)
    path, value = "teams/registry/zot/" + secrets.token_hex(3), key()
    result = play(tmp_path, value=value, stores=[store(vault_server, path, mount=mount, key="token")])
    assert result.rc == 0 and result.changed == 1, result
    assert vault_server.kv_data(mount, path) == {"token": value}
    assert vault_server.kv_data("secret", path) is None, "written to the default mount"
    again = play(tmp_path, value=value, stores=[store(vault_server, path, mount=mount, key="token")])
    assert again.rc == 0 and again.changed == 0, again
    assert version(vault_server, path, mount) == 1


def test_mount_without_kv_v2_fails_at_read_naming_the_store(vault_server, tmp_path):
    """Vault answers a missing mount with 404 *and* an error ("no handler for route"); a missing secret
    has no error. Before, the store took both for "absent": check mode predicted a write that the real
    run could not do, and a rotation made its new key before failing."""
    path, value = fresh_path(), key()
    checked = play(tmp_path, check=True, value=value, stores=[store(vault_server, path, mount="no-such-mount")])
    assert checked.rc != 0
    assert f"vault_kv2:no-such-mount/{path}#value: read answered HTTP 404" in checked.output
    assert "no handler for route" in checked.output
    assert_no_secret(checked, value, vault_server.token)


def test_delete_then_write_again(vault_server, tmp_path):
    """The store's delete (a rollback of a secret that did not exist before) soft-deletes the latest
    version. Vault then answers a read with 404 and that version's metadata, and a write must name
    that version as its check-and-set: before, the store sent cas 0 and every later write failed."""
    from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import build_store
    path, first, second = fresh_path(), key(), key()
    assert play(tmp_path, value=first, stores=[store(vault_server, path)]).rc == 0
    vault_store = build_store(store(vault_server, path))
    vault_store.delete()
    assert vault_server.kv_data("secret", path) is None
    meta = vault_server.kv_metadata("secret", path)
    assert meta["current_version"] == 1 and meta["versions"]["1"]["deletion_time"], meta
    vault_store.delete()  # again: nothing left to delete is fine
    assert vault_store.read().exists is False

    again = play(tmp_path, value=second, stores=[store(vault_server, path)])
    assert again.rc == 0 and again.changed == 1, again
    assert vault_server.kv_data("secret", path) == {"value": second}
    assert version(vault_server, path) == 2


def test_restore_puts_back_the_previous_version(vault_server):
    """What a failed rotation does: write the new key, then restore the snapshot taken before."""
    from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import build_store
    path, old, new = fresh_path(), key(), key()
    vault_server.kv_write("secret", path, {"value": old, "username": "ci"})
    vault_store = build_store(store(vault_server, path))
    before = vault_store.read()
    assert vault_store.ensure(new, snapshot=before)["changed"]
    assert vault_server.kv_data("secret", path) == {"value": new, "username": "ci"}
    assert vault_store.restore(before) == "restored"
    assert vault_server.kv_data("secret", path) == {"value": old, "username": "ci"}
    assert version(vault_server, path) == 3

    absent_path = fresh_path()
    absent_store = build_store(store(vault_server, absent_path))
    empty = absent_store.read()
    absent_store.ensure(new, snapshot=empty)
    assert absent_store.restore(empty) == "removed (did not exist before)"
    assert vault_server.kv_data("secret", absent_path) is None


def test_bad_token_names_the_store_and_writes_nothing(vault_server, tmp_path):
    path, value, bad = fresh_path(), key(), "hvs." + secrets.token_urlsafe(18)
    result = play(tmp_path, value=value, stores=[store(vault_server, path, token=bad, name="vault-ci")])
    assert result.rc != 0
    assert "vault-ci: read answered HTTP 403" in result.output, result.output[-3000:]
    assert "permission denied" in result.output
    assert_no_secret(result, value, bad, vault_server.token)
    assert vault_server.kv_metadata("secret", path) is None


def test_the_double_answers_like_the_real_vault(vault_server):
    """tests/integration/api_keys keeps a Vault double for one thing a real server cannot do (stop zot
    in the middle of a store write). It must answer what the store sends the way Vault does."""
    def session(url, token, mount):
        path = fresh_path("double")
        base = f"{url}/v1/{mount}/data/{path}"
        good, bad = {"X-Vault-Token": token}, {"X-Vault-Token": "wrong"}

        def call(method, headers=None, **kw):
            resp = requests.request(method, base, headers=headers or good, timeout=10, **kw)
            doc = resp.json() if resp.content else None
            inner = (doc or {}).get("data") or {}
            return (resp.status_code, (doc or {}).get("errors"), inner.get("data"),
                    (inner.get("metadata") or {}).get("version", inner.get("version")))

        def write(data, cas):
            return call("POST", json={"data": data, "options": {"cas": cas}})

        return [call("GET"), write({"value": "a"}, 0), call("GET"), write({"value": "b"}, 0),
                write({"value": "b"}, 1), call("GET"), call("DELETE"), call("GET"), write({"value": "c"}, 0),
                write({"value": "c"}, 2), call("GET"), call("GET", headers=bad)[:1], call("DELETE", headers=bad)[:1]]

    real = session(vault_server.url, vault_server.token, "secret")
    with SpecDouble("vault_kv2", VaultKv2(), "X-Vault-Token", "vt") as double:
        doubled = session(double.url, "vt", "secret")
    assert double.violations == []
    assert doubled == real


# --- rotation into Vault: zotops.zot.rotate_api_key against a real zot ----------------------------
ROTATE = REPO / "playbooks" / "rotate_api_key.yml"
ZOT_USER, ZOT_PASSWORD = "ci", "ci-password-" + "v" * 8


@pytest.fixture
def zot(zot_factory, htpasswd_file):
    """zot with htpasswd and API keys; the CI user may push anywhere but to readonly/** (where a
    rotation's push test fails, so the rotation rolls back)."""
    return zot_factory({"http": {
        "auth": {"htpasswd": {"path": htpasswd_file({ZOT_USER: ZOT_PASSWORD})}, "apikey": True},
        "accessControl": {"repositories": {
            "**": {"policies": [{"users": [ZOT_USER], "actions": ["read", "create", "update"]}]},
            "readonly/**": {"policies": [{"users": [ZOT_USER], "actions": ["read"]}]},
        }},
    }})


def rotate(zot, tmp_path, stores, auth=None, **extra):
    variables = {"zot_apikey_url": zot.url, "zot_apikey_user": ZOT_USER, "zot_apikey_label": "ci",
                 "zot_apikey_stores": stores, "zot_apikey_journal_path": str(tmp_path / "journal")}
    variables.update(auth or {"zot_apikey_password": ZOT_PASSWORD})
    variables.update(extra)
    return run_playbook(ROTATE, extra_vars=variables, verbosity=3, diff=True)


def zot_status(zot, api_key):
    return requests.get(f"{zot.url}/v2/", auth=(ZOT_USER, api_key), timeout=10).status_code


@pytest.mark.zot
@pytest.mark.slow
def test_scheduled_rotation_into_vault(zot, vault_server, tmp_path):
    """Rotation into a file and a Vault secret CI reads (which has a key of its own): the new key
    lands in Vault as one new version, a run inside the validity window writes nothing, and a
    rotation whose push test fails puts the previous key back."""
    path = fresh_path()
    vault_server.kv_write("secret", path, {"username": ZOT_USER})
    stores = [{"type": "file", "path": str(tmp_path / "key")},
              store(vault_server, path, key="apikey", name="vault-ci")]
    by_key = {"zot_apikey_current_key_file": str(tmp_path / "key")}

    first = rotate(zot, tmp_path, stores)
    assert first.rc == 0, first
    old = (tmp_path / "key").read_text().strip()
    assert vault_server.kv_data("secret", path) == {"username": ZOT_USER, "apikey": old}

    rotated = rotate(zot, tmp_path, stores, auth=by_key, zot_apikey_state="rotated",
                     zot_apikey_test_push_repository="ci/rotation-probe")
    assert rotated.rc == 0, rotated
    new = (tmp_path / "key").read_text().strip()
    assert new != old and vault_server.kv_data("secret", path) == {"username": ZOT_USER, "apikey": new}
    assert version(vault_server, path) == 3
    assert zot_status(zot, old) == 401 and zot_status(zot, new) == 200

    again = rotate(zot, tmp_path, stores, auth=by_key)
    assert again.rc == 0 and again.changed == 0, again
    assert version(vault_server, path) == 3, "a run inside the validity window wrote to Vault"

    failed = rotate(zot, tmp_path, stores, auth=by_key, zot_apikey_state="rotated",
                    zot_apikey_test_push_repository="readonly/probe")
    assert failed.rc != 0 and "step test" in failed.output, failed
    assert vault_server.kv_data("secret", path) == {"username": ZOT_USER, "apikey": new}
    assert zot_status(zot, new) == 200
    for result in (first, rotated, again, failed):
        assert_no_secret(result, old, new, vault_server.token, ZOT_PASSWORD)


@pytest.mark.zot
def test_rotation_after_a_rolled_back_first_rotation(zot, vault_server, tmp_path):
    """The first rotation into an empty Vault path fails its push test, and its rollback deletes the
    secret it had created. The next rotation must store its key there: before the store read the
    deleted version from Vault's 404, it sent cas 0 and Vault refused every later write."""
    path = fresh_path()
    stores = [store(vault_server, path, name="vault-ci")]
    failed = rotate(zot, tmp_path, stores, zot_apikey_test_push_repository="readonly/probe")
    assert failed.rc != 0 and "step test" in failed.output, failed
    assert vault_server.kv_data("secret", path) is None
    assert version(vault_server, path) == 1, "the rollback soft-deleted the version it had written"

    healed = rotate(zot, tmp_path, stores)
    assert healed.rc == 0, healed
    stored = vault_server.kv_data("secret", path)["value"]
    assert stored.startswith("zak_") and zot_status(zot, stored) == 200
    assert version(vault_server, path) == 2
