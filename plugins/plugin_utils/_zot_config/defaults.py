# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Defaults of the shared-store settings and the session store rule, in one place: the config build
uses them, and the replica check compares hosts by the values the build would use."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# zot_storage_s3 / zot_redis / zot_dynamodb keys left out (or empty) -> what the config gets.
ITEM_DEFAULTS = {
    "root_directory": "/zot",      # zot_storage_s3: the prefix inside the bucket
    "force_path_style": False,     # zot_storage_s3
    "endpoint": "",                # zot_storage_s3, zot_dynamodb: AWS's own
    "key_prefix": "zot",           # zot_redis
    "password": "",                # zot_redis
    "table_prefix": "zot",         # zot_dynamodb
}


def item_default(key):
    return ITEM_DEFAULTS[key]


def session_store(chosen, redis):
    """Where zot keeps sessions: zot_session_store when set, else Redis when zot_redis is set, else
    local (zot's own files)."""
    return chosen or ("redis" if redis else "local")
