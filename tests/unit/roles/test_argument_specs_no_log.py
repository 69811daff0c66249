"""Every secret option of every role's argument spec is marked no_log (issue: passwords, client
secrets and tokens must never be printed when a role validates its arguments)."""
import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
# Names that hold a secret value; *_file / *_path / *_dir options hold where one is, not the secret.
SECRET = re.compile(r"(password|secret|token|session_keys$|^zot_sync_credentials$)")
NOT_SECRET = re.compile(r"(_file|_path|_dir|_url|_name|_id|_username|_user|_header|_label|_days|_length)$")


def options(spec, prefix=""):
    for name, option in (spec or {}).items():
        yield prefix + name, option
        yield from options(option.get("options"), prefix + name + ".")


def spec_options():
    for spec_file in sorted(ROLES.glob("*/meta/argument_specs.yml")):
        for entry_point, spec in yaml.safe_load(spec_file.read_text())["argument_specs"].items():
            for name, option in options(spec.get("options")):
                yield f"{spec_file.parts[-3]}:{entry_point}:{name}", name.rsplit(".", 1)[-1], option


SECRET_OPTIONS = [(full, option) for full, leaf, option in spec_options()
                  if SECRET.search(leaf) and not NOT_SECRET.search(leaf)]


def test_the_secret_options_are_found():
    names = {full.split(":")[-1] for full, _option in SECRET_OPTIONS}
    assert {"zot_oidc_keycloak_auth_password", "zot_oidc_keycloak_auth_client_secret", "zot_oidc_keycloak_token",
            "zot_oidc_authentik_token", "zot_htpasswd_users.password"} <= names


@pytest.mark.parametrize("full,option", SECRET_OPTIONS, ids=[full for full, _option in SECRET_OPTIONS])
def test_secret_option_is_no_log(full, option):
    assert option.get("no_log") is True, f"{full} holds a secret and must be marked no_log: true"
