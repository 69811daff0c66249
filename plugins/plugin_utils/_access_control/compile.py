# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compiles a validated ``zot_access`` declaration into zot's ``http.accessControl``.

zot applies only the policy group of the longest matching glob, so every glob emitted here carries
all that applies to it; the checks here refuse declarations that flattening cannot keep exact
(overlapping globs) or whose immutable tags another grant would undo.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.zotops.zot.plugins.plugin_utils import doublestar
from ansible_collections.zotops.zot.plugins.plugin_utils._access_control.common import (
    ACTIONS, ALL_GLOB, Problems, covers, key_path)


def _cel_string(text):
    """A CEL double-quoted string literal for printable ASCII text (the only text patterns may hold)."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _immutability_condition(pattern):
    return {
        "expression": 'req.action != "update" || !req.tag.matches(%s)' % _cel_string(pattern),
        "message": "tags matching %s are immutable: push a new tag instead" % pattern,
    }


def _tier_policies(tier):
    policies = [{"users": tier["users"], "groups": tier["groups"], "actions": tier["actions"]}]
    if tier["immutable"] not in (None, True):
        policies.append({
            "users": tier["users"],
            "groups": tier["groups"],
            "actions": [action for action in ACTIONS if action != "delete"],
            "conditions": [_immutability_condition(tier["immutable"])],
        })
    return policies


def _principals(entry):
    return set(("user", u) for u in entry["users"]) | set(("group", g) for g in entry["groups"])


MUTATING = ("update", "delete")


def _verbs(actions):
    """'overwrite and delete' for the mutating actions in actions."""
    return " and ".join({"update": "overwrite", "delete": "delete"}[a] for a in MUTATING if a in actions)


def _members(tier, local_groups):
    """{member: (description, principals)} for every member of tier zot can tell apart.

    A named user gets the local groups listing them (zot adds those at every login); the members a
    group gets from OpenID Connect or LDAP are only known to zot, so the group stands for them.
    """
    def principals(user):
        return frozenset([("user", user)] + [("group", g) for g, users in local_groups.items() if user in users])

    members = {}
    for user in tier["users"]:
        members[("user", user)] = ("user '%s'" % user, principals(user))
    for group in tier["groups"]:
        members[("group", group)] = ("members of group '%s'" % group, frozenset([("group", group)]))
        for user in local_groups.get(group, []):
            if ("user", user) not in members:
                members[("user", user)] = ("user '%s' (a local member of group '%s')" % (user, group),
                                           principals(user))
    return members


def _grants_update(tier, other):
    """Whether tier other lets its members overwrite tags that tier's immutability protects."""
    if "update" in other["actions"]:
        return True
    pattern = other["immutable"]
    # A pattern tier grants update for the tags its own pattern leaves mutable.
    return pattern not in (None, True) and pattern != tier["immutable"]


def _check_immutability(problems, name, spec, compiled):
    """Every member of an immutable tier, on every glob it applies to, must have no other way to
    overwrite or delete tags: other tiers, local groups, admins, authenticated or anonymous."""
    tiers = spec["tiers"]
    admins = spec["admins"]
    found = {}  # (tier, member description, source) -> (verbs, [globs])
    for glob, (group, applied, settings) in sorted(compiled.items()):
        for tier_name in applied:
            tier = tiers[tier_name]
            if tier["immutable"] is None:
                continue
            key = (tier_name, None)
            anonymous = [a for a in MUTATING if a in group["anonymousPolicy"]]
            if anonymous:
                found.setdefault(key + ("anyone, tier members included, by not signing in (%s)"
                                        % settings["anonymous"],), (anonymous, []))[1].append(glob)
            authenticated = [a for a in MUTATING if a in group["defaultPolicy"]]
            if authenticated:
                found.setdefault(key + ("every signed-in user, tier members included (%s)"
                                        % settings["authenticated"],), (authenticated, []))[1].append(glob)
            for member, (described, principals) in sorted(_members(tier, spec["groups"]).items()):
                for other_name in applied:
                    other = tiers[other_name]
                    if other_name == tier_name or not principals & _principals(other):
                        continue
                    verbs = [a for a in MUTATING if a in other["actions"] or (
                        a == "update" and _grants_update(tier, other))]
                    if verbs:
                        found.setdefault((tier_name, described, "tier '%s'" % other_name),
                                         (verbs, []))[1].append(glob)
                if admins is not None and principals & _principals(admins):
                    verbs = [a for a in MUTATING if a in admins["actions"]]
                    if verbs:
                        found.setdefault((tier_name, described, "%s.admins" % name), (verbs, []))[1].append(glob)
    for (tier_name, described, source), (verbs, globs) in sorted(found.items(), key=lambda i: (
            i[0][0], i[0][1] or "", i[0][2])):
        where = "glob%s %s" % ("s" if len(globs) > 1 else "", ", ".join(json.dumps(g) for g in globs))
        path = "%s.immutable_tags" % key_path(name + ".tiers", tier_name)
        if described is None:
            problems.add(path, "is undone on %s: %s can %s tags there" % (where, source, _verbs(verbs)))
        else:
            problems.add(path, "is undone on %s: %s can %s tags there through %s" % (
                where, described, _verbs(verbs), source))


def _origins(name, spec):
    """{glob: where the declaration names it}, for messages."""
    origins = {ALL_GLOB: ["every repository (%s.anonymous, .authenticated and tiers without repositories)" % name]}
    for glob in spec["repositories"]:
        origins.setdefault(glob, []).append(key_path(name + ".repositories", glob))
    for tier_name, tier in sorted(spec["tiers"].items()):
        for glob in tier["globs"]:
            if glob != ALL_GLOB:
                origins.setdefault(glob, []).append(key_path(name + ".tiers", tier_name) + ".repositories")
    return origins


def _check_glob_pairs(problems, name, emitted, origins):
    """Every two globs a repository can match must be nested, the inner one strictly longer.

    zot uses only the longest matching glob (a random one of those equally long, per request), and the
    flattening gives each glob what applies to every repository it matches. That is only exact when
    a repository's longest matching glob lies inside all the others that match it.
    """
    def named(glob):
        return "%s (%s)" % (json.dumps(glob), "; ".join(origins.get(glob, [])))

    globs = sorted(emitted)
    for index, first in enumerate(globs):
        for second in globs[index + 1:]:
            both = doublestar.common(first, second)
            if both is None:
                continue
            only_first = doublestar.outside(first, second)
            only_second = doublestar.outside(second, first)
            tie = len(first) == len(second)
            chooses = ("picks one of them at random on every request" if tie
                       else "applies only the longer one, %s" % json.dumps(max(first, second, key=len)))
            if only_first is None and only_second is None:
                problems.add("%s: globs %s and %s" % (name, json.dumps(first), json.dumps(second)),
                             "match exactly the same repositories (for example %s) and zot %s; keep one of "
                             "%s and %s" % (json.dumps(both), chooses, named(first), named(second)))
            elif only_first is None or only_second is None:
                inner, outer = (first, second) if only_first is None else (second, first)
                if len(inner) <= len(outer):
                    problems.add("%s: glob %s" % (name, json.dumps(inner)),
                                 "lies inside %s but is not longer, and zot applies only the longest matching "
                                 "glob (%s), so for repositories such as %s it would never take effect; "
                                 "write it more specifically (it comes from %s)"
                                 % (json.dumps(outer), "a random one when equally long" if tie else
                                    "by string length", json.dumps(both), "; ".join(origins.get(inner, []))))
            else:
                problems.add("%s: globs %s and %s" % (name, json.dumps(first), json.dumps(second)),
                             "overlap without one containing the other: both match %s, only the first %s, only "
                             "the second %s. zot %s to the repositories both match, so the other glob's "
                             "policies would be lost there; make one glob contain the other, or make them "
                             "disjoint (%s; %s)" % (
                                 json.dumps(both), json.dumps(only_first), json.dumps(only_second), chooses,
                                 named(first), named(second)))


def compile_access(spec, name):
    overrides = spec["repositories"]
    tiers = spec["tiers"]
    problems = Problems()

    emitted = set([ALL_GLOB]) | set(overrides)
    for tier in tiers.values():
        emitted.update(tier["globs"])

    _check_glob_pairs(problems, name, emitted, _origins(name, spec))
    for glob, override in sorted(overrides.items()):
        for tier_name, tier in sorted(tiers.items()):
            if "tiers" in override and glob in tier["globs"] and tier_name not in override["tiers"]:
                problems.add("%s.tiers" % key_path(name + ".repositories", glob),
                             "does not list tier '%s', whose repositories name this very glob" % tier_name)
    problems.raise_if_any(name)

    # From here on, globs that share a repository are nested and the inner one is longer, so the
    # repositories zot resolves to a glob are matched exactly by the globs that contain it.
    inside = {}

    def contains(outer, inner):
        if (outer, inner) not in inside:
            inside[(outer, inner)] = outer == inner or covers(outer, inner)
        return inside[(outer, inner)]

    compiled = {}
    for glob in sorted(emitted):
        # Overrides containing this glob, innermost (longest) first.
        scopes = sorted((o for o in overrides if contains(o, glob)), key=lambda o: (-len(o), o))
        group = {}
        settings = {}
        for key, zot_key in (("anonymous", "anonymousPolicy"), ("authenticated", "defaultPolicy")):
            setting, settings[key] = spec[key], "%s.%s" % (name, key)
            for scope in scopes:
                if key in overrides[scope]:
                    setting = overrides[scope][key]
                    settings[key] = "%s.%s" % (key_path(name + ".repositories", scope), key)
                    break
            group[zot_key] = list(setting)
        deciding = next((scope for scope in scopes if "tiers" in overrides[scope]), None)
        policies = []
        applied = []
        for tier_name, tier in sorted(tiers.items()):
            own = [g for g in tier["globs"] if contains(g, glob)]
            if deciding is None:
                applies = bool(own)
            else:
                applies = tier_name in overrides[deciding]["tiers"] or any(
                    g != deciding and contains(deciding, g) for g in own)
            if applies:
                applied.append(tier_name)
                policies.extend(_tier_policies(tier))
        group["policies"] = policies
        compiled[glob] = (group, applied, settings)
    _check_immutability(problems, name, spec, compiled)
    problems.raise_if_any(name)

    access = {"repositories": dict((glob, entry[0]) for glob, entry in compiled.items())}
    local_groups = dict((g, {"users": users}) for g, users in sorted(spec["groups"].items()) if users)
    if local_groups:
        access["groups"] = local_groups
    if spec["admins"] is not None:
        access["adminPolicy"] = dict(spec["admins"])
    if spec["metrics"] is not None:
        access["metrics"] = {"users": spec["metrics"]["users"],
                             "anonymousPolicy": ["read"] if spec["metrics"]["anonymous"] else []}
    return access
