"""Bad input fails early, names the variable at fault and what is allowed, and changes nothing.

No zot is needed: these runs stop in the role's argument validation or preflight checks."""
import pytest


GOOD = {"zot_htpasswd_users": [{"name": "admin", "password": "admin-Secret-1"}]}


@pytest.mark.parametrize("overrides, expected", [
    ({"zot_variant": "tiny"}, ["zot_variant", "full, minimal"]),
    ({"zot_service_manager": "upstart"}, ["zot_service_manager", "auto, systemd, launchd, none"]),
    ({"zot_http_port": "web"}, ["zot_http_port", "int"]),
    ({"zot_htpasswd_users": [{"password": "x"}]}, ["zot_htpasswd_users", "name"]),
    ({"zot_log_level": "verbose"}, ["zot_log_level", "debug"]),
    ({"zot_version": "v2.1.20"}, ["zot_version must look like 2.1.20"]),
    ({"zot_binary_checksum": "md5:abc"}, ["zot_binary_checksum must be empty or a sha256"]),
    ({"zot_data_dir": "data"}, ["zot_data_dir"]),
    ({"zot_access": {"anonymous": ["read"]}, "zot_access_control": {"repositories": {}}},
     ["give zot_access", "zot_access_control", "not both"]),
    ({"zot_variant": "minimal", "zot_pull_through": [{"name": "docker.io", "url": "https://registry-1.docker.io"}]},
     ["zot_variant=minimal has no extensions"]),
    ({"zot_openid_providers": {"keycloak": {"issuer": "https://idp", "client_id": "zot", "client_secret": "s"}},
      "zot_http_external_url": "https://zot.example.com"},
     ["zot_openid_providers", "provider key 'keycloak' is not one zot knows", "oidc, google, gitlab, github"]),
    ({"zot_openid_providers": {"oidc": {"issuer": "https://idp", "client_id": "zot", "client_secret": "s"}}},
     ["zot_http_external_url: is required with zot_openid_providers"]),
    ({"zot_ldap": {"address": "ldap.example.org"}}, ["zot_ldap.base_dn: is required"]),
    ({"zot_storage_gc_delay": "one hour"}, ["zot_storage_gc_delay: must be a Go duration"]),
    ({"zot_config_extra": {"htttp": {}}}, ["zot_config_extra added unknown top-level keys", "htttp"]),
    ({"zot_config_extra": {"http": {"auth": {"ldap": {"bindPassword": "inline-Secret"}}}}},
     ["http.auth.ldap.bindPassword", "zot_config_extra"]),
    ({"zot_binary_local_path": "/nonexistent/zot"}, ["zot_binary_local_path=/nonexistent/zot must be a file"]),
])
def test_bad_input_fails_early_naming_the_variable(offline_host, overrides, expected):
    variables = dict(GOOD)
    variables.update(overrides)
    result = offline_host.run(**variables)
    assert result.rc != 0
    for text in expected:
        assert text in result.output, str(result)
    assert result.changed == 0
    assert not offline_host.root.exists()
    assert "admin-Secret-1" not in result.output
    assert "inline-Secret" not in result.output
