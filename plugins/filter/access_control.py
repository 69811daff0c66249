# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compile a readable access declaration (``zot_access``) into zot's ``http.accessControl``.

zot (v2.1.20) applies only the policy group of the *longest* repository glob that matches a
repository, never a merge of several. This filter therefore flattens the declaration: every glob
it emits carries every anonymous, authenticated and tier policy that applies to it.

Facts from zot's source this relies on (pkg/api/config/config.go, pkg/api/authz.go):

* ``accessControl`` = ``{groups: {G: {users}}, repositories: {GLOB: {policies: [{users, groups,
  actions, conditions: [{expression, message}]}], defaultPolicy, anonymousPolicy}},
  adminPolicy: {users, groups, actions}, metrics: {users, anonymousPolicy}}``.
* A manifest PUT to a tag that exists is ``update`` (``latest`` included since v2.1.15), to a new
  tag ``create``; so ``[read, create]`` pushes new tags only.
* Policy ``conditions`` are CEL expressions evaluated against ``req`` (``req.action``, ``req.tag``,
  ...); every condition must hold for the policy entry to grant.
* zot reads its config with viper, which lower-cases map keys (so ``groups`` keys must be lower
  case) and drops empty maps (so every emitted glob carries explicit, possibly empty, lists).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six.moves.collections_abc import Mapping

from ansible_collections.zotops.zot.plugins.plugin_utils import doublestar

string_types = str  # a filter runs on the controller's Python 3 (ansible-core 2.21's sanity refuses six here)

try:
    # zot evaluates tag patterns with CEL's matches(), i.e. Go's regexp (RE2 syntax). google-re2 binds
    # Google's C++ RE2, the same syntax, and never falls back to Python's re the way some wrappers do.
    import re2
except ImportError:  # checked when a pattern is given, with the package to install
    re2 = None

ACTIONS = ("read", "create", "update", "delete")
ALL_GLOB = "**"

TOP_KEYS = ("anonymous", "authenticated", "groups", "tiers", "repositories", "admins", "metrics")
GROUP_KEYS = ("users", "description")
TIER_KEYS = ("users", "groups", "actions", "immutable_tags", "repositories", "description")
OVERRIDE_KEYS = ("anonymous", "authenticated", "tiers", "description")
ADMIN_KEYS = ("users", "groups", "actions")
METRICS_KEYS = ("users", "anonymous")

SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
BOOLEAN_WORDS = ("true", "false", "yes", "no", "on", "off")
RE2_PACKAGE = "google-re2"


class _Problems(object):
    """Collects every problem found, in the order the declaration is walked."""

    def __init__(self):
        self.messages = []

    def add(self, path, message):
        self.messages.append("%s: %s" % (path, message))

    def raise_if_any(self, name):
        if not self.messages:
            return
        if len(self.messages) == 1:
            raise AnsibleFilterError(self.messages[0])
        raise AnsibleFilterError("%d problems in %s: %s" % (len(self.messages), name, " ".join(
            "(%d) %s" % (number, message) for number, message in enumerate(self.messages, 1))))


def _key_path(path, key):
    if SIMPLE_KEY.match(key):
        return "%s.%s" % (path, key)
    return "%s[%s]" % (path, json.dumps(key))


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, string_types):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _did_you_mean(word, choices):
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return "; did you mean '%s'?" % close[0] if close else ""


def _mapping(problems, path, value, allowed_keys=None, required=False):
    """The mapping at path (None when absent and optional), reporting unknown keys."""
    if value is None:
        if required:
            problems.add(path, "is required")
        return None
    if not isinstance(value, Mapping):
        problems.add(path, "must be a mapping, got %s" % _type_name(value))
        return None
    for key in value:
        if not isinstance(key, string_types):
            problems.add(path, "keys must be strings, got %s %r" % (_type_name(key), key))
        elif allowed_keys is not None and key not in allowed_keys:
            problems.add(_key_path(path, key), "unknown key '%s'; allowed: %s%s"
                         % (key, ", ".join(allowed_keys), _did_you_mean(key, allowed_keys)))
    return value


def _names(problems, path, value, what):
    """A sorted, de-duplicated list of non-empty name strings."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        problems.add(path, "must be a list of %s names, got %s" % (what, _type_name(value)))
        return []
    names = set()
    for index, item in enumerate(value):
        if not isinstance(item, string_types) or not item.strip():
            problems.add("%s[%d]" % (path, index), "must be a non-empty %s name, got %s %r"
                         % (what, _type_name(item), item))
        elif item != item.strip():
            problems.add("%s[%d]" % (path, index), "%s name %r has leading or trailing spaces" % (what, item))
        else:
            names.add(item)
    return sorted(names)


def _actions(problems, path, value, required=False):
    """Actions in zot's canonical order; every non-empty list must grant read."""
    if value is None:
        if required:
            problems.add(path, "is required: a list of actions (%s)" % ", ".join(ACTIONS))
        return []
    if not isinstance(value, (list, tuple)):
        problems.add(path, "must be a list of actions (%s), got %s %r" % (", ".join(ACTIONS), _type_name(value), value))
        return []
    found = set()
    ok = True
    for index, item in enumerate(value):
        if not isinstance(item, string_types) or item not in ACTIONS:
            ok = False
            shown = item if isinstance(item, string_types) else "%s %r" % (_type_name(item), item)
            hint = _did_you_mean(item, ACTIONS) if isinstance(item, string_types) else ""
            problems.add("%s[%d]" % (path, index), "unknown action '%s'; allowed: %s%s"
                         % (shown, ", ".join(ACTIONS), hint))
        else:
            found.add(item)
    if required and not value:
        problems.add(path, "must not be empty: a policy that grants nothing is a mistake")
    if ok and found and "read" not in found:
        problems.add(path, "grants %s without 'read'; zot needs 'read' in every policy that grants anything"
                     % ", ".join(a for a in ACTIONS if a in found))
    elif ok and "update" in found and "create" not in found:
        problems.add(path, "grants 'update' without 'create'; overwriting a tag needs both")
    return [action for action in ACTIONS if action in found]


def _glob_problem(glob):
    """Why glob is not a usable zot repository glob, or None."""
    problem = doublestar.problem(glob)
    if problem is None and doublestar.example(glob) is None:
        problem = "matches no repository name (OCI names are lower-case components like 'team-a/app')"
    return problem


def covers(outer, inner):
    """True when every repository name that glob inner matches is also matched by glob outer.

    Exact for doublestar v4 as zot v2.1.20 runs it (see plugin_utils/doublestar.py), over the
    repository names zot accepts: ``team-*`` covers ``team-?``, ``team-?`` covers ``team-[ab]``.
    """
    return doublestar.outside(inner, outer) is None


def _re2_problem(pattern):
    """Why zot (CEL matches(), Go's regexp: RE2 syntax) would refuse pattern at start-up, or None."""
    if re2 is None:
        raise AnsibleFilterError(
            "zotops.zot.access_control: immutable_tags patterns are checked with RE2, the regular-expression "
            "syntax zot runs them with; install the Python package '%s' on the controller "
            "(pip install %s)" % (RE2_PACKAGE, RE2_PACKAGE))
    bad = sorted(set(ch for ch in pattern if not " " <= ch <= "~"))
    if bad:
        # Tags are ASCII; this also keeps the pattern a plain CEL string literal.
        return ("has %s; OCI tags are ASCII ([A-Za-z0-9_.-]), write the pattern in printable ASCII "
                "(\\x{...} or \\p{...} for anything else)" % ", ".join(repr(ch) for ch in bad))
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return "is not a valid RE2 regular expression, which zot's CEL matches() needs (%s)" % reason
    if _has_any_byte_escape(pattern):
        return "uses \\C, which C++ RE2 accepts but Go's regexp (zot's CEL matches()) does not"
    return None


def _has_any_byte_escape(pattern):
    """True when pattern has \\C outside \\Q...\\E (Go rejects it; C++ RE2, and so google-re2, accepts it)."""
    index = 0
    quoted = False
    while index < len(pattern) - 1:
        pair = pattern[index:index + 2]
        if quoted:
            if pair == "\\E":
                quoted = False
                index += 2
            else:
                index += 1
            continue
        if pair == "\\Q":
            quoted = True
        elif pair == "\\C":
            return True
        index += 2 if pattern[index] == "\\" else 1
    return False


def _immutable(problems, path, value, actions):
    """None (mutable), True (all tags immutable) or a regular expression (matching tags immutable)."""
    if value is None or value is False:
        return None
    if value is True:
        pattern = True
    elif isinstance(value, string_types):
        if not value:
            problems.add(path, "must be true, false or a non-empty regular expression")
            return None
        if value.strip().lower() in BOOLEAN_WORDS:
            problems.add(path, "is the string %r; write true or false without quotes, or a regular expression "
                         "for the tags that must not change" % value)
            return None
        problem = _re2_problem(value)
        if problem:
            problems.add(path, problem)
            return None
        pattern = value
    else:
        problems.add(path, "must be true, false or a regular expression string, got %s" % _type_name(value))
        return None
    conflicting = [action for action in ("update", "delete") if action in actions]
    if conflicting:
        problems.add(path, "conflicts with action(s) %s in the same tier: immutable tags are pushed once "
                     "and never overwritten or deleted%s" % (", ".join(conflicting), (
                         "; with a pattern, this filter grants 'update' itself for the tags the "
                         "pattern does not match" if pattern is not True else "")))
    if pattern is not True and "create" not in actions:
        problems.add(path, "a tag pattern needs 'create' in the tier's actions (a tier that cannot push "
                     "has no tags to protect)")
    return pattern


def _globs(problems, path, value):
    if value is None:
        return [ALL_GLOB]
    if not isinstance(value, (list, tuple)):
        problems.add(path, "must be a list of repository globs, got %s" % _type_name(value))
        return []
    if not value:
        problems.add(path, "is empty: the tier would apply nowhere (leave it out to mean every repository)")
    globs = set()
    for index, glob in enumerate(value):
        if not isinstance(glob, string_types):
            problems.add("%s[%d]" % (path, index), "must be a repository glob string, got %s" % _type_name(glob))
            continue
        problem = _glob_problem(glob)
        if problem:
            problems.add("%s[%d]" % (path, index), "glob %s %s" % (json.dumps(glob), problem))
        else:
            globs.add(glob)
    return sorted(globs)


def _group_refs(problems, path, value, declared):
    names = _names(problems, path, value, "group")
    if value is not None and isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if isinstance(item, string_types) and item.strip() and item not in declared:
                problems.add("%s[%d]" % (path, index), "group '%s' is not declared in %s.groups (declared: %s)%s"
                             % (item, path.split(".")[0], ", ".join(sorted(declared)) or "none",
                                _did_you_mean(item, declared)))
    return [name for name in names if name in declared]


def _validate(spec, name):
    problems = _Problems()
    top = _mapping(problems, name, spec, TOP_KEYS, required=True)
    if top is None:
        problems.raise_if_any(name)

    result = {
        "anonymous": _actions(problems, name + ".anonymous", top.get("anonymous")),
        "authenticated": _actions(problems, name + ".authenticated", top.get("authenticated")),
        "groups": {},
        "tiers": {},
        "repositories": {},
        "admins": None,
        "metrics": None,
    }

    groups_path = name + ".groups"
    groups = _mapping(problems, groups_path, top.get("groups")) or {}
    for group in sorted(k for k in groups if isinstance(k, string_types)):
        path = _key_path(groups_path, group)
        if not group.strip() or group != group.strip():
            problems.add(path, "group names must be non-empty without leading or trailing spaces")
            continue
        body = _mapping(problems, path, groups[group], GROUP_KEYS) or {}
        users = _names(problems, path + ".users", body.get("users"), "user")
        if users and group != group.lower():
            problems.add(path, "a group with local users must have a lower-case name: zot reads its config "
                         "with viper, which lower-cases the keys of accessControl.groups, so '%s' would "
                         "never match policies naming it" % group)
        if users and "::" in group:
            problems.add(path, "a group with local users must not contain '::', zot's config key separator")
        result["groups"][group] = users
    declared = set(result["groups"])

    tiers_path = name + ".tiers"
    tiers = _mapping(problems, tiers_path, top.get("tiers")) or {}
    for tier in sorted(k for k in tiers if isinstance(k, string_types)):
        path = _key_path(tiers_path, tier)
        if tiers[tier] is None:
            problems.add(path, "is empty; a tier needs 'actions' and 'users' or 'groups'")
            continue
        body = _mapping(problems, path, tiers[tier], TIER_KEYS)
        if body is None:
            continue
        users = _names(problems, path + ".users", body.get("users"), "user")
        tier_groups = _group_refs(problems, path + ".groups", body.get("groups"), declared)
        if not body.get("users") and not body.get("groups"):
            problems.add(path, "names no users and no groups; to grant every signed-in user use %s.authenticated"
                         % name)
        actions = _actions(problems, path + ".actions", body.get("actions"), required=True)
        immutable = _immutable(problems, path + ".immutable_tags", body.get("immutable_tags"), actions)
        globs = _globs(problems, path + ".repositories", body.get("repositories"))
        result["tiers"][tier] = {"users": users, "groups": tier_groups, "actions": actions,
                                 "immutable": immutable, "globs": globs}

    repos_path = name + ".repositories"
    repos = _mapping(problems, repos_path, top.get("repositories")) or {}
    for glob in sorted(k for k in repos if isinstance(k, string_types)):
        path = _key_path(repos_path, glob)
        problem = _glob_problem(glob)
        if problem:
            problems.add(path, "glob %s %s" % (json.dumps(glob), problem))
            continue
        if glob == ALL_GLOB:
            problems.add(path, "'**' is what the top-level %s.anonymous, %s.authenticated and the tiers "
                         "already describe; set them there" % (name, name))
            continue
        body = _mapping(problems, path, repos[glob], OVERRIDE_KEYS) or {}
        override = {}
        for key in ("anonymous", "authenticated"):
            if key in body:
                override[key] = _actions(problems, "%s.%s" % (path, key), body.get(key))
        if "tiers" in body:
            listed = _names(problems, path + ".tiers", body.get("tiers"), "tier")
            raw = body.get("tiers") if isinstance(body.get("tiers"), (list, tuple)) else []
            for index, item in enumerate(raw):
                if isinstance(item, string_types) and item.strip() and item not in tiers:
                    problems.add("%s.tiers[%d]" % (path, index), "tier '%s' is not declared in %s (declared: %s)%s"
                                 % (item, tiers_path, ", ".join(sorted(tiers)) or "none", _did_you_mean(item, tiers)))
            override["tiers"] = [tier for tier in listed if tier in tiers]
        result["repositories"][glob] = override

    admins_path = name + ".admins"
    admins = _mapping(problems, admins_path, top.get("admins"), ADMIN_KEYS)
    if admins is not None:
        users = _names(problems, admins_path + ".users", admins.get("users"), "user")
        admin_groups = _group_refs(problems, admins_path + ".groups", admins.get("groups"), declared)
        if not admins.get("users") and not admins.get("groups"):
            problems.add(admins_path, "names no users and no groups; leave %s.admins out for no admins" % name)
        actions = admins.get("actions", list(ACTIONS))
        actions = _actions(problems, admins_path + ".actions", actions, required=True)
        result["admins"] = {"users": users, "groups": admin_groups, "actions": actions}

    metrics_path = name + ".metrics"
    metrics = _mapping(problems, metrics_path, top.get("metrics"), METRICS_KEYS)
    if metrics is not None:
        anonymous = metrics.get("anonymous", False)
        if not isinstance(anonymous, bool):
            problems.add(metrics_path + ".anonymous", "must be true or false, got %s %r"
                         % (_type_name(anonymous), anonymous))
            anonymous = False
        result["metrics"] = {"users": _names(problems, metrics_path + ".users", metrics.get("users"), "user"),
                             "anonymous": anonymous}

    problems.raise_if_any(name)
    return result


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
        path = "%s.immutable_tags" % _key_path(name + ".tiers", tier_name)
        if described is None:
            problems.add(path, "is undone on %s: %s can %s tags there" % (where, source, _verbs(verbs)))
        else:
            problems.add(path, "is undone on %s: %s can %s tags there through %s" % (
                where, described, _verbs(verbs), source))


def _origins(name, spec):
    """{glob: where the declaration names it}, for messages."""
    origins = {ALL_GLOB: ["every repository (%s.anonymous, .authenticated and tiers without repositories)" % name]}
    for glob in spec["repositories"]:
        origins.setdefault(glob, []).append(_key_path(name + ".repositories", glob))
    for tier_name, tier in sorted(spec["tiers"].items()):
        for glob in tier["globs"]:
            if glob != ALL_GLOB:
                origins.setdefault(glob, []).append(_key_path(name + ".tiers", tier_name) + ".repositories")
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


def _compile(spec, name):
    overrides = spec["repositories"]
    tiers = spec["tiers"]
    problems = _Problems()

    emitted = set([ALL_GLOB]) | set(overrides)
    for tier in tiers.values():
        emitted.update(tier["globs"])

    _check_glob_pairs(problems, name, emitted, _origins(name, spec))
    for glob, override in sorted(overrides.items()):
        for tier_name, tier in sorted(tiers.items()):
            if "tiers" in override and glob in tier["globs"] and tier_name not in override["tiers"]:
                problems.add("%s.tiers" % _key_path(name + ".repositories", glob),
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
                    settings[key] = "%s.%s" % (_key_path(name + ".repositories", scope), key)
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


def access_control(zot_access, name="zot_access"):
    """zot's http.accessControl dict compiled from a zot_access declaration (see access_control.yml)."""
    if not isinstance(name, string_types) or not name:
        raise AnsibleFilterError("zotops.zot.access_control: 'name' must be a non-empty string")
    return _compile(_validate(zot_access, name), name)


class FilterModule(object):
    def filters(self):
        return {
            "access_control": access_control,
        }
