"""What the Keycloak tests share: a realm of their own per test, deleted afterwards."""
import secrets

import pytest


@pytest.fixture
def realm(keycloak_server):
    """A fresh realm on the session's Keycloak (test_keycloak_oidc.py overrides it to record admin events)."""
    name = "zotops-" + secrets.token_hex(4)
    keycloak_server.admin("POST", "", json={"realm": name, "enabled": True})
    yield name
    keycloak_server.admin("DELETE", f"/{name}")
