# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks a ``zot_access`` declaration and normalises it, one function per section; every problem is
named by its path (``zot_access.tiers.ci.actions[1]``) and all are reported at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.plugin_utils._access_control.common import (
    ACTIONS, ADMIN_KEYS, ALL_GLOB, BOOLEAN_WORDS, GROUP_KEYS, METRICS_KEYS, OVERRIDE_KEYS, TIER_KEYS,
    TOP_KEYS, Problems, did_you_mean, glob_problem, key_path, type_name)

try:
    # zot evaluates tag patterns with CEL's matches(), i.e. Go's regexp (RE2 syntax). google-re2 binds
    # Google's C++ RE2, the same syntax, and never falls back to Python's re the way some wrappers do.
    import re2
except ImportError:  # checked when a pattern is given, with the package to install
    re2 = None
RE2_PACKAGE = "google-re2"


def _mapping(problems, path, value, allowed_keys=None, required=False):
    """The mapping at path (None when absent and optional), reporting unknown keys."""
    if value is None:
        if required:
            problems.add(path, "is required")
        return None
    if not isinstance(value, Mapping):
        problems.add(path, "must be a mapping, got %s" % type_name(value))
        return None
    for key in value:
        if not isinstance(key, str):
            problems.add(path, "keys must be strings, got %s %r" % (type_name(key), key))
        elif allowed_keys is not None and key not in allowed_keys:
            problems.add(key_path(path, key), "unknown key '%s'; allowed: %s%s"
                         % (key, ", ".join(allowed_keys), did_you_mean(key, allowed_keys)))
    return value


def _names(problems, path, value, what):
    """A sorted, de-duplicated list of non-empty name strings."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        problems.add(path, "must be a list of %s names, got %s" % (what, type_name(value)))
        return []
    names = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.add("%s[%d]" % (path, index), "must be a non-empty %s name, got %s %r"
                         % (what, type_name(item), item))
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
        problems.add(path, "must be a list of actions (%s), got %s %r" % (", ".join(ACTIONS), type_name(value), value))
        return []
    found = set()
    ok = True
    for index, item in enumerate(value):
        if not isinstance(item, str) or item not in ACTIONS:
            ok = False
            shown = item if isinstance(item, str) else "%s %r" % (type_name(item), item)
            hint = did_you_mean(item, ACTIONS) if isinstance(item, str) else ""
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
    elif isinstance(value, str):
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
        problems.add(path, "must be true, false or a regular expression string, got %s" % type_name(value))
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
        problems.add(path, "must be a list of repository globs, got %s" % type_name(value))
        return []
    if not value:
        problems.add(path, "is empty: the tier would apply nowhere (leave it out to mean every repository)")
    globs = set()
    for index, glob in enumerate(value):
        if not isinstance(glob, str):
            problems.add("%s[%d]" % (path, index), "must be a repository glob string, got %s" % type_name(glob))
            continue
        problem = glob_problem(glob)
        if problem:
            problems.add("%s[%d]" % (path, index), "glob %s %s" % (json.dumps(glob), problem))
        else:
            globs.add(glob)
    return sorted(globs)


def _group_refs(problems, path, value, declared):
    names = _names(problems, path, value, "group")
    if value is not None and isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip() and item not in declared:
                problems.add("%s[%d]" % (path, index), "group '%s' is not declared in %s.groups (declared: %s)%s"
                             % (item, path.split(".")[0], ", ".join(sorted(declared)) or "none",
                                did_you_mean(item, declared)))
    return [name for name in names if name in declared]


def _validate_groups(problems, name, value):
    """{group: [local users]}: the groups a declaration may refer to."""
    groups_path = name + ".groups"
    groups = _mapping(problems, groups_path, value) or {}
    result = {}
    for group in sorted(k for k in groups if isinstance(k, str)):
        path = key_path(groups_path, group)
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
        result[group] = users
    return result


def _validate_tiers(problems, name, value, declared):
    """({tier: {users, groups, actions, immutable, globs}}, the tier names declared, valid or not)."""
    tiers_path = name + ".tiers"
    tiers = _mapping(problems, tiers_path, value) or {}
    result = {}
    for tier in sorted(k for k in tiers if isinstance(k, str)):
        path = key_path(tiers_path, tier)
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
        result[tier] = {"users": users, "groups": tier_groups, "actions": actions,
                        "immutable": immutable, "globs": globs}
    return result, tiers


def _validate_repositories(problems, name, value, tiers):
    """{glob: {anonymous?, authenticated?, tiers?}}: the per-glob overrides."""
    tiers_path = name + ".tiers"
    repos_path = name + ".repositories"
    repos = _mapping(problems, repos_path, value) or {}
    result = {}
    for glob in sorted(k for k in repos if isinstance(k, str)):
        path = key_path(repos_path, glob)
        problem = glob_problem(glob)
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
                if isinstance(item, str) and item.strip() and item not in tiers:
                    problems.add("%s.tiers[%d]" % (path, index), "tier '%s' is not declared in %s (declared: %s)%s"
                                 % (item, tiers_path, ", ".join(sorted(tiers)) or "none", did_you_mean(item, tiers)))
            override["tiers"] = [tier for tier in listed if tier in tiers]
        result[glob] = override
    return result


def _validate_admins(problems, name, value, declared):
    """{users, groups, actions} of zot's adminPolicy, or None when there are no admins."""
    admins_path = name + ".admins"
    admins = _mapping(problems, admins_path, value, ADMIN_KEYS)
    if admins is None:
        return None
    users = _names(problems, admins_path + ".users", admins.get("users"), "user")
    admin_groups = _group_refs(problems, admins_path + ".groups", admins.get("groups"), declared)
    if not admins.get("users") and not admins.get("groups"):
        problems.add(admins_path, "names no users and no groups; leave %s.admins out for no admins" % name)
    actions = admins.get("actions", list(ACTIONS))
    actions = _actions(problems, admins_path + ".actions", actions, required=True)
    return {"users": users, "groups": admin_groups, "actions": actions}


def _validate_metrics(problems, name, value):
    """{users, anonymous} of zot's metrics access, or None when not declared."""
    metrics_path = name + ".metrics"
    metrics = _mapping(problems, metrics_path, value, METRICS_KEYS)
    if metrics is None:
        return None
    anonymous = metrics.get("anonymous", False)
    if not isinstance(anonymous, bool):
        problems.add(metrics_path + ".anonymous", "must be true or false, got %s %r"
                     % (type_name(anonymous), anonymous))
        anonymous = False
    return {"users": _names(problems, metrics_path + ".users", metrics.get("users"), "user"),
            "anonymous": anonymous}


def validate(spec, name):
    """The declaration, checked and normalised: {anonymous, authenticated, groups, tiers,
    repositories, admins, metrics}; raises AnsibleFilterError naming every problem."""
    problems = Problems()
    top = _mapping(problems, name, spec, TOP_KEYS, required=True)
    if top is None:
        problems.raise_if_any(name)
    # Sections in the order their problems are reported.
    anonymous = _actions(problems, name + ".anonymous", top.get("anonymous"))
    authenticated = _actions(problems, name + ".authenticated", top.get("authenticated"))
    groups = _validate_groups(problems, name, top.get("groups"))
    tiers, declared_tiers = _validate_tiers(problems, name, top.get("tiers"), set(groups))
    result = {
        "anonymous": anonymous,
        "authenticated": authenticated,
        "groups": groups,
        "tiers": tiers,
        "repositories": _validate_repositories(problems, name, top.get("repositories"), declared_tiers),
        "admins": _validate_admins(problems, name, top.get("admins"), set(groups)),
        "metrics": _validate_metrics(problems, name, top.get("metrics")),
    }
    problems.raise_if_any(name)
    return result
