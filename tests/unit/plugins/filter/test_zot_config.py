"""zotops.zot.zot_config and friends: the role's variables -> zot's config.json as data, secrets in files."""
import json
import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.filter.zot_config import (
    zot_config, zot_config_masked_diff, zot_config_problems, zot_config_secret_paths, zot_credential_files,
    zot_release_checksum)

SHA = "a" * 64


def settings(**overrides):
    base = {"zot_config_dir": "/etc/zot", "zot_data_dir": "/var/lib/zot"}
    base.update(overrides)
    return base


def test_defaults_are_a_minimal_valid_config():
    config = zot_config(settings())
    assert config == {
        "storage": {"rootDirectory": "/var/lib/zot", "dedupe": True, "gc": True, "gcDelay": "1h", "gcInterval": "24h"},
        "http": {"address": "0.0.0.0", "port": "5000", "realm": "zot"},
        "log": {"level": "info"},
    }
    assert zot_credential_files(settings()) == []


def test_storage_and_http():
    config = zot_config(settings(zot_storage_gc=False, zot_storage_dedupe=False, zot_http_port=8443,
                                 zot_http_address="127.0.0.1", zot_http_external_url="https://zot.example.com/",
                                 zot_http_tls_cert="/c", zot_http_tls_key="/k", zot_http_tls_cacert="/ca",
                                 zot_http_ratelimit_rate=10, zot_http_ratelimit_methods=[{"method": "get", "rate": 5}]))
    assert config["storage"] == {"rootDirectory": "/var/lib/zot", "dedupe": False, "gc": False}
    assert config["http"]["port"] == "8443"
    assert config["http"]["externalUrl"] == "https://zot.example.com"
    assert config["http"]["tls"] == {"cert": "/c", "key": "/k", "cacert": "/ca"}
    assert config["http"]["ratelimit"] == {"rate": 10, "methods": [{"method": "GET", "rate": 5}]}


def test_auth_everything_goes_through_credentials_files():
    s = settings(
        zot_htpasswd_users=[{"name": "a", "password": "b"}],
        zot_ldap={"address": "ldap.example.org", "base_dn": "ou=people,dc=example,dc=org",
                  "user_group_attribute": "memberOf", "bind_dn": "cn=reader,dc=example,dc=org",
                  "bind_password": "bind-secret"},
        zot_openid_providers={"oidc": {"issuer": "https://idp/realms/r", "client_id": "zot", "client_secret": "cs",
                                       "name": "SSO", "claim_mapping": {"username": "preferred_username"}},
                              "github": {"client_id": "gh", "client_secret": "ghs"}},
        zot_http_external_url="https://zot.example.com",
        zot_auth_apikey=True, zot_auth_fail_delay=5,
        zot_auth_session_keys={"hash_key": "h" * 64, "encrypt_key": "e" * 32},
        zot_auth_secure_session=True,
    )
    auth = zot_config(s)["http"]["auth"]
    assert auth["htpasswd"] == {"path": "/etc/zot/htpasswd"}
    assert auth["ldap"]["credentialsFile"] == "/etc/zot/ldap-credentials.json"
    assert auth["ldap"]["baseDN"] == "ou=people,dc=example,dc=org"
    assert auth["ldap"]["userGroupAttribute"] == "memberOf"
    assert auth["openid"]["providers"]["oidc"] == {
        "credentialsFile": "/etc/zot/oidc-oidc-credentials.json", "issuer": "https://idp/realms/r", "name": "SSO",
        "scopes": ["openid", "profile", "email"], "claimMapping": {"username": "preferred_username"}}
    assert auth["openid"]["providers"]["github"]["credentialsFile"] == "/etc/zot/oidc-github-credentials.json"
    assert auth["apikey"] is True and auth["failDelay"] == 5 and auth["secureSession"] is True
    assert auth["sessionKeysFile"] == "/etc/zot/session-keys.json"
    assert zot_config_secret_paths(zot_config(s)) == []

    files = {f["path"]: f["content"] for f in zot_credential_files(s)}
    assert files == {
        "/etc/zot/ldap-credentials.json": {"bindDN": "cn=reader,dc=example,dc=org", "bindPassword": "bind-secret"},
        "/etc/zot/oidc-github-credentials.json": {"clientid": "gh", "clientsecret": "ghs"},
        "/etc/zot/oidc-oidc-credentials.json": {"clientid": "zot", "clientsecret": "cs"},
        "/etc/zot/session-keys.json": {"hashKey": "h" * 64, "encryptKey": "e" * 32},
    }


def test_pull_through_and_extensions():
    s = settings(zot_pull_through=[{"name": "docker.io", "url": "https://registry-1.docker.io",
                                    "username": "u", "password": "p"}],
                 zot_sync_registries=[{"urls": ["https://ghcr.io"], "onDemand": True}],
                 zot_metrics_enabled=True, zot_scrub_enabled=True, zot_scrub_interval="12h")
    ext = zot_config(s)["extensions"]
    assert ext["sync"]["registries"][0] == {"urls": ["https://ghcr.io"], "onDemand": True}
    assert ext["sync"]["registries"][1] == {
        "urls": ["https://registry-1.docker.io"], "onDemand": True, "tlsVerify": True,
        "content": [{"prefix": "**", "destination": "/docker.io"}]}
    assert ext["sync"]["credentialsFile"] == "/etc/zot/sync-credentials.json"
    assert ext["metrics"] == {"enable": True, "prometheus": {"path": "/metrics"}}
    assert ext["scrub"] == {"enable": True, "interval": "12h"}
    assert zot_credential_files(s) == [{"path": "/etc/zot/sync-credentials.json", "kind": "sync",
                                        "content": {"registry-1.docker.io": {"username": "u", "password": "p"}}}]


def test_access_control_and_log():
    access = {"repositories": {"**": {"anonymousPolicy": ["read"]}}}
    config = zot_config(settings(zot_access_control=access, zot_log_level="debug", zot_log_output="/var/log/zot/zot.log",
                                 zot_log_audit="/var/log/zot/audit.log"))
    assert config["http"]["accessControl"] == access
    assert config["log"] == {"level": "debug", "output": "/var/log/zot/zot.log", "audit": "/var/log/zot/audit.log"}


@pytest.mark.parametrize("overrides, message", [
    ({"zot_http_port": 70000}, "zot_http_port: must be at most 65535"),
    ({"zot_http_port": "web"}, "zot_http_port: must be an integer"),
    ({"zot_storage_gc_delay": "one hour"}, "zot_storage_gc_delay: must be a Go duration"),
    ({"zot_storage_dedupe": "yes"}, "zot_storage_dedupe: must be true or false"),
    ({"zot_data_dir": "data"}, "zot_data_dir: must be an absolute path"),
    ({"zot_http_tls_cert": "/c"}, "zot_http_tls_cert and zot_http_tls_key must be set together"),
    ({"zot_http_tls_cacert": "/ca"}, "zot_http_tls_cacert: mutual TLS needs"),
    ({"zot_http_external_url": "zot.example.com"}, "zot_http_external_url: must be an absolute http(s) URL"),
    ({"zot_ldap": {"address": "x"}}, "zot_ldap.base_dn: is required"),
    ({"zot_ldap": {"address": "x", "base_dn": "y", "bind_dn": "z"}}, "bind_dn and bind_password must be given together"),
    ({"zot_ldap": {"address": "x", "base_dn": "y", "bindPassword": "z"}}, "zot_ldap: unknown keys bindPassword"),
    ({"zot_openid_providers": {"keycloak": {"client_id": "a", "client_secret": "b", "issuer": "c"}}},
     "provider key 'keycloak' is not one zot knows"),
    ({"zot_openid_providers": {"oidc": {"client_id": "a", "issuer": "c"}}, "zot_http_external_url": "https://z"},
     "zot_openid_providers.oidc: client_id and client_secret are required"),
    ({"zot_openid_providers": {"oidc": {"client_id": "a", "client_secret": "b"}}, "zot_http_external_url": "https://z"},
     "zot_openid_providers.oidc.issuer: is required"),
    ({"zot_openid_providers": {"oidc": {"client_id": "a", "client_secret": "b", "issuer": "https://idp"}}},
     "zot_http_external_url: is required with zot_openid_providers"),
    ({"zot_auth_bearer": {"realm": "r"}}, "zot_auth_bearer: needs service, cert"),
    ({"zot_auth_mtls": {"identityAttributes": ["CommonName"]}}, "zot_auth_mtls: needs zot_http_tls_cacert"),
    ({"zot_auth_session_keys": {"encrypt_key": "e"}}, "zot_auth_session_keys.hash_key: is required"),
    ({"zot_pull_through": [{"name": "docker.io"}]}, "zot_pull_through[0].url: is required"),
    ({"zot_pull_through": [{"name": "docker.io", "url": "registry-1.docker.io"}]}, "must be an absolute http(s) URL"),
    ({"zot_pull_through": [{"name": "d", "url": "https://r", "username": "u"}]}, "username and password"),
    ({"zot_sync_credentials": {"r:5000": {"username": "u", "password": "p"}}}, "zot_sync_credentials: is set but no"),
    ({"zot_log_level": "verbose"}, "zot_log_level: must be one of"),
    ({"zot_http_ratelimit_methods": [{"method": "GET"}]}, "zot_http_ratelimit_methods[0]: must be a dict"),
])
def test_bad_input_names_the_variable(overrides, message):
    with pytest.raises(AnsibleFilterError) as err:
        zot_config(settings(**overrides))
    assert message in str(err.value)


OIDC = {"client_id": "zot", "client_secret": "oidc-Secret-1"}
EXT = {"zot_http_external_url": "https://zot.example.com"}


@pytest.mark.parametrize("overrides, message", [
    # The cases: each fails naming the variable and what is allowed, never a secret.
    (dict(EXT, zot_openid_providers={"oidc": dict(OIDC, issuer="not a url")}),
     "zot_openid_providers.oidc.issuer: must be an https:// URL (http:// only on a loopback host)"),
    (dict(EXT, zot_openid_providers={"oidc": dict(OIDC, issuer="http://idp.example.com/realms/zot")}),
     "zot_openid_providers.oidc.issuer: must be an https:// URL"),
    (dict(EXT, zot_openid_providers={"oidc": dict(OIDC, issuer="https://idp", tokenurl="/token")}),
     "zot_openid_providers.oidc.tokenurl: must be an https:// URL"),
    ({"zot_pull_through": [{"name": "docker.io", "url": "not a url"}]},
     "zot_pull_through[0].url: must be an absolute http(s) URL"),
    ({"zot_pull_through": [{"name": "docker.io", "url": "https://"}]}, "zot_pull_through[0].url: must be an absolute http(s)"),
    ({"zot_sync_registries": [{"urls": ["not a url"], "onDemand": True}]},
     "zot_sync_registries[0].urls[0]: must be an absolute http(s) URL"),
    ({"zot_sync_registries": [{"onDemand": True}]}, "zot_sync_registries[0].urls: is required"),
    ({"zot_auth_session_keys": {"hash_key": "short"}},
     "zot_auth_session_keys.hash_key: must be exactly 32 or 64 bytes"),
    ({"zot_auth_session_keys": {"hash_key": "h" * 64, "encrypt_key": "e" * 20}},
     "zot_auth_session_keys.encrypt_key: must be exactly 16 or 24 or 32 bytes"),
    ({"zot_auth_session_keys": {"hash_key": "h" * 64, "encryptKey": "e" * 32}}, "zot_auth_session_keys: unknown keys"),
    ({"zot_ldap": {"address": "x", "base_dn": "y", "bind_dn": "cn=r", "bind_password": 1234}},
     "zot_ldap.bind_password: must be a string"),
    ({"zot_ldap": {"address": "x", "base_dn": "y", "credentials_file": "ldap.json"}},
     "zot_ldap.credentials_file: must be an absolute path"),
    ({"zot_sync_credentials": {"r:5000": {"username": "u", "password": ""}}},
     "zot_sync_credentials.r:5000: username and password must be non-empty strings"),
    ({"zot_storage_s3": {"bucket": "b", "region": "r", "endpoint": "minio:9000"}},
     "zot_storage_s3.endpoint: must be an absolute http(s) URL"),
    ({"zot_redis": {"url": "redis//:pw-Secret-9@host", "password": "x"}}, "zot_redis.url: must be a redis://"),
    ({"zot_log_output": "zot.log"}, "zot_log_output: must be an absolute path"),
    ({"zot_auth_bearer": {"realm": "auth/token", "service": "zot", "cert": "/c"}},
     "zot_auth_bearer.realm: must be an absolute http(s) URL"),
    ({"zot_pull_through": [{"name": "d", "url": "https://r", "max_retries": 3, "retry_delay": "soon"}]},
     "zot_pull_through[0].retry_delay: must be a Go duration"),
    ({"zot_pull_through": [{"name": "d", "url": "https://r", "cert_dir": "certs"}]},
     "zot_pull_through[0].cert_dir: must be an absolute path"),
    ({"zot_http_tls_cert": "tls.crt", "zot_http_tls_key": "/k"}, "zot_http_tls_cert: must be an absolute path"),
])
def test_problems_name_the_variable_and_never_a_secret(overrides, message):
    problems = zot_config_problems(settings(**overrides))
    assert len(problems) == 1 and message in problems[0], problems
    for secret in ("oidc-Secret-1", "pw-Secret-9", "1234"):
        assert secret not in problems[0]


def test_url_with_password_is_masked_in_messages():
    problems = zot_config_problems(settings(zot_pull_through=[
        {"name": "d", "url": "ftp://user:up-Secret@registry.example.com"}]))
    assert "up-Secret" not in problems[0] and "********" in problems[0]


@pytest.mark.parametrize("issuer", ["https://idp.example.com/realms/zot", "http://127.0.0.1:8080/realms/zot",
                                    "http://localhost:8080/realms/zot", "http://[::1]:8080/realms/zot"])
def test_issuer_https_or_loopback_http_is_accepted(issuer):
    assert zot_config_problems(settings(zot_openid_providers={"oidc": dict(OIDC, issuer=issuer)}, **EXT)) == []


@pytest.mark.parametrize("hash_key, encrypt_key", [("h" * 32, ""), ("h" * 64, "e" * 16), ("h" * 32, "e" * 24)])
def test_session_keys_of_allowed_sizes(hash_key, encrypt_key):
    keys = {"hash_key": hash_key, "encrypt_key": encrypt_key} if encrypt_key else {"hash_key": hash_key}
    assert zot_config_problems(settings(zot_auth_session_keys=keys)) == []


def test_secret_paths_find_inline_secrets():
    config = {"http": {"auth": {"openid": {"providers": {"oidc": {"clientsecret": "x", "clientid": "zot"}}},
                                "ldap": {"bindPassword": ""}}},
              "extensions": {"sync": {"registries": [{"password": "p"}]}}}
    assert sorted(zot_config_secret_paths(config)) == [
        "extensions.sync.registries[0].password", "http.auth.openid.providers.oidc.clientsecret"]


@pytest.mark.parametrize("content", [
    f"{SHA}  zot-linux-amd64\n{'b' * 64}  zot-linux-arm64\n",
    f"{SHA} *zot-linux-amd64\n",        # zot's release workflow: sed 's! ! \\*!g'
    f"{SHA} * *zot-linux-amd64\n",      # the same sed applied to a two-space separator
    f"{'b' * 64}  zot-linux-amd64-minimal\n{SHA.upper()}  zot-linux-amd64\n",
])
def test_release_checksum_parses_release_files(content):
    assert zot_release_checksum(content, "zot-linux-amd64") == SHA


def test_release_checksum_missing_asset_is_explained():
    with pytest.raises(AnsibleFilterError, match="has no sha256 for zot-darwin-arm64"):
        zot_release_checksum(f"{SHA}  zot-linux-amd64\n", "zot-darwin-arm64", "https://x/checksums.sha256.txt")


def test_s3_keys_go_to_a_credentials_file_never_the_config():
    settings = {"zot_config_dir": "/etc/zot", "zot_storage_s3": {
        "bucket": "zot", "region": "eu-central-1", "endpoint": "http://minio:9000", "force_path_style": True,
        "access_key_id": "AKID", "secret_access_key": "SECRET"}}
    config = zot_config(settings)
    assert config["storage"]["storageDriver"] == {
        "name": "s3", "bucket": "zot", "region": "eu-central-1", "rootdirectory": "/zot", "forcepathstyle": True,
        "skipverify": False, "secure": False, "regionendpoint": "http://minio:9000"}
    assert "AKID" not in json.dumps(config) and "SECRET" not in json.dumps(config)
    files = zot_credential_files(settings, as_text=True)
    assert files == [{"path": "/etc/zot/s3-credentials", "kind": "s3",
                      "content": "[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\n"}]


@pytest.mark.parametrize("s3,message", [
    ({"region": "x"}, "zot_storage_s3.bucket: is required"),
    ({"bucket": "b", "region": "x", "access_key_id": "a"}, "must be given together"),
    ({"bucket": "b", "region": "x", "endpoint": "minio:9000"}, "zot_storage_s3.endpoint: must be an absolute http(s) URL"),
    ({"bucket": "b", "region": "x", "bukket": "b"}, "zot_storage_s3: unknown keys bukket"),
])
def test_bad_s3_settings_name_the_variable(s3, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        zot_config({"zot_storage_s3": s3})


def test_redis_password_goes_into_the_url_and_sessions_follow_redis():
    config = zot_config({"zot_htpasswd_enabled": True,
                         "zot_redis": {"url": "redis://redis:6379/0", "password": "p@ss", "key_prefix": "reg"}})
    assert config["storage"]["remoteCache"] is True
    assert config["storage"]["cacheDriver"] == {"name": "redis", "url": "redis://:p%40ss@redis:6379/0", "keyprefix": "reg"}
    assert config["http"]["auth"]["sessionDriver"]["keyprefix"] == "regsession"
    assert zot_config_secret_paths(config) == ["storage.cacheDriver.url", "http.auth.sessionDriver.url"]
    diff = "\n".join(zot_config_masked_diff(None, config))
    assert "p%40ss" not in diff and "redis://:********@redis:6379/0" in diff


@pytest.mark.parametrize("settings,message", [
    ({"zot_redis": {"url": "redis://:pw@redis:6379"}}, "zot_redis.url: must not carry a password"),
    ({"zot_redis": {"url": "http://redis:6379"}}, "zot_redis.url: must be a redis://"),
    ({"zot_session_store": "redis"}, "zot_session_store: is redis but zot_redis is not set"),
    ({"zot_redis": {"url": "redis://r:1"}, "zot_dynamodb": {"region": "x"}}, "choose one"),
])
def test_bad_redis_settings_name_the_variable(settings, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        zot_config(dict(settings, zot_htpasswd_enabled=True))
