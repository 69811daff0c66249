"""The forgejo/gitea store against a real Gitea 1.26 (the Actions-secrets API Forgejo shares), through
secret_store_value as a user runs it (ansible-playbook -vvv --diff). What a CI job would receive is
read from Gitea's own database, decrypted as Gitea decrypts it."""
import secrets

import pytest

from integration.harness.ansible import run_playbook

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - zotops.zot.secret_store_value:
        value: "{{ value }}"
        write_only: "{{ write_only | default('always') }}"
        stores: "{{ stores }}"
"""


@pytest.fixture(scope="module")
def scopes(gitea_server):
    """An organization, a repository of the admin user, and their ids."""
    org, repo = "ops-" + secrets.token_hex(3), "blumeops-" + secrets.token_hex(3)
    assert gitea_server.api("POST", "/orgs", json={"username": org}).status_code == 201
    assert gitea_server.api("POST", "/user/repos", json={"name": repo}).status_code == 201
    ids = {"org": gitea_server.api("GET", f"/orgs/{org}").json()["id"],
           "user": gitea_server.api("GET", "/user").json()["id"],
           "repo": gitea_server.api("GET", f"/repos/{gitea_server.admin_user}/{repo}").json()["id"]}
    return {"org": org, "repo": repo, "ids": ids}


def stores(gitea_server, scopes, name, token=None, kind="forgejo"):
    base = {"type": kind, "url": gitea_server.url, "token": token or gitea_server.token, "secret_name": name}
    return [dict(base, owner=gitea_server.admin_user, repo=scopes["repo"]),
            dict(base, org=scopes["org"]),
            dict(base, user_level=True)]


def held(gitea_server, scopes, name):
    """What a workflow would get, per level."""
    got = gitea_server.stored_secrets()
    ids = scopes["ids"]
    return {"repo": got.get((0, ids["repo"], name)), "org": got.get((ids["org"], 0, name)),
            "user": got.get((ids["user"], 0, name))}


def play(tmp_path, **extra):
    path = tmp_path / "play.yml"
    path.write_text(PLAY)
    return run_playbook(path, extra_vars=extra, verbosity=3, diff=True)


@pytest.mark.parametrize("kind", ["forgejo", "gitea"])
def test_create_update_noop_at_every_level(gitea_server, scopes, tmp_path, kind):
    name = f"ZOT_CI_API_KEY_{kind.upper()}"
    first_value, second_value = "zak_" + secrets.token_hex(16), "zak_" + secrets.token_hex(16)
    created = play(tmp_path, value=first_value, stores=stores(gitea_server, scopes, name, kind=kind))
    assert created.rc == 0 and created.changed == 1, created
    assert held(gitea_server, scopes, name) == {"repo": first_value, "org": first_value, "user": first_value}

    # write_only: missing -> the repo and org secrets exist (listed), so they are not written again;
    # user-level secrets cannot be listed and are always written.
    before = gitea_server.stored_secrets()
    noop = play(tmp_path, value=second_value, write_only="missing", stores=stores(gitea_server, scopes, name, kind=kind)[:2])
    assert noop.rc == 0 and noop.changed == 0, noop
    assert gitea_server.stored_secrets() == before, "a no-op wrote"

    updated = play(tmp_path, value=second_value, stores=stores(gitea_server, scopes, name, kind=kind))
    assert updated.rc == 0 and updated.changed == 1, updated
    assert held(gitea_server, scopes, name) == {"repo": second_value, "org": second_value, "user": second_value}
    for result in (created, noop, updated):
        for secret in (first_value, second_value, gitea_server.token):
            assert secret not in result.output


def test_bad_token_names_the_store_and_writes_nothing(gitea_server, scopes, tmp_path):
    bad = "0" * 40
    value = "zak_" + secrets.token_hex(16)
    result = play(tmp_path, value=value, stores=stores(gitea_server, scopes, "BAD_TOKEN_SECRET", token=bad)[:1])
    assert result.rc != 0
    assert f"forgejo:{gitea_server.admin_user}/{scopes['repo']}:BAD_TOKEN_SECRET" in result.output
    assert "HTTP 401" in result.output, result.output[-3000:]
    assert value not in result.output and bad not in result.output
    assert held(gitea_server, scopes, "BAD_TOKEN_SECRET") == {"repo": None, "org": None, "user": None}


def test_delete_removes_the_secret_at_every_level(gitea_server, scopes, tmp_path):
    """The store's delete (what a rollback uses for a secret that did not exist before)."""
    from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import build_stores
    name = "TO_BE_DELETED"
    assert play(tmp_path, value="zak_" + secrets.token_hex(8), stores=stores(gitea_server, scopes, name)).rc == 0
    for store in build_stores(stores(gitea_server, scopes, name)):
        store.delete()
        store.delete()  # again: already gone is fine
    assert held(gitea_server, scopes, name) == {"repo": None, "org": None, "user": None}
    repo_store = build_stores(stores(gitea_server, scopes, name))[0]
    assert repo_store.read().exists is False
