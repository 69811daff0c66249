# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the zotops.zot.access_control filter."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re
import textwrap
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.filter.access_control import FilterModule, access_control
from ansible_collections.zotops.zot.plugins.plugin_utils._access_control.common import covers
from integration.harness.ansible import run_playbook

ALL = ["read", "create", "update", "delete"]

# The homelab's three tiers (seeds/homelab-zot-oidc-apikey-change.txt): anonymous pull,
# artifact-workloads push new tags only, admins break-glass.
SEED = {
    "anonymous": ["read"],
    "groups": {"artifact-workloads": {}, "admins": {}},
    "tiers": {
        "ci": {"groups": ["artifact-workloads"], "actions": ["read", "create"], "immutable_tags": True},
    },
    "admins": {"groups": ["admins"]},
}

SEED_OUTPUT = {
    "repositories": {
        "**": {
            "anonymousPolicy": ["read"],
            "defaultPolicy": [],
            "policies": [{"users": [], "groups": ["artifact-workloads"], "actions": ["read", "create"]}],
        },
    },
    "adminPolicy": {"users": [], "groups": ["admins"], "actions": ALL},
}

RELEASE = r"^v[0-9]+\.[0-9]+\.[0-9]+$"


def rejects(spec, *fragments, **kwargs):
    with pytest.raises(AnsibleFilterError) as info:
        access_control(spec, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def with_changes(**changes):
    spec = copy.deepcopy(SEED)
    spec.update(changes)
    return spec


def test_filter_is_registered():
    assert FilterModule().filters()["access_control"] is access_control


def test_seed_three_tiers_exact():
    assert access_control(SEED) == SEED_OUTPUT


def test_input_is_not_modified():
    spec = copy.deepcopy(SEED)
    access_control(spec)
    assert spec == SEED


def test_empty_declaration_still_emits_catch_all():
    assert access_control({}) == {
        "repositories": {"**": {"anonymousPolicy": [], "defaultPolicy": [], "policies": []}}}


def test_local_members_metrics_and_users():
    spec = {
        "authenticated": ["read"],
        "groups": {"admins": {"users": ["carol", "alice", "alice"]}, "oidc-devs": {}},
        "tiers": {"devs": {"groups": ["oidc-devs"], "users": ["zed", "bob"], "actions": ["create", "read"]}},
        "admins": {"groups": ["admins"], "users": ["root"], "actions": ["read", "delete"]},
        "metrics": {"users": ["prometheus"], "anonymous": True},
    }
    assert access_control(spec) == {
        "groups": {"admins": {"users": ["alice", "carol"]}},
        "repositories": {"**": {
            "anonymousPolicy": [],
            "defaultPolicy": ["read"],
            "policies": [{"users": ["bob", "zed"], "groups": ["oidc-devs"], "actions": ["read", "create"]}],
        }},
        "adminPolicy": {"users": ["root"], "groups": ["admins"], "actions": ["read", "delete"]},
        "metrics": {"users": ["prometheus"], "anonymousPolicy": ["read"]},
    }


def test_metrics_without_anonymous():
    out = access_control({"metrics": {"users": ["prom"]}})
    assert out["metrics"] == {"users": ["prom"], "anonymousPolicy": []}


def test_override_carries_every_policy_it_inherits():
    """zot applies only the longest glob: the override must repeat the tiers and defaultPolicy."""
    spec = with_changes(authenticated=["read"], repositories={"private/**": {"anonymous": []}})
    out = access_control(spec)
    assert sorted(out["repositories"]) == ["**", "private/**"]
    assert out["repositories"]["private/**"] == {
        "anonymousPolicy": [],
        "defaultPolicy": ["read"],
        "policies": [{"users": [], "groups": ["artifact-workloads"], "actions": ["read", "create"]}],
    }
    assert out["repositories"]["**"]["anonymousPolicy"] == ["read"]


def test_override_tiers_replace_inherited_ones():
    spec = with_changes(
        groups={"artifact-workloads": {}, "admins": {}, "auditors": {}},
        tiers={
            "ci": {"groups": ["artifact-workloads"], "actions": ["read", "create"]},
            "audit": {"groups": ["auditors"], "actions": ["read"]},
        },
        repositories={"private/**": {"anonymous": [], "tiers": ["audit"]}},
    )
    out = access_control(spec)
    assert out["repositories"]["private/**"]["policies"] == [
        {"users": [], "groups": ["auditors"], "actions": ["read"]}]
    # both tiers everywhere else, sorted by tier name
    assert [p["groups"] for p in out["repositories"]["**"]["policies"]] == [["auditors"], ["artifact-workloads"]]


def test_locked_down_glob_is_emitted_with_explicit_empty_lists():
    """viper drops empty maps; a vanished glob would fall back to '**' and its anonymous read."""
    out = access_control(with_changes(repositories={"secret/**": {"anonymous": [], "tiers": []}}))
    assert out["repositories"]["secret/**"] == {"anonymousPolicy": [], "defaultPolicy": [], "policies": []}


def test_tier_limited_to_globs_and_nested_overrides_inherit():
    spec = {
        "anonymous": ["read"],
        "tiers": {
            "everyone-ci": {"users": ["ci"], "actions": ["read", "create"]},
            "team-a": {"users": ["alice"], "actions": ALL, "repositories": ["team-a/**"]},
        },
        "repositories": {
            "private/**": {"anonymous": [], "tiers": ["everyone-ci"]},
            "team-a/secret/**": {"anonymous": []},
        },
    }
    out = access_control(spec)["repositories"]
    assert sorted(out) == ["**", "private/**", "team-a/**", "team-a/secret/**"]
    ci = {"users": ["ci"], "groups": [], "actions": ["read", "create"]}
    alice = {"users": ["alice"], "groups": [], "actions": ALL}
    assert out["**"]["policies"] == [ci]
    assert out["team-a/**"] == {"anonymousPolicy": ["read"], "defaultPolicy": [], "policies": [ci, alice]}
    assert out["team-a/secret/**"] == {"anonymousPolicy": [], "defaultPolicy": [], "policies": [ci, alice]}
    assert out["private/**"]["policies"] == [ci]


def test_tier_glob_inside_restrictive_override_keeps_its_tier():
    spec = {
        "tiers": {
            "ci": {"users": ["ci"], "actions": ["read", "create"]},
            "release": {"users": ["rel"], "actions": ["read", "create"], "repositories": ["private/releases/**"]},
        },
        "repositories": {"private/**": {"tiers": []}},
    }
    out = access_control(spec)["repositories"]
    assert out["private/**"]["policies"] == []
    assert out["private/releases/**"]["policies"] == [{"users": ["rel"], "groups": [], "actions": ["read", "create"]}]


def test_pattern_immutability_grants_update_only_for_other_tags():
    spec = with_changes(tiers={"ci": {"groups": ["artifact-workloads"], "users": ["ci-bot"],
                                      "actions": ["read", "create"], "immutable_tags": RELEASE}})
    policies = access_control(spec)["repositories"]["**"]["policies"]
    assert policies == [
        {"users": ["ci-bot"], "groups": ["artifact-workloads"], "actions": ["read", "create"]},
        {
            "users": ["ci-bot"],
            "groups": ["artifact-workloads"],
            "actions": ["read", "create", "update"],
            "conditions": [{
                "expression": 'req.action != "update" || !req.tag.matches("^v[0-9]+\\\\.[0-9]+\\\\.[0-9]+$")',
                "message": "tags matching %s are immutable: push a new tag instead" % RELEASE,
            }],
        },
    ]


def test_pattern_condition_is_a_valid_cel_string_literal():
    """The regex is embedded as a JSON/CEL double-quoted literal: decoding it gives the regex back."""
    spec = with_changes(tiers={"ci": {"users": ["ci"], "actions": ["read", "create"],
                                      "immutable_tags": r'^(release|v)-"\d+"$'}})
    expression = access_control(spec)["repositories"]["**"]["policies"][1]["conditions"][0]["expression"]
    literal = re.search(r"matches\((.*)\)$", expression).group(1)
    assert json.loads(literal) == r'^(release|v)-"\d+"$'


def test_deterministic_and_order_independent():
    spec_a = {
        "anonymous": ["read"],
        "groups": {"b": {"users": ["y", "x"]}, "a": {}},
        "tiers": {"t2": {"groups": ["b", "a"], "actions": ["create", "read"]},
                  "t1": {"users": ["u2", "u1"], "actions": ["read"], "repositories": ["z/**", "y/**"]}},
        "repositories": {"q/**": {"anonymous": []}, "p/**": {"authenticated": ["read"]}},
    }
    spec_b = {
        "repositories": {"p/**": {"authenticated": ["read"]}, "q/**": {"anonymous": []}},
        "tiers": {"t1": {"repositories": ["y/**", "z/**"], "actions": ["read"], "users": ["u1", "u2"]},
                  "t2": {"actions": ["read", "create"], "groups": ["a", "b"]}},
        "groups": {"a": {}, "b": {"users": ["x", "y"]}},
        "anonymous": ["read"],
    }
    first = json.dumps(access_control(spec_a), indent=4)
    assert first == json.dumps(access_control(spec_b), indent=4)
    assert first == json.dumps(access_control(copy.deepcopy(spec_a)), indent=4)


@pytest.mark.parametrize("outer, inner, expected", [
    ("**", "anything/at/all", True),
    ("team/**", "team", True),
    ("team/**", "team/*/x", True),
    ("team-*/**", "team-a/b", True),
    ("{a,b}/**", "a/c", True),
    ("a/*", "a/**", False),
    ("a/*", "a/b/c", False),
    ("team-a/**", "*/secret", False),
    # containment between two wildcard segments
    ("team-*", "team-?", True),
    ("team-?", "team-[ab]", True),
    ("team-*", "team-[!a]", True),
    ("team-?/**", "team-[ab]/**", True),
    ("team-[ab]", "team-?", False),
    ("team-{a,b}", "team-[ab]", True),
    ("team-[ab]", "team-{a,b}", True),
    ("team-[a-c]", "team-{a,c}", True),
    ("team-[!a]", "team-b", True),
    ("team-[!a]", "team-a", False),
    ("*/**", "**", True),
    ("**/secret", "team/*/secret", True),
    # doublestar quirk: once the name is used up, 'team*/**' needs the '*' to have taken something
    ("team*/**", "team", False),
    ("team*/**", "teamx/y", True),
])
def test_covers(outer, inner, expected):
    assert covers(outer, inner) is expected


# The example the issue reports: a narrower glob must carry the wider glob's override.
NARROW_TIER = {
    "anonymous": ["read"],
    "tiers": {"team": {"users": ["alice"], "actions": ALL, "repositories": ["team-[ab]/**"]}},
    "repositories": {"team-?/**": {"anonymous": []}},
}


def test_narrower_tier_glob_inherits_the_wider_override():
    out = access_control(NARROW_TIER)["repositories"]
    # team-a/app resolves to team-[ab]/** (the longest): no anonymous read there either
    assert out["team-[ab]/**"] == {"anonymousPolicy": [], "defaultPolicy": [],
                                   "policies": [{"users": ["alice"], "groups": [], "actions": ALL}]}
    assert out["team-?/**"] == {"anonymousPolicy": [], "defaultPolicy": [], "policies": []}


def test_wider_tier_applies_inside_narrower_wildcard_override():
    """team-[ab] lies inside team-*: the tier of team-*/** must reach team-[ab]/** (else its members get 403)."""
    spec = {"tiers": {"team": {"users": ["alice"], "actions": ["read", "create"], "repositories": ["team-*/**"]}},
            "repositories": {"team-[ab]/**": {"anonymous": ["read"]}}}
    out = access_control(spec)["repositories"]
    assert out["team-[ab]/**"]["policies"] == [{"users": ["alice"], "groups": [], "actions": ["read", "create"]}]
    assert out["team-[ab]/**"]["anonymousPolicy"] == ["read"]


def test_equally_long_nested_globs_are_rejected():
    spec = {"tiers": {"team": {"users": ["alice"], "actions": ["read"], "repositories": ["team-*/**"]}},
            "repositories": {"team-?/**": {"anonymous": []}}}
    rejects(spec, 'zot_access: glob "team-?/**": lies inside "team-*/**" but is not longer',
            "a random one when equally long")


def test_negated_class_inside_star():
    spec = {"repositories": {"team-*/**": {"anonymous": []}, "team-[!a]/**": {"authenticated": ["read"]}},
            "anonymous": ["read"]}
    out = access_control(spec)["repositories"]
    assert out["team-[!a]/**"] == {"anonymousPolicy": [], "defaultPolicy": ["read"], "policies": []}


def test_partial_overlap_is_rejected_naming_both_globs_and_a_repository():
    spec = {"repositories": {"team-a/**": {"anonymous": []}, "*/secret": {"authenticated": ["read"]}}}
    rejects(spec, 'zot_access: globs "*/secret" and "team-a/**": overlap without one containing the other: '
                  'both match "team-a/secret"')


def test_equally_long_overlapping_globs_are_rejected():
    """zot would pick one at random per request."""
    spec = {"repositories": {"team-a*/**": {"anonymous": []}, "team-*b/**": {"authenticated": ["read"]}}}
    rejects(spec, 'zot_access: globs "team-*b/**" and "team-a*/**": overlap', "picks one of them at random")


def test_same_repositories_under_two_spellings_are_rejected():
    spec = {"repositories": {"team-{a,b}/**": {"anonymous": []}, "team-[ab]/**": {"anonymous": []}}}
    rejects(spec, 'globs "team-[ab]/**" and "team-{a,b}/**": match exactly the same repositories')


def test_disjoint_wildcard_globs_are_fine():
    spec = {"repositories": {"team-[ab]/**": {"anonymous": []}, "team-[cd]/**": {"anonymous": []}}}
    assert sorted(access_control(spec)["repositories"]) == ["**", "team-[ab]/**", "team-[cd]/**"]


@pytest.mark.parametrize("glob, fragment", [
    ("a[!b]c/**", "matches the '/' of repository names such as 'a/c'"),
    ("x{*,a}*/**", "puts '*' next to '*' through {...}"),
    ("{a,b}!", "has '!' outside [...]"),
    ("a,b/**", "has ',' outside {...}"),
    ("a[]/**", "empty character class"),
    ("team-/**", "matches no repository name"),
])
def test_globs_zot_would_read_differently_are_rejected(glob, fragment):
    rejects({"repositories": {glob: {"anonymous": []}}}, "zot_access.repositories[%s]" % json.dumps(glob), fragment)


@pytest.mark.parametrize("pattern, reason", [
    (r"^latest\Z", "invalid escape sequence"),
    (r"^v[0-9]++$", "bad repetition operator"),
    (r"(?>v)1", "invalid perl operator"),
    (r"(?P=name)", "invalid"),
    (r"\1", "invalid escape sequence"),
    (r"\C", "uses \\C"),
    ("^v\u00e9$", "printable ASCII"),
])
def test_patterns_zot_cannot_compile_are_rejected(pattern, reason):
    spec = {"tiers": {"ci": {"users": ["ci"], "actions": ["read", "create"], "immutable_tags": pattern}}}
    rejects(spec, "zot_access.tiers.ci.immutable_tags: ", reason)


@pytest.mark.parametrize("pattern", [r"\p{Lu}", r"^(?i)v[0-9]+$", r"^\Qv1.0\E$", r"^[[:digit:]]+$", r"^\Q\C\E$"])
def test_valid_re2_patterns_are_accepted(pattern):
    spec = {"tiers": {"ci": {"users": ["ci"], "actions": ["read", "create"], "immutable_tags": pattern}}}
    condition = access_control(spec)["repositories"]["**"]["policies"][1]["conditions"][0]
    assert json.loads(re.search(r"matches\((.*)\)$", condition["expression"]).group(1)) == pattern


def test_missing_re2_names_the_package(monkeypatch):
    from ansible_collections.zotops.zot.plugins.plugin_utils._access_control import validate as module
    monkeypatch.setattr(module, "re2", None)
    rejects({"tiers": {"ci": {"users": ["ci"], "actions": ["read", "create"], "immutable_tags": "^v"}}},
            "install the Python package 'google-re2'")
    # declarations without a pattern do not need it
    assert access_control(SEED) == SEED_OUTPUT


# ---------------------------------------------------------------- rejections


def test_unknown_action_names_the_entry():
    spec = with_changes(tiers={"ci": {"groups": ["artifact-workloads"], "actions": ["read", "pusj"]}})
    message = rejects(spec)
    assert message == "zot_access.tiers.ci.actions[1]: unknown action 'pusj'; allowed: read, create, update, delete"


def test_unknown_action_suggests_a_close_one():
    rejects(with_changes(anonymous=["raed"]),
            "zot_access.anonymous[0]: unknown action 'raed'", "did you mean 'read'?")


def test_tier_without_read():
    rejects(with_changes(tiers={"ci": {"groups": ["artifact-workloads"], "actions": ["create"]}}),
            "zot_access.tiers.ci.actions: grants create without 'read'")


def test_anonymous_without_read():
    rejects(with_changes(anonymous=["create"]), "zot_access.anonymous: grants create without 'read'")


def test_override_without_read():
    rejects(with_changes(repositories={"tmp/**": {"authenticated": ["create", "update"]}}),
            "zot_access.repositories[\"tmp/**\"].authenticated: grants create, update without 'read'")


def test_admins_without_read():
    rejects(with_changes(admins={"groups": ["admins"], "actions": ["delete"]}),
            "zot_access.admins.actions: grants delete without 'read'")


def test_update_without_create():
    rejects(with_changes(tiers={"ci": {"users": ["ci"], "actions": ["read", "update"]}}),
            "zot_access.tiers.ci.actions: grants 'update' without 'create'")


def test_empty_tier_actions():
    rejects(with_changes(tiers={"ci": {"users": ["ci"], "actions": []}}),
            "zot_access.tiers.ci.actions: must not be empty")


def test_missing_tier_actions():
    rejects(with_changes(tiers={"ci": {"users": ["ci"]}}), "zot_access.tiers.ci.actions: is required")


def test_undefined_group():
    message = rejects(with_changes(tiers={"ci": {"groups": ["artifact-workload"], "actions": ["read"]}}))
    assert message == ("zot_access.tiers.ci.groups[0]: group 'artifact-workload' is not declared in "
                       "zot_access.groups (declared: admins, artifact-workloads); did you mean 'artifact-workloads'?")


def test_undefined_admin_group():
    rejects(with_changes(admins={"groups": ["root"]}),
            "zot_access.admins.groups[0]: group 'root' is not declared in zot_access.groups")


def test_undefined_tier_in_override():
    rejects(with_changes(repositories={"private/**": {"tiers": ["cj"]}}),
            "zot_access.repositories[\"private/**\"].tiers[0]: tier 'cj' is not declared in zot_access.tiers "
            "(declared: ci)")


@pytest.mark.parametrize("glob, fragment", [
    ("", "is empty"),
    ("Private/**", "upper-case"),
    ("/abs/**", "must not start or end with '/'"),
    ("team/", "must not start or end with '/'"),
    ("a//b", "empty path segment"),
    ("team**", "'**' must be a whole path segment"),
    ("a[bc", "'[' without ']'"),
    ("a{b,c", "'{' without '}'"),
    ("a}b", "'}' without '{'"),
    ("{a/b,c}/x", "'/' inside {...}"),
    ("my repo", "whitespace"),
    ("a\\b", "contains '\\'"),
])
def test_malformed_override_glob(glob, fragment):
    message = rejects(with_changes(repositories={glob: {"anonymous": []}}), fragment)
    assert "zot_access.repositories[%s]" % json.dumps(glob) in message


def test_malformed_tier_glob():
    rejects(with_changes(tiers={"ci": {"users": ["ci"], "actions": ["read"], "repositories": ["ok/**", "bad[x"]}}),
            "zot_access.tiers.ci.repositories[1]: glob \"bad[x\" has '[' without ']'")


def test_empty_tier_globs():
    rejects(with_changes(tiers={"ci": {"users": ["ci"], "actions": ["read"], "repositories": []}}),
            "zot_access.tiers.ci.repositories: is empty")


def test_catch_all_override_is_rejected():
    rejects(with_changes(repositories={"**": {"anonymous": []}}), "zot_access.repositories[\"**\"]: '**' is what")


def test_glob_never_longest_is_rejected():
    """'a' lies inside '**' and is shorter: zot would always pick '**' for the repository 'a'."""
    rejects(with_changes(repositories={"a": {"anonymous": []}}),
            "zot_access: glob \"a\": lies inside \"**\" but is not longer")


def test_shorter_glob_inside_override_is_rejected():
    spec = with_changes(tiers={"ci": {"users": ["ci"], "actions": ["read"], "repositories": ["team"]}},
                        repositories={"team/**": {"anonymous": []}})
    rejects(spec, "glob \"team\": lies inside \"team/**\"")


def test_override_contradicting_tier_glob():
    spec = with_changes(tiers={"ci": {"users": ["ci"], "actions": ["read"], "repositories": ["private/**"]}},
                        repositories={"private/**": {"tiers": []}})
    rejects(spec, "zot_access.repositories[\"private/**\"].tiers: does not list tier 'ci'")


@pytest.mark.parametrize("spec, fragment", [
    ({"tier": {}}, "zot_access.tier: unknown key 'tier'; allowed: anonymous, authenticated, groups, tiers, "
                   "repositories, admins, metrics; did you mean 'tiers'?"),
    ({"tiers": {"ci": {"users": ["ci"], "actions": ["read"], "immutable_tag": True}}},
     "zot_access.tiers.ci.immutable_tag: unknown key 'immutable_tag'"),
    ({"groups": {"a": {"user": ["x"]}}}, "zot_access.groups.a.user: unknown key 'user'; allowed: users, description"),
    ({"repositories": {"p/**": {"anonymus": []}}}, "zot_access.repositories[\"p/**\"].anonymus: unknown key"),
    ({"admins": {"users": ["x"], "action": ["read"]}}, "zot_access.admins.action: unknown key"),
    ({"metrics": {"user": ["x"]}}, "zot_access.metrics.user: unknown key 'user'; allowed: users, anonymous"),
])
def test_unknown_keys(spec, fragment):
    rejects(spec, fragment)


@pytest.mark.parametrize("spec, fragment", [
    ("read", "zot_access: must be a mapping, got string"),
    (None, "zot_access: is required"),
    ({"anonymous": "read"}, "zot_access.anonymous: must be a list of actions (read, create, update, delete), got string"),
    ({"anonymous": [1]}, "zot_access.anonymous[0]: unknown action 'int 1'"),
    ({"groups": ["a"]}, "zot_access.groups: must be a mapping, got list"),
    ({"groups": {"a": {"users": "x"}}}, "zot_access.groups.a.users: must be a list of user names, got string"),
    ({"groups": {"a": {"users": [""]}}}, "zot_access.groups.a.users[0]: must be a non-empty user name"),
    ({"tiers": {"ci": None}}, "zot_access.tiers.ci: is empty; a tier needs 'actions' and 'users' or 'groups'"),
    ({"tiers": {"ci": ["read"]}}, "zot_access.tiers.ci: must be a mapping, got list"),
    ({"tiers": {"ci": {"users": "ci", "actions": ["read"]}}}, "zot_access.tiers.ci.users: must be a list of user names"),
    ({"tiers": {"ci": {"users": ["ci"], "actions": ["read"], "repositories": "**"}}},
     "zot_access.tiers.ci.repositories: must be a list of repository globs, got string"),
    ({"tiers": {"ci": {"users": ["ci"], "actions": ["read"], "immutable_tags": 1}}},
     "zot_access.tiers.ci.immutable_tags: must be true, false or a regular expression string, got int"),
    ({"metrics": {"anonymous": "yes"}}, "zot_access.metrics.anonymous: must be true or false, got string"),
    ({"repositories": ["p/**"]}, "zot_access.repositories: must be a mapping, got list"),
])
def test_wrong_types(spec, fragment):
    rejects(spec, fragment)


def test_tier_naming_nobody():
    rejects({"tiers": {"ci": {"actions": ["read"]}}},
            "zot_access.tiers.ci: names no users and no groups; to grant every signed-in user use "
            "zot_access.authenticated")


def test_admins_naming_nobody():
    rejects({"admins": {"actions": ["read"]}}, "zot_access.admins: names no users and no groups")


def test_upper_case_group_with_local_members():
    rejects({"groups": {"Admins": {"users": ["alice"]}}},
            "zot_access.groups.Admins: a group with local users must have a lower-case name")


def test_group_with_key_separator():
    rejects({"groups": {"a::b": {"users": ["alice"]}}}, "zot_access.groups[\"a::b\"]: a group with local users "
            "must not contain '::'")


def test_upper_case_group_from_idp_is_fine():
    out = access_control({"groups": {"Zot-Admins": {}}, "admins": {"groups": ["Zot-Admins"]}})
    assert out["adminPolicy"]["groups"] == ["Zot-Admins"]
    assert "groups" not in out


@pytest.mark.parametrize("immutable, actions, fragment", [
    (True, ["read", "create", "update"], "conflicts with action(s) update"),
    (True, ["read", "create", "delete"], "conflicts with action(s) delete"),
    (RELEASE, ["read"], "a tag pattern needs 'create'"),
    ("(unclosed", ["read", "create"], "is not a valid RE2 regular expression"),
    ("^(?!v).*", ["read", "create"], "is not a valid RE2 regular expression"),
    ("", ["read", "create"], "must be true, false or a non-empty regular expression"),
    ("true", ["read", "create"], "is the string 'true'; write true or false without quotes"),
])
def test_immutable_tags_problems(immutable, actions, fragment):
    spec = {"tiers": {"ci": {"users": ["ci"], "actions": actions, "immutable_tags": immutable}}}
    rejects(spec, "zot_access.tiers.ci.immutable_tags: ", fragment)


def test_immutability_undone_by_authenticated_update():
    spec = with_changes(repositories={"scratch/**": {"authenticated": ["read", "create", "update"]}})
    rejects(spec, "zot_access.tiers.ci.immutable_tags: is undone on glob \"scratch/**\": every signed-in user, "
                  "tier members included (zot_access.repositories[\"scratch/**\"].authenticated) can overwrite "
                  "tags there")


def test_immutability_undone_by_another_tier():
    spec = with_changes(tiers={
        "ci": {"groups": ["artifact-workloads"], "actions": ["read", "create"], "immutable_tags": True},
        "ops": {"groups": ["artifact-workloads"], "actions": ALL, "repositories": ["ops/**"]},
    })
    rejects(spec, "zot_access.tiers.ci.immutable_tags: is undone on glob \"ops/**\": members of group "
                  "'artifact-workloads' can overwrite and delete tags there through tier 'ops'")


def test_immutability_undone_by_admins():
    spec = with_changes(admins={"groups": ["admins", "artifact-workloads"]})
    rejects(spec, "zot_access.tiers.ci.immutable_tags: is undone on glob \"**\": members of group "
                  "'artifact-workloads' can overwrite and delete tags there through zot_access.admins")


# A user is a member of an immutable tier through a local group, and gets update elsewhere under
# another name: by user name in another tier, through another local group, through admins.
MEMBER_BY_GROUP = {
    "groups": {"ci-bots": {"users": ["bob"]}, "ops": {"users": ["bob"]}, "root": {"users": ["bob"]}},
    "tiers": {"ci": {"groups": ["ci-bots"], "actions": ["read", "create"], "immutable_tags": True}},
}


@pytest.mark.parametrize("changes, source", [
    ({"tiers": {"hotfix": {"users": ["bob"], "actions": ["read", "create", "update"]}}}, "through tier 'hotfix'"),
    ({"tiers": {"opsy": {"groups": ["ops"], "actions": ["read", "create", "delete"]}}}, "through tier 'opsy'"),
    ({"admins": {"groups": ["root"]}}, "through zot_access.admins"),
])
def test_immutability_undone_for_a_local_group_member(changes, source):
    spec = copy.deepcopy(MEMBER_BY_GROUP)
    for key, value in changes.items():
        if key == "tiers":
            spec["tiers"].update(value)
        else:
            spec[key] = value
    rejects(spec, "zot_access.tiers.ci.immutable_tags: is undone on glob \"**\": user 'bob' (a local member of "
                  "group 'ci-bots') can ", source)


def test_immutability_undone_by_anonymous_delete_on_a_covered_glob():
    """Tier members can always send requests without signing in."""
    spec = with_changes(repositories={"tmp/**": {"anonymous": ["read", "delete"]}})
    rejects(spec, "zot_access.tiers.ci.immutable_tags: is undone on glob \"tmp/**\": anyone, tier members "
                  "included, by not signing in (zot_access.repositories[\"tmp/**\"].anonymous) can delete tags")


def test_immutability_only_where_the_tier_applies():
    """Another tier may give the same people update where the immutable tier does not apply."""
    spec = {
        "tiers": {
            "ci": {"users": ["bob"], "actions": ["read", "create"], "immutable_tags": True,
                   "repositories": ["release/**"]},
            "dev": {"users": ["bob"], "actions": ALL, "repositories": ["dev/**"]},
        },
        "repositories": {"dev/**": {"anonymous": ["read", "create", "update"]}},
    }
    out = access_control(spec)["repositories"]
    assert [p["users"] for p in out["dev/**"]["policies"]] == [["bob"]]
    assert out["release/**"]["policies"] == [{"users": ["bob"], "groups": [], "actions": ["read", "create"]}]


def test_pattern_tiers_with_different_patterns_undo_each_other():
    spec = {"tiers": {
        "a": {"users": ["bob"], "actions": ["read", "create"], "immutable_tags": "^v"},
        "b": {"users": ["bob"], "actions": ["read", "create"], "immutable_tags": "^release-"},
    }}
    message = rejects(spec, "zot_access.tiers.a.immutable_tags: is undone on glob \"**\": user 'bob' can overwrite "
                            "tags there through tier 'b'")
    assert "zot_access.tiers.b.immutable_tags: is undone on glob \"**\": user 'bob' can overwrite tags there " \
           "through tier 'a'" in message


def test_immutable_false_is_plain():
    out = access_control({"tiers": {"ci": {"users": ["ci"], "actions": ALL, "immutable_tags": False}}})
    assert out["repositories"]["**"]["policies"] == [{"users": ["ci"], "groups": [], "actions": ALL}]


def test_every_problem_is_reported_at_once():
    message = rejects({"anonymous": ["pull"], "tiers": {"ci": {"groups": ["nobody"], "actions": ["read"]}}},
                      "2 problems in zot_access: ")
    assert "(1) zot_access.anonymous[0]: unknown action 'pull'" in message
    assert " (2) zot_access.tiers.ci.groups[0]: group 'nobody' is not declared" in message


def test_custom_variable_name_in_messages():
    rejects({"anonymous": ["pusj"]}, "registry_access.anonymous[0]: unknown action 'pusj'", name="registry_access")


def test_key_paths_quote_unusual_names():
    rejects({"tiers": {"team a": {"users": ["x"], "actions": ["raed"]}}},
            'zot_access.tiers["team a"].actions[0]: unknown action \'raed\'')


# ---------------------------------------------------------------- through ansible-playbook


PLAYBOOK = textwrap.dedent("""\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Render accessControl
          ansible.builtin.copy:
            dest: "{{ out }}"
            content: "{{ zot_access | zotops.zot.access_control | to_nice_json }}\\n"
            mode: "0644"
    """)


@pytest.mark.slow
def test_through_ansible_playbook(tmp_path):
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "access-control.json"

    first = run_playbook(playbook, extra_vars={"zot_access": SEED, "out": str(out)})
    assert first.rc == 0, first
    assert first.changed == 1
    assert json.loads(out.read_text()) == SEED_OUTPUT
    rendered = out.read_text()

    again = run_playbook(playbook, extra_vars={"zot_access": SEED, "out": str(out)})
    assert again.rc == 0, again
    assert again.changed == 0, again
    assert out.read_text() == rendered


@pytest.mark.slow
def test_through_ansible_playbook_reports_the_entry(tmp_path):
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "access-control.json"
    bad = with_changes(tiers={"ci": {"groups": ["artifact-workloads"], "actions": ["read", "pusj"]}})

    result = run_playbook(playbook, extra_vars={"zot_access": bad, "out": str(out)})
    assert result.rc != 0, result
    assert result.failed == 1, result
    assert ("zot_access.tiers.ci.actions[1]: unknown action 'pusj'; allowed: read, create, update, delete"
            in result.output), result
    assert not Path(out).exists()
