"""Unit tests of keycloak_oidc_client's comparison (what counts as a change, what the diff shows)."""
from ansible_collections.zotops.zot.plugins.modules import keycloak_oidc_client as mod

PARAMS = {"client_id": "zot", "name": "zot registry", "description": None, "root_url": "https://r.test",
          "redirect_uris": ["https://r.test/zot/auth/callback/oidc"], "post_logout_redirect_uris": ["https://r.test/*"],
          "web_origins": ["https://r.test"], "enabled": True, "groups_claim": True, "groups_claim_name": "groups",
          "groups_full_path": False}

EXISTING = {
    "id": "u1", "clientId": "zot", "name": "zot registry", "rootUrl": "https://r.test", "enabled": True,
    "secret": "the-secret", "redirectUris": ["https://r.test/zot/auth/callback/oidc"], "webOrigins": ["https://r.test"],
    "protocol": "openid-connect", "publicClient": False, "bearerOnly": False, "clientAuthenticatorType": "client-secret",
    "standardFlowEnabled": True, "directAccessGrantsEnabled": False, "implicitFlowEnabled": False,
    "attributes": {"post.logout.redirect.uris": "https://r.test/*", "realm_client": "false"},
    "protocolMappers": [{"id": "m1", "name": "groups", "protocol": "openid-connect",
                         "protocolMapper": "oidc-group-membership-mapper", "config": mod.mapper_config(PARAMS)}],
}


def test_same_client_is_a_no_op():
    assert mod.view(mod.apply(EXISTING, PARAMS)) == mod.view(EXISTING)
    assert not mod.mapper_differs(EXISTING["protocolMappers"][0], PARAMS)


def test_order_of_uris_does_not_matter():
    existing = dict(EXISTING, redirectUris=["https://r.test/b", "https://r.test/a"])
    params = dict(PARAMS, redirect_uris=["https://r.test/a", "https://r.test/b"])
    assert mod.view(mod.apply(existing, params)) == mod.view(existing)


def test_a_new_redirect_uri_changes_only_that_and_never_shows_the_secret():
    params = dict(PARAMS, redirect_uris=PARAMS["redirect_uris"] + ["https://r.test/zot/auth/callback/oidc2"])
    before, after = mod.view(EXISTING), mod.view(mod.apply(EXISTING, params))
    assert {k for k in after if after[k] != before[k]} == {"redirect_uris"}
    assert "the-secret" not in repr(after) + repr(before)


def test_direct_access_grants_are_turned_off():
    existing = dict(EXISTING, directAccessGrantsEnabled=True)
    after = mod.view(mod.apply(existing, PARAMS))
    assert after["direct_access_grants"] is False and mod.view(existing)["direct_access_grants"] is True


def test_unmanaged_options_are_left_alone():
    params = dict(PARAMS, web_origins=None, post_logout_redirect_uris=None, name=None)
    existing = dict(EXISTING, webOrigins=["+"], name="custom")
    assert mod.view(mod.apply(existing, params)) == mod.view(existing)


def test_full_path_change_is_a_mapper_change():
    assert mod.mapper_differs(EXISTING["protocolMappers"][0], dict(PARAMS, groups_full_path=True))
