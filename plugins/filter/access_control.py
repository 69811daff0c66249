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
from ansible.module_utils.six import string_types
from ansible.module_utils.six.moves.collections_abc import Mapping

ACTIONS = ("read", "create", "update", "delete")
ALL_GLOB = "**"

TOP_KEYS = ("anonymous", "authenticated", "groups", "tiers", "repositories", "admins", "metrics")
GROUP_KEYS = ("users", "description")
TIER_KEYS = ("users", "groups", "actions", "immutable_tags", "repositories", "description")
OVERRIDE_KEYS = ("anonymous", "authenticated", "tiers", "description")
ADMIN_KEYS = ("users", "groups", "actions")
METRICS_KEYS = ("users", "anonymous")

# Characters a glob may contain: OCI repository name characters plus doublestar's metacharacters.
GLOB_CHARS = re.compile(r"^[a-z0-9._/*?\[\]{},!^-]+$")
SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
BOOLEAN_WORDS = ("true", "false", "yes", "no", "on", "off")
# Regular-expression constructs Python accepts but RE2 (CEL's matches()) rejects.
NON_RE2 = re.compile(r"\(\?[=!]|\(\?<[=!]|\(\?P=|\\[1-9]")


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
    if not glob:
        return "is empty"
    if glob != glob.strip() or any(ch.isspace() for ch in glob):
        return "contains whitespace"
    if glob != glob.lower():
        return "has upper-case letters; OCI repository names are lower case, so it would never match"
    if not GLOB_CHARS.match(glob):
        bad = sorted(set(ch for ch in glob if not GLOB_CHARS.match(ch)))
        return "contains %s; allowed: a-z 0-9 . _ - / and the glob characters * ? [ ] { } ," % ", ".join(
            "'%s'" % ch for ch in bad)
    if glob.startswith("/") or glob.endswith("/"):
        return "must not start or end with '/' (repository names never do)"
    if "//" in glob:
        return "has an empty path segment ('//')"
    depth_brace = 0
    in_class = False
    for ch in glob:
        if in_class:
            if ch == "]":
                in_class = False
            elif ch == "/":
                return "has '/' inside [...]"
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            return "has ']' without '['"
        elif ch == "{":
            depth_brace += 1
        elif ch == "}":
            depth_brace -= 1
            if depth_brace < 0:
                return "has '}' without '{'"
        elif ch == "/" and depth_brace:
            return "has '/' inside {...}; write separate globs instead"
    if in_class:
        return "has '[' without ']'"
    if depth_brace:
        return "has '{' without '}'"
    for segment in glob.split("/"):
        if "**" in segment and segment != "**":
            return ("uses '**' inside the segment '%s'; '**' must be a whole path segment "
                    "(for example 'team/**', not 'team**')" % segment)
    return None


def _segment_regex(segment):
    """Regex for one glob path segment (doublestar semantics within a segment)."""
    out = []
    index = 0
    while index < len(segment):
        ch = segment[index]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = segment.index("]", index + 1)
            body = segment[index + 1:end]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            out.append("[%s%s]" % ("^" if negate else "", body.replace("\\", "\\\\")))
            index = end
        elif ch == "{":
            depth = 0
            for end in range(index, len(segment)):
                if segment[end] == "{":
                    depth += 1
                elif segment[end] == "}":
                    depth -= 1
                    if depth == 0:
                        break
            alternatives = _split_alternatives(segment[index + 1:end])
            out.append("(?:%s)" % "|".join(_segment_regex(alt) for alt in alternatives))
            index = end
        else:
            out.append(re.escape(ch))
        index += 1
    return "".join(out)


def _split_alternatives(body):
    parts, depth, current = [], 0, []
    for ch in body:
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        current.append(ch)
    parts.append("".join(current))
    return parts


def _has_meta(segment):
    return any(ch in segment for ch in "*?[{")


def _segments_cover(outer, inner):
    if not outer:
        return not inner
    if outer[0] == ALL_GLOB:
        return any(_segments_cover(outer[1:], inner[skip:]) for skip in range(len(inner) + 1))
    if not inner or inner[0] == ALL_GLOB:
        return False
    head_outer, head_inner = outer[0], inner[0]
    if head_outer == head_inner:
        ok = True
    elif not _has_meta(head_outer):
        ok = False
    elif not _has_meta(head_inner):
        ok = re.match("^%s$" % _segment_regex(head_outer), head_inner) is not None
    else:
        ok = head_outer == "*"
    return ok and _segments_cover(outer[1:], inner[1:])


def covers(outer, inner):
    """True when every repository that glob inner matches is also matched by glob outer.

    Conservative: it may answer False for some pairs where containment holds, never True where it
    does not. ``**`` covers everything; ``team/**`` covers ``team``, ``team/x`` and ``team/*/y``.
    """
    return _segments_cover(outer.split("/"), inner.split("/"))


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
        try:
            re.compile(value)
        except re.error as exc:
            problems.add(path, "is not a valid regular expression (%s)" % exc)
            return None
        if NON_RE2.search(value):
            problems.add(path, "uses look-around or back-references, which zot's CEL matches() (RE2) "
                         "does not support")
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


def _immutability_condition(pattern):
    return {
        "expression": 'req.action != "update" || !req.tag.matches(%s)' % json.dumps(pattern),
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


def _check_immutability(problems, name, glob, default_policy, applied, tiers):
    """An immutable tier is undone when the same people get update or delete another way on the glob."""
    for tier_name in applied:
        tier = tiers[tier_name]
        if tier["immutable"] is None:
            continue
        path = "%s.immutable_tags" % _key_path(name + ".tiers", tier_name)
        where = "on glob %s" % json.dumps(glob)
        mutating = [a for a in ("update", "delete") if a in default_policy]
        if mutating:
            problems.add(path, "is undone %s, where every signed-in user gets %s (%s.authenticated or an "
                         "override of it)" % (where, " and ".join(mutating), name))
        for other_name in applied:
            other = tiers[other_name]
            mutating = [a for a in ("update", "delete") if a in other["actions"]]
            shared = _principals(tier) & _principals(other)
            if other_name != tier_name and mutating and shared:
                problems.add(path, "is undone %s by tier '%s', which gives %s %s" % (
                    where, other_name, ", ".join("%s '%s'" % p for p in sorted(shared)), " and ".join(mutating)))


def _compile(spec, name):
    overrides = spec["repositories"]
    tiers = spec["tiers"]
    problems = _Problems()

    emitted = set([ALL_GLOB]) | set(overrides)
    for tier in tiers.values():
        emitted.update(tier["globs"])

    # zot picks the longest matching glob: a glob inside another one but not longer than it never applies.
    for outer in sorted(emitted):
        for inner in sorted(emitted):
            if outer != inner and covers(outer, inner) and len(inner) <= len(outer):
                problems.add("%s: glob %s" % (name, json.dumps(inner)),
                             "lies inside %s but is not longer, and zot applies only the longest matching "
                             "glob, so it would never take effect; write it more specifically"
                             % json.dumps(outer))

    for glob, override in sorted(overrides.items()):
        for tier_name, tier in sorted(tiers.items()):
            if "tiers" in override and glob in tier["globs"] and tier_name not in override["tiers"]:
                problems.add("%s.tiers" % _key_path(name + ".repositories", glob),
                             "does not list tier '%s', whose repositories name this very glob" % tier_name)
    problems.raise_if_any(name)

    repositories = {}
    for glob in sorted(emitted):
        # Scopes that decide what applies here: overrides covering this glob, most specific first.
        scopes = sorted((o for o in overrides if covers(o, glob)), key=lambda o: (-len(o), o))
        group = {}
        for key, zot_key in (("anonymous", "anonymousPolicy"), ("authenticated", "defaultPolicy")):
            setting = spec[key]
            for scope in scopes:
                if key in overrides[scope]:
                    setting = overrides[scope][key]
                    break
            group[zot_key] = list(setting)
        deciding = next((scope for scope in scopes if "tiers" in overrides[scope]), None)
        policies = []
        applied = []
        for tier_name, tier in sorted(tiers.items()):
            own = [g for g in tier["globs"] if covers(g, glob)]
            if deciding is None:
                applies = bool(own)
            else:
                applies = tier_name in overrides[deciding]["tiers"] or any(
                    g != deciding and covers(deciding, g) for g in own)
            if applies:
                applied.append(tier_name)
                policies.extend(_tier_policies(tier))
        group["policies"] = policies
        repositories[glob] = group
        _check_immutability(problems, name, glob, group["defaultPolicy"], applied, tiers)
    admins = spec["admins"]
    for tier_name, tier in sorted(tiers.items()):
        mutating = [a for a in ("update", "delete") if admins is not None and a in admins["actions"]]
        shared = _principals(tier) & _principals(admins) if mutating else set()
        if tier["immutable"] is not None and shared:
            problems.add("%s.immutable_tags" % _key_path(name + ".tiers", tier_name),
                         "is undone by %s.admins, which gives %s %s on every repository" % (
                             name, ", ".join("%s '%s'" % p for p in sorted(shared)), " and ".join(mutating)))
    problems.raise_if_any(name)

    access = {"repositories": repositories}
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
