"""API key rotation against a real zot, through playbooks/rotate_api_key.yml as a scheduler runs it.

Needs the zot binary (the harness's zot_factory skips with the exact reason where it cannot be
built). zot's behaviour is never simulated here; the only double is a Vault KV v2 store (validated
against Vault's API description), through which a test takes zot down in the middle of a rotation.
"""
from pathlib import Path

import pytest
import requests

from integration.harness import zot as zot_harness
from integration.harness.ansible import run_playbook
from integration.secret_stores.doubles import SpecDouble, VaultKv2

pytestmark = [pytest.mark.zot, pytest.mark.slow]

PLAYBOOK = Path(__file__).resolve().parents[3] / "playbooks" / "rotate_api_key.yml"
USER, PASSWORD, LABEL = "ci", "ci-password-" + "x" * 8, "ci"


@pytest.fixture
def zot(zot_factory, htpasswd_file):
    config = {
        "http": {
            "auth": {"htpasswd": {"path": htpasswd_file({USER: PASSWORD})}, "apikey": True},
            "accessControl": {
                "repositories": {
                    "**": {"policies": [{"users": [USER], "actions": ["read", "create", "update"]}]},
                    "readonly/**": {"policies": [{"users": [USER], "actions": ["read"]}]},
                },
            },
        },
    }
    return zot_factory(config)


def keys(zot, label=LABEL):
    resp = requests.get(f"{zot.url}/zot/auth/apikey", auth=(USER, PASSWORD), timeout=10)
    assert resp.status_code == 200, (resp.status_code, resp.text, zot.log_tail())
    return [k for k in resp.json()["apiKeys"] if k["label"] == label]


def v2_status(zot, key):
    return requests.get(f"{zot.url}/v2/", auth=(USER, key), timeout=10).status_code


def rotate(zot, tmp_path, stores=None, auth=None, **more):
    extra = {"zot_apikey_url": zot.url, "zot_apikey_user": USER, "zot_apikey_label": LABEL,
             "zot_apikey_stores": stores if stores is not None else [{"type": "file", "path": str(tmp_path / "key")}],
             "zot_apikey_journal_path": str(tmp_path / "journal")}
    extra.update(auth or {"zot_apikey_password": PASSWORD})
    extra.update(more.pop("extra", {}))
    return run_playbook(PLAYBOOK, extra_vars=extra, **more)


def stored(tmp_path, name="key"):
    return (tmp_path / name).read_text().strip()


@pytest.mark.ansible_range
@pytest.mark.parametrize("zot_bin", zot_harness.RELEASES, indirect=True)  # the oldest release the role supports too
def test_rotate_twice_one_key_newest_pushes_previous_refused(zot, tmp_path, oci_image, skopeo_copy):
    first = rotate(zot, tmp_path, verbosity=3, diff=True)
    assert first.rc == 0, first
    key1 = stored(tmp_path)
    assert key1.startswith("zak_") and key1 not in first.output
    assert len(keys(zot)) == 1

    again = rotate(zot, tmp_path)
    assert again.rc == 0 and again.changed == 0, again  # 90 days left: nothing to do

    checked = rotate(zot, tmp_path, check=True, extra={"zot_apikey_min_days_valid": 89, "zot_apikey_valid_days": 120})
    assert checked.rc == 0 and "Rotation due" not in checked.stdout, checked

    # The current key makes its own successor: no password at rotation time.
    second = rotate(zot, tmp_path, auth={"zot_apikey_current_key_file": str(tmp_path / "key")},
                    extra={"zot_apikey_state": "rotated", "zot_apikey_test_push_repository": "ci/probe"},
                    verbosity=3, diff=True)
    assert second.rc == 0, second
    key2 = stored(tmp_path)
    assert key2 != key1 and key2 not in second.output and key1 not in second.output
    assert len(keys(zot)) == 1, "exactly one key with the label"

    pushed = skopeo_copy(oci_image, f"docker://127.0.0.1:{zot.port}/ci/app:1", creds=f"{USER}:{key2}")
    assert pushed.returncode == 0, pushed.stderr + zot.log_tail()
    refused = skopeo_copy(oci_image, f"docker://127.0.0.1:{zot.port}/ci/app:2", creds=f"{USER}:{key1}")
    assert refused.returncode != 0
    assert v2_status(zot, key1) == 401
    assert v2_status(zot, key2) == 200


def test_check_mode_reports_due_without_making_a_key(zot, tmp_path):
    result = rotate(zot, tmp_path, check=True)
    assert result.rc == 0, result
    assert "Rotation due: no key with this label; no current key;" in result.stdout
    assert "key none" not in result.stdout and "expires never" not in result.stdout
    assert keys(zot) == []
    assert not (tmp_path / "key").exists()


def test_unreachable_store_fails_at_read_and_changes_nothing(zot, tmp_path):
    assert rotate(zot, tmp_path).rc == 0
    old = stored(tmp_path)
    before = keys(zot)
    stores = [{"type": "file", "path": str(tmp_path / "key")},
              {"type": "vault_kv2", "url": "http://127.0.0.1:9", "token": "vault-token-unused", "path": "ci/zot", "name": "vault-ci"}]
    result = rotate(zot, tmp_path, stores=stores, extra={"zot_apikey_state": "rotated"}, verbosity=3)
    assert result.rc != 0
    assert "step read" in result.output and "vault-ci" in result.output
    assert keys(zot) == before, "no key was made"
    assert stored(tmp_path) == old and v2_status(zot, old) == 200


def test_new_key_failing_its_push_test_is_rolled_back(zot, tmp_path):
    assert rotate(zot, tmp_path).rc == 0
    old = stored(tmp_path)
    before = [k["uuid"] for k in keys(zot)]
    result = rotate(zot, tmp_path, extra={"zot_apikey_state": "rotated",
                                          "zot_apikey_test_push_repository": "readonly/probe"}, verbosity=3)
    assert result.rc != 0
    assert "step test" in result.output and "push test" in result.output
    assert [k["uuid"] for k in keys(zot)] == before, "the new key was revoked"
    assert stored(tmp_path) == old and v2_status(zot, old) == 200


def test_zot_down_after_the_key_is_made(zot, tmp_path):
    assert rotate(zot, tmp_path).rc == 0
    old = stored(tmp_path)
    before = [k["uuid"] for k in keys(zot)]

    # A Vault double, not the real Vault: the test needs a hook between the store's write and zot
    # (a real server has none). The double answers as Vault does (secret_stores/test_store_vault.py).
    vault = VaultKv2()

    def stop_zot_on_write(req):
        answer = vault(req)
        if req.method == "POST" and len(vault.data[("secret", "ci/zot")]) == 1:
            zot.stop()  # the new key exists and is being stored: zot goes away
        return answer

    with SpecDouble("vault_kv2", stop_zot_on_write, "X-Vault-Token", "vault-token-1") as double:
        stores = [{"type": "file", "path": str(tmp_path / "key")},
                  {"type": "vault_kv2", "url": double.url, "token": "vault-token-1", "path": "ci/zot", "name": "vault-ci"}]
        result = rotate(zot, tmp_path, stores=stores, extra={"zot_apikey_state": "rotated"}, verbosity=3)
        assert result.rc != 0
        assert "step test" in result.output
        assert stored(tmp_path) == old, "the file store holds the old key again"
        assert not vault.data[("secret", "ci/zot")][-1], "the vault store is back to empty"
        assert (tmp_path / "journal").exists()
    assert double.violations == []

    zot.start()  # same config and storage: the MetaDB still has the new key
    assert len(keys(zot)) == 2
    healed = rotate(zot, tmp_path)
    assert healed.rc == 0, healed
    assert [k["uuid"] for k in keys(zot)] == before, "the orphan key was revoked by the next run"
    assert not (tmp_path / "journal").exists()
    assert v2_status(zot, old) == 200


def test_state_absent_revokes_by_label(zot, tmp_path):
    assert rotate(zot, tmp_path).rc == 0
    old = stored(tmp_path)
    playbook = tmp_path / "absent.yml"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - zotops.zot.zot_api_key:
        zot_url: {zot.url}
        username: {USER}
        password: "{{{{ pw }}}}"
        label: {LABEL}
        state: absent
""")
    result = run_playbook(playbook, extra_vars={"pw": PASSWORD})
    assert result.rc == 0 and result.changed == 1, result
    assert keys(zot) == [] and v2_status(zot, old) == 401
    again = run_playbook(playbook, extra_vars={"pw": PASSWORD})
    assert again.rc == 0 and again.changed == 0, again


def test_secret_returned_only_to_a_no_log_task(zot, tmp_path):
    playbook = tmp_path / "nolog.yml"
    out = tmp_path / "made.key"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - zotops.zot.zot_api_key:
        zot_url: {zot.url}
        username: {USER}
        password: "{{{{ pw }}}}"
        label: handed-out
      no_log: true
      register: made
    - ansible.builtin.copy:
        content: "{{{{ made.api_key }}}}"
        dest: {out}
        mode: "0600"
      no_log: true
    - zotops.zot.zot_api_key:
        zot_url: {zot.url}
        username: {USER}
        password: "{{{{ pw }}}}"
        label: not-handed-out
      register: shown
    - ansible.builtin.assert:
        that: ["not shown.api_key_returned", "'api_key' not in shown"]
""")
    result = run_playbook(playbook, extra_vars={"pw": PASSWORD}, verbosity=3)
    assert result.rc == 0, result
    key = out.read_text()
    assert key.startswith("zak_") and key not in result.output
    assert v2_status(zot, key) == 200
    assert "api_key is not returned because this task does not set no_log: true" in result.output


def test_push_test_works_for_the_seeds_immutable_ci_tier(zot_factory, htpasswd_file, tmp_path, oci_image,
                                                         oci_image_factory, skopeo_copy):
    """The seeds' tiers: anonymous read, CI [read, create] (no overwrite, no delete), admins all.
    The push test must pass for CI and leave nothing CI could not remove itself."""
    zot = zot_factory({"http": {
        "auth": {"htpasswd": {"path": htpasswd_file({USER: PASSWORD})}, "apikey": True},
        "accessControl": {
            "groups": {"artifact-workloads": {"users": [USER]}},
            "repositories": {"**": {
                "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}],
                "anonymousPolicy": ["read"]}},
        },
    }})
    probe = "ci/rotation-probe"
    first = rotate(zot, tmp_path, extra={"zot_apikey_test_push_repository": probe})
    assert first.rc == 0, first
    second = rotate(zot, tmp_path, auth={"zot_apikey_current_key_file": str(tmp_path / "key")},
                    extra={"zot_apikey_state": "rotated", "zot_apikey_test_push_repository": probe})
    assert second.rc == 0, second
    assert len(keys(zot)) == 1
    key = stored(tmp_path)

    # What the probe leaves: one 2-byte blob (the same for every run), no tag, no open upload.
    repo = Path(zot.config["storage"]["rootDirectory"], probe)
    assert [p.name for p in (repo / "blobs" / "sha256").iterdir()] == [
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"]
    assert list((repo / ".uploads").iterdir()) == [], "no upload session left open"
    assert requests.get(f"{zot.url}/v2/{probe}/tags/list", timeout=10).json()["tags"] in (None, [])

    # The tier really is immutable: the new key creates a tag but cannot overwrite or delete it.
    target = f"docker://127.0.0.1:{zot.port}/ci/app:1"
    assert skopeo_copy(oci_image, target, creds=f"{USER}:{key}").returncode == 0
    overwrite = skopeo_copy(oci_image_factory(content="another build"), target, creds=f"{USER}:{key}")
    assert overwrite.returncode != 0 and "denied" in overwrite.stderr.lower(), overwrite.stderr
    digest = requests.head(f"{zot.url}/v2/ci/app/manifests/1", timeout=10,
                           headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).headers["Docker-Content-Digest"]
    assert requests.delete(f"{zot.url}/v2/ci/app/manifests/{digest}", auth=(USER, key), timeout=10).status_code == 403


@pytest.mark.parametrize("apikey", [False, True])
def test_apikey_routes_exist_only_with_apikey_true(zot_factory, htpasswd_file, apikey):
    """Seeds' uncertainty: `http.auth.apikey: true` is what enables keys on v2.1.20."""
    auth = {"htpasswd": {"path": htpasswd_file({USER: PASSWORD})}}
    if apikey:
        auth["apikey"] = True
    zot = zot_factory({"http": {"auth": auth}})
    made = requests.post(f"{zot.url}/zot/auth/apikey", json={"label": "x", "scopes": []}, auth=(USER, PASSWORD),
                         timeout=10)
    if apikey:
        assert made.status_code == 201 and made.json()["apiKey"].startswith("zak_"), made.text
        assert requests.get(f"{zot.url}/v2/", auth=(USER, made.json()["apiKey"]), timeout=10).status_code == 200
    else:
        assert made.status_code == 404, (made.status_code, made.text)


def test_scheduled_rotation_into_file_aws_and_forgejo(zot, tmp_path, moto_server, gitea_server, oci_image, skopeo_copy):
    """The playbook, run as a scheduler runs it, rotates the CI key into a local file, AWS
    Secrets Manager (moto) and Forgejo Actions secrets (a real Gitea 1.26, the API Forgejo shares)."""
    repo = "ci-" + tmp_path.name[-12:].replace("_", "-")
    assert gitea_server.api("POST", "/user/repos", json={"name": repo}).status_code == 201
    repo_id = gitea_server.api("GET", f"/repos/{gitea_server.admin_user}/{repo}").json()["id"]
    secret_id = "zotops/" + repo
    stores = [{"type": "file", "path": str(tmp_path / "key")},
              {"type": "aws_secretsmanager", "secret_id": secret_id, "region": moto_server.region,
               "endpoint_url": moto_server.endpoint_url, "access_key": moto_server.access_key,
               "secret_key": moto_server.secret_key},
              {"type": "forgejo", "url": gitea_server.url, "token": gitea_server.token,
               "owner": gitea_server.admin_user, "repo": repo, "secret_name": "ZOT_CI_API_KEY"}]
    sm = moto_server.client()

    def everywhere():
        return (stored(tmp_path), sm.get_secret_value(SecretId=secret_id)["SecretString"],
                gitea_server.stored_secrets().get((0, repo_id, "ZOT_CI_API_KEY")))

    first = rotate(zot, tmp_path, stores=stores, verbosity=3, diff=True)
    assert first.rc == 0, first
    old = stored(tmp_path)
    assert everywhere() == (old, old, old)

    # The scheduled run: the current key (from the file store) makes its successor.
    by_key = {"zot_apikey_current_key_file": str(tmp_path / "key")}
    rotated = rotate(zot, tmp_path, stores=stores, auth=by_key, verbosity=3, diff=True,
                     extra={"zot_apikey_state": "rotated", "zot_apikey_test_push_repository": "ci/rotation-probe"})
    assert rotated.rc == 0, rotated
    new = stored(tmp_path)
    assert new != old and everywhere() == (new, new, new)
    assert [k["uuid"] for k in keys(zot)] and len(keys(zot)) == 1
    assert v2_status(zot, old) == 401 and v2_status(zot, new) == 200
    assert skopeo_copy(oci_image, f"docker://127.0.0.1:{zot.port}/ci/app:scheduled", creds=f"{USER}:{new}").returncode == 0

    # The next scheduled run, inside the validity window: nothing is written anywhere.
    versions = len(sm.list_secret_version_ids(SecretId=secret_id)["Versions"])
    gitea_before = gitea_server.stored_secrets()
    again = rotate(zot, tmp_path, stores=stores, auth=by_key, verbosity=3, diff=True)
    assert again.rc == 0 and again.changed == 0, again
    assert len(sm.list_secret_version_ids(SecretId=secret_id)["Versions"]) == versions
    assert gitea_server.stored_secrets() == gitea_before and everywhere() == (new, new, new)
    for result in (first, rotated, again):
        for secret in (old, new, gitea_server.token, PASSWORD):
            assert secret not in result.output


def test_failed_push_test_restores_forgejo(zot, tmp_path, gitea_server):
    """A write-only store gets the previous key back on rollback (it is known: the module used it)."""
    repo = "rb-" + tmp_path.name[-12:].replace("_", "-")
    assert gitea_server.api("POST", "/user/repos", json={"name": repo}).status_code == 201
    repo_id = gitea_server.api("GET", f"/repos/{gitea_server.admin_user}/{repo}").json()["id"]
    stores = [{"type": "file", "path": str(tmp_path / "key")},
              {"type": "forgejo", "url": gitea_server.url, "token": gitea_server.token,
               "owner": gitea_server.admin_user, "repo": repo, "secret_name": "ZOT_CI_API_KEY"}]
    assert rotate(zot, tmp_path, stores=stores).rc == 0
    old = stored(tmp_path)
    failed = rotate(zot, tmp_path, stores=stores, auth={"zot_apikey_current_key_file": str(tmp_path / "key")},
                    extra={"zot_apikey_state": "rotated", "zot_apikey_test_push_repository": "readonly/probe"})
    assert failed.rc != 0 and "step test" in failed.output
    assert gitea_server.stored_secrets()[(0, repo_id, "ZOT_CI_API_KEY")] == old
    assert len(keys(zot)) == 1 and v2_status(zot, old) == 200


def test_file_store_directory_check_mode_predicts_and_the_run_creates_it(zot, tmp_path):
    """A file store whose directory cannot be made: --check fails as the run would, and the run fails
    before it makes a key. A directory that is merely missing is made 0700 and the rotation works."""
    (tmp_path / "a-file").write_text("")
    blocked = [{"type": "file", "path": str(tmp_path / "a-file" / "keys" / "ci.key")}]
    checked = rotate(zot, tmp_path, stores=blocked, check=True)
    assert checked.rc != 0
    assert "would fail at step read: store file:" in checked.stdout and "is not a directory" in checked.stdout, checked
    real = rotate(zot, tmp_path, stores=blocked)
    assert real.rc != 0 and "step read" in real.stdout, real
    label = "file:" + blocked[0]["path"]
    assert label in real.stdout and f"{label}: {label}" not in real.stdout, "the store is named once"
    assert keys(zot) == [], "no key was made"

    fresh = [{"type": "file", "path": str(tmp_path / "new" / "ci.key")}]
    predicted = rotate(zot, tmp_path, stores=fresh, check=True)
    assert predicted.rc == 0 and "would revoke 0 old key(s)" in predicted.stdout, predicted
    assert not (tmp_path / "new").exists()
    rotated = rotate(zot, tmp_path, stores=fresh)
    assert rotated.rc == 0, rotated
    assert (tmp_path / "new").stat().st_mode & 0o7777 == 0o700
    assert v2_status(zot, stored(tmp_path, "new/ci.key")) == 200
