"""Bad values behind the server role's no_log tasks fail readably, before any change, and never show a secret.

A task with ``no_log: true`` shows only "censored" when it fails, so the role checks everything those
tasks would fail on first, in a task that may show its result (preflight.yml). Here:

- ``test_every_no_log_task_is_accounted_for`` walks the role's task files: every no_log task is listed
  in NO_LOG_TASKS with either the bad inputs that would reach it or why no input can make it fail;
- ``test_bad_value_fails_readably_on_a_fresh_host`` runs each bad input at -vvv on a fresh host: the run
  fails, the message names the variable and what is allowed, no secret appears, nothing is created
  (no zot is needed: nothing gets past preflight);
- the converged-host half (a real zot keeps serving, its host unchanged) is in test_server_zot.py.
"""
from pathlib import Path

import pytest
import yaml

from integration.server.server_helpers import Host, systemctl_dir

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_TASKS = ROLES / "server" / "tasks"

GOOD = {"zot_htpasswd_users": [{"name": "admin", "password": "admin-Secret-1"}]}
EXT = {"zot_http_external_url": "https://zot.example.com"}
OIDC = {"client_id": "zot", "client_secret": "oidc-Secret-2"}
# A Redis password makes the config-showing tasks no_log too: the checks must come before them.
REDIS = {"zot_redis": {"url": "redis://127.0.0.1:1/0", "password": "redis-Secret-3"}}
SECRETS = ["admin-Secret-1", "oidc-Secret-2", "redis-Secret-3", "bind-Secret-4", "sync-Secret-5",
           "s3-Secret-6", "hash-Secret-7", "pw-Secret-8"]

# Bad inputs, by id: (variables, texts the failure must show). One per kind of value and no_log task;
# every rule's variants (each URL, size and path) are in tests/unit/plugins/filter/test_zot_config.py.
CASES = {
    "htpasswd empty password": (
        {"zot_htpasswd_users": [{"name": "ci", "password": ""}]},
        ["zot_htpasswd_users[0].password (user 'ci') must be a non-empty string"]),
    "htpasswd colon in name": (
        {"zot_htpasswd_users": [{"name": "c:i", "password": "pw-Secret-8"}]},
        ["zot_htpasswd_users[0].name 'c:i' may not contain ':'"]),
    "htpasswd user twice": (
        {"zot_htpasswd_users": [{"name": "ci", "password": "pw-Secret-8"}, {"name": "ci", "password": "x"}]},
        ["zot_htpasswd_users[1].name 'ci' is declared more than once"]),
    "htpasswd bcrypt rounds": (
        {"zot_htpasswd_bcrypt_rounds": 40}, ["zot_htpasswd_bcrypt_rounds must be between 4 and 31"]),
    "LDAP bind password not a string": (
        {"zot_ldap": {"address": "127.0.0.1", "base_dn": "dc=x", "bind_dn": "cn=r,dc=x", "bind_password": 12345}},
        ["zot_ldap.bind_password: must be a string"]),
    "OpenID issuer not a URL": (
        dict(EXT, zot_openid_providers={"oidc": dict(OIDC, issuer="keycloak/realms/zot")}),
        ["zot_openid_providers.oidc.issuer: must be an https:// URL (http:// only on a loopback host)"]),
    "session hash key too short": (
        {"zot_auth_session_keys": {"hash_key": "hash-Secret-7"}},
        ["zot_auth_session_keys.hash_key: must be exactly 32 or 64 bytes"]),
    "pull-through URL not a URL": (
        {"zot_pull_through": [{"name": "docker.io", "url": "not a url", "username": "u", "password": "sync-Secret-5"}]},
        ["zot_pull_through[0].url: must be an absolute http(s) URL"]),
    "sync registry URL not a URL": (
        {"zot_sync_registries": [{"urls": ["not a url"], "onDemand": True}]},
        ["zot_sync_registries[0].urls[0]: must be an absolute http(s) URL"]),
    "sync credentials empty password": (
        {"zot_sync_registries": [{"urls": ["https://ghcr.io"], "onDemand": True}],
         "zot_sync_credentials": {"ghcr.io": {"username": "sync-Secret-5", "password": ""}}},
        ["zot_sync_credentials.ghcr.io: username and password must be non-empty strings"]),
    "S3 endpoint not a URL": (
        {"zot_storage_s3": {"bucket": "b", "region": "r", "endpoint": "minio:9000",
                            "access_key_id": "AKIA", "secret_access_key": "s3-Secret-6"}},
        ["zot_storage_s3.endpoint: must be an absolute http(s) URL"]),
    "S3 key without its secret": (
        {"zot_storage_s3": {"bucket": "b", "region": "r", "access_key_id": "s3-Secret-6"}},
        ["zot_storage_s3: access_key_id and secret_access_key must be given together"]),
    "Redis URL with the password in it": (
        {"zot_redis": {"url": "redis//:redis-Secret-3@127.0.0.1:1", "password": "redis-Secret-3"}},
        ["zot_redis.url: must be a redis://"]),
    "bad session key behind a Redis password": (
        dict(REDIS, zot_auth_session_keys={"hash_key": "hash-Secret-7"}),
        ["zot_auth_session_keys.hash_key: must be exactly 32 or 64 bytes"]),
    "bad htpasswd entry behind a Redis password": (
        dict(REDIS, zot_htpasswd_users=[{"name": "ci", "password": ""}]),
        ["zot_htpasswd_users[0].password (user 'ci')"]),
}

# Every no_log task of the role (by name): the CASES that reach it, or why no bad value can fail it.
NO_LOG_TASKS = {
    # The read and the decision (build.yml): the configuration, the unit and the credentials files are rendered
    # here (their digests are compared with the host's files), and the htpasswd file is computed (bcrypt).
    "Read what zot's install looks like and decide what changes": [
        "bad session key behind a Redis password", "Redis URL with the password in it", "S3 endpoint not a URL",
        "LDAP bind password not a string", "OpenID issuer not a URL", "session hash key too short",
        "pull-through URL not a URL", "sync registry URL not a URL", "sync credentials empty password",
        "S3 key without its secret",
        "htpasswd empty password", "htpasswd colon in name", "htpasswd user twice", "htpasswd bcrypt rounds",
        "bad htpasswd entry behind a Redis password"],
    "Check that zot can run the new configuration on this host":
        "failed_when: false; the next task reports the cause (test_server_zot.py's broken-input tests)",
    "Keep the files this run replaces": "failed_when: false (a missing file is a new file)",
    "Write the credentials files": "failed_when: false; the next task names the file and the copy error",
    "Write the htpasswd file": "failed_when: false; the next task names the file and the copy error",
    "Read the end of zot's log": "failed_when: false",
    "Restore or remove the files this run wrote": "writes back content read by this run, in the rescue",
}


# The oidc role's no_log tasks: every input they use was already used, without no_log, by an earlier
# task that fails readably on a bad value (the IdP connection by "Ensure zot's OIDC client ...").
OIDC_NO_LOG_TASKS = {
    "Read zot's client secret from authentik": "same connection as the visible client/provider tasks before it",
    "Read the client secret from Keycloak": "same connection as the visible 'Ensure zot's OIDC client' task",
    "Read the credentials zot has now": "failed_when: false (a missing file is a first run)",
    "Hand the registration to the common tasks": "set_fact over results of earlier tasks",
    "Write zot's OIDC credentials file": "failed_when: false; the next task names the file, owner and group",
    "Publish the OpenID provider for zotops.zot.server": "set_fact; zotops.zot.server checks the provider first",
    "Drop the provider from zotops.zot.server's providers": "set_fact",
}


def _no_log_tasks(tasks):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if "no_log" in task:
            yield task["name"]
        for key in ("block", "rescue", "always"):
            yield from _no_log_tasks(task.get(key))


def test_every_no_log_task_is_accounted_for():
    found = set()
    for path in sorted(ROLE_TASKS.glob("*.yml")):
        found.update(_no_log_tasks(yaml.safe_load(path.read_text())))
    assert found == set(NO_LOG_TASKS), (
        "a no_log task was added or renamed: list the bad inputs that reach it (CASES) or why none can fail it")
    listed = [case for cases in NO_LOG_TASKS.values() if isinstance(cases, list) for case in cases]
    assert sorted(listed) == sorted(CASES)
    oidc = set()
    for path in sorted((ROLES / "oidc" / "tasks").glob("*.yml")):
        oidc.update(_no_log_tasks(yaml.safe_load(path.read_text())))
    assert oidc == set(OIDC_NO_LOG_TASKS), "a no_log task of the oidc role was added or renamed: account for it"


@pytest.fixture(scope="module")
def fresh_host(tmp_path_factory):
    root = tmp_path_factory.mktemp("no-log-host")
    root.chmod(0o755)
    # Nothing is downloaded: the release URL is unreachable on purpose (nothing gets past preflight).
    return Host(root / "host", {"zot_release_base_url": "http://127.0.0.1:9/unreachable"}, systemctl_dir(root))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_value_fails_readably_on_a_fresh_host(fresh_host, case):
    overrides, expected = CASES[case]
    result = fresh_host.run(verbosity=3, **dict(GOOD, **overrides))
    assert result.rc != 0
    for text in expected:
        assert text in result.stdout, str(result)
    assert "Nothing was changed." in result.stdout
    assert "censored" not in result.stdout, "a no_log task failed before the checks caught the value"
    for secret in SECRETS:
        assert secret not in result.output, f"{secret} shown at -vvv"
    assert result.changed == 0
    assert not fresh_host.root.exists()
