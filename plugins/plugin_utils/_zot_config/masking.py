# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret values in a zot config: found by key (and URL passwords), masked in diffs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json

from urllib.parse import urlparse

# Keys whose values are secrets; the config must carry none of them inline (case-insensitive).
SECRET_KEYS = ("clientsecret", "bindpassword", "password", "hashkey", "encryptkey", "secret",
               "secretkey", "accesskey", "token")
MASK = "********"


def _is_secret(key, value):
    if str(key).lower() in SECRET_KEYS and value not in (None, "", False):
        return True
    # A URL with a password in it (a Redis URL's userinfo).
    return isinstance(value, str) and "://" in value and bool(urlparse(value).password)


def _mask_value(value):
    if isinstance(value, str) and "://" in value and urlparse(value).password:
        parsed = urlparse(value)
        return value.replace(parsed.netloc, parsed.netloc.replace(":" + parsed.password + "@", ":" + MASK + "@", 1), 1)
    return MASK


def secret_paths(config, _path=""):
    """Dotted paths of keys in a zot config that hold a secret value inline (should be empty)."""
    found = []
    if isinstance(config, dict):
        for key, value in config.items():
            path = "%s.%s" % (_path, key) if _path else str(key)
            if _is_secret(key, value):
                found.append(path)
            else:
                found.extend(secret_paths(value, path))
    elif isinstance(config, (list, tuple)):
        for index, value in enumerate(config):
            found.extend(secret_paths(value, "%s[%d]" % (_path, index)))
    return found


def _masked(config):
    if isinstance(config, dict):
        return dict((k, _mask_value(v) if _is_secret(k, v) else _masked(v)) for k, v in config.items())
    if isinstance(config, (list, tuple)):
        return [_masked(v) for v in config]
    return config


def masked_diff(before, after, path="config.json"):
    """Unified diff lines between two zot configs (JSON text or dicts) with every secret value masked."""
    def text(config):
        if config in (None, ""):
            return []
        if isinstance(config, str):
            try:
                config = json.loads(config)
            except ValueError:
                return ["(not JSON: %d bytes, not shown)" % len(config)]
        return json.dumps(_masked(config), indent=2, sort_keys=True).splitlines()
    return list(difflib.unified_diff(text(before), text(after), "before: " + path, "after: " + path, lineterm=""))
