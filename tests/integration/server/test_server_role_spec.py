"""The role's argument spec documents every public variable, and only those (no zot needed)."""
import re
from pathlib import Path

import yaml

from integration.harness.env import REPO

ROLE = Path(REPO) / "roles" / "server"


def spec_options():
    spec = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def test_every_default_is_in_the_argument_spec_and_back():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    options = spec_options()
    assert sorted(set(defaults) - set(options)) == []
    assert sorted(set(options) - set(defaults)) == []


def test_every_option_is_described_and_typed():
    for name, option in spec_options().items():
        assert name.startswith("zot_"), name
        assert option.get("description"), f"{name} has no description"
        assert option.get("type"), f"{name} has no type"


def test_every_public_variable_the_role_reads_is_declared():
    used = set()
    for path in list((ROLE / "tasks").glob("*.yml")) + list((ROLE / "templates").glob("*")) + [ROLE / "vars" / "main.yml"]:
        used |= set(re.findall(r"\b(zot_[a-z0-9_]+)", path.read_text()))
    # The collection's own filters and modules, and the role's tags, are not variables.
    plugins = {path.stem for path in (Path(REPO) / "plugins" / "filter").glob("*.yml")}
    plugins |= {path.stem for path in (Path(REPO) / "plugins" / "modules").glob("*.py")}
    tags = {"zot_server", "zot_server_preflight", "zot_server_install", "zot_server_configure", "zot_server_service"}
    filters_and_tags = plugins | tags
    undeclared = sorted(used - set(spec_options()) - filters_and_tags)
    assert undeclared == []
