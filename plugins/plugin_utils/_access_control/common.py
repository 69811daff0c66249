# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What validation and compilation of ``zot_access`` share: zot's actions, the problem list that
names each entry at fault, and glob containment (exact, from ``doublestar``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import re

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.plugin_utils import doublestar

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


class Problems(object):
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


def key_path(path, key):
    if SIMPLE_KEY.match(key):
        return "%s.%s" % (path, key)
    return "%s[%s]" % (path, json.dumps(key))


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def did_you_mean(word, choices):
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return "; did you mean '%s'?" % close[0] if close else ""


def glob_problem(glob):
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
