"""zotops.zot.zot_release_problems / zot_config_for_release / zot_binary_version and the release
knowledge behind them (plugins/module_utils/zot_releases.py)."""
import json

import pytest

from ansible_collections.zotops.zot.plugins.filter.access_control import access_control
from ansible_collections.zotops.zot.plugins.filter.zot_config import zot_config
from ansible_collections.zotops.zot.plugins.filter.zot_release import (
    zot_binary_version, zot_config_for_release, zot_release_problems)
from ansible_collections.zotops.zot.plugins.module_utils import zot_releases


def config(**settings):
    base = {"zot_config_dir": "/etc/zot", "zot_data_dir": "/var/lib/zot"}
    base.update(settings)
    return zot_config(base)


OIDC = {"oidc": {"issuer": "https://kc.example.com/realms/zot", "client_id": "zot", "client_secret": "s",
                 "claim_mapping": {"username": "preferred_username", "groups": "roles"}}}
TIERS = {"tiers": {"ci": {"users": ["ci"], "actions": ["read", "create"], "immutable_tags": True}}}
PATTERN = {"tiers": {"ci": {"users": ["ci"], "actions": ["read", "create"], "immutable_tags": "^v"}}}


@pytest.mark.parametrize("version, feature, settings, access, variable", [
    ("2.1.13", "2.1.14", {"zot_http_external_url": "https://zot.example.com",
                          "zot_openid_providers": OIDC}, None, "zot_openid_providers.oidc.claim_mapping.groups"),
    ("2.1.14", "2.1.15", {}, TIERS, "zot_access.tiers.ci.immutable_tags"),
    ("2.1.15", "2.1.16", {"zot_search_enabled": True, "zot_search_cve_enabled": True,
                          "zot_search_cve": {"vuln_severity_sources": ["auto"]}}, None,
     "zot_search_cve.vuln_severity_sources"),
    ("2.1.16", "2.1.17", {}, PATTERN, "zot_access.tiers.ci.immutable_tags"),
    ("2.1.17", "2.1.18", {}, {"metrics": {"users": ["prom"], "anonymous": True}}, "zot_access.metrics.anonymous"),
])
def test_a_release_too_old_for_a_feature_is_named_with_the_release_it_needs(
        version, feature, settings, access, variable):
    settings = dict(settings)
    if access is not None:
        settings["zot_access_control"] = access_control(access)
    built = config(**settings)
    problems = zot_release_problems(built, version, access=access)
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ": ")
    assert "needs zot %s or newer, but zot_version is %s" % (feature, version) in problems[0]
    # the release that brought it, and every later one, take it
    assert zot_release_problems(built, feature, access=access) == []
    assert zot_release_problems(built, "2.1.20", access=access) == []


def test_raw_access_control_conditions_are_named_by_glob_and_index():
    raw = {"repositories": {"**": {"policies": [{"users": ["ci"], "actions": ["read"]},
                                                {"users": ["ci"], "actions": ["update"],
                                                 "conditions": [{"expression": "true", "message": "m"}]}]}}}
    problems = zot_release_problems(config(zot_access_control=raw), "2.1.16")
    assert [p.split(":", maxsplit=1)[0] for p in problems] == ["zot_access_control.repositories['**'].policies[1].conditions"]


def test_releases_before_the_oldest_supported_are_refused():
    problems = zot_release_problems(config(), "2.1.12")
    assert problems == ["zot_version=2.1.12: the oldest zot release this role supports is 2.1.13 (the tests run it "
                        "and 2.1.20); set zot_version to 2.1.13 or newer."]
    assert zot_release_problems(config(), zot_releases.OLDEST_SUPPORTED) == []
    assert zot_release_problems(config(), "2.2.0") == []


def test_an_empty_metrics_anonymous_policy_is_left_out_for_releases_without_it():
    built = config(zot_access_control=access_control({"metrics": {"users": ["prom"]}}))
    assert built["http"]["accessControl"]["metrics"] == {"users": ["prom"], "anonymousPolicy": []}
    old = zot_config_for_release(built, "2.1.17")
    assert old["http"]["accessControl"]["metrics"] == {"users": ["prom"]}
    assert built["http"]["accessControl"]["metrics"]["anonymousPolicy"] == []  # input untouched
    assert zot_config_for_release(built, "2.1.18") is built
    assert zot_release_problems(old, "2.1.13") == []


@pytest.mark.parametrize("commit, version", [
    ("v2.1.20-0-g3b5796d", "2.1.20"),                                   # zot's `make binary` (git describe)
    ("v2.1.18-7bb211bcd4352b90f3e99752607fbd1f050bf7ca", "2.1.18"),     # zot's container image
    ("3b5796d834e8661ea661a5fcc47add8d4405aebf", "2.1.20"),             # a bare commit of a release tag
    ("v2.1.3-rc1-0-gabcdef0", "2.1.3-rc1"),
    ("v2.1.20-4-g1234567", None),                                       # four commits after the tag
    ("v2.1.20-0-g3b5796d-dirty", None),
    ("0123456789012345678901234567890123456789", None),                # no release's commit
    ("", None),
])
def test_the_release_is_read_from_the_commit_stamp(commit, version):
    assert zot_releases.version_from_commit(commit) == version


def test_the_version_line_zot_prints_is_parsed():
    line = json.dumps({"level": "info", "message": "version", "distribution-spec": "1.1.1",
                       "commit": "v2.1.13-0-g4ad3fad", "binary-type": "-sync", "go version": "go1.26"})
    assert zot_releases.version_from_output("noise\n" + line) == ("2.1.13", "v2.1.13-0-g4ad3fad")


def test_a_binary_is_read_without_running_it(tmp_path):
    stamped = tmp_path / "zot-a"
    stamped.write_bytes(b"\x00" * 100 + b"go1.26v2.1.13-0-g4ad3fadzotregistry.dev" + b"\x00" * 100)
    assert zot_binary_version(str(stamped))["version"] == "2.1.13"
    by_commit = tmp_path / "zot-b"
    by_commit.write_bytes(b"xx3b5796d834e8661ea661a5fcc47add8d4405aebfyy")
    assert zot_binary_version(str(by_commit))["version"] == "2.1.20"
    plain = tmp_path / "zot-c"
    plain.write_bytes(b"#!/bin/sh\necho hello\n")
    assert zot_binary_version(str(plain))["version"] is None


def test_versions_sort_with_pre_releases_first():
    assert zot_releases.older_than("2.1.3-rc1", "2.1.3")
    assert zot_releases.older_than("2.1.9", "2.1.13")
    assert not zot_releases.older_than("2.1.20", "2.1.18")


def test_the_oldest_supported_release_is_the_one_the_tests_run():
    from integration.harness.env import VERSIONS
    assert VERSIONS["ZOT_OLDEST_VERSION"] == zot_releases.OLDEST_SUPPORTED
