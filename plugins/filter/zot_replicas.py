# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cross-host checks of a zot replica set: several hosts serving one registry must share its state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.defaults import ITEM_DEFAULTS, session_store

# What every replica of one registry must agree on, as (variable, key inside it or None, secret?).
# Secrets are compared by digest and never printed.
SHARED = (
    ("zot_storage_s3", "bucket", False),
    ("zot_storage_s3", "region", False),
    ("zot_storage_s3", "endpoint", False),
    ("zot_storage_s3", "root_directory", False),
    ("zot_storage_s3", "force_path_style", False),
    ("zot_redis", "url", False),
    ("zot_redis", "key_prefix", False),
    ("zot_redis", "password", True),
    ("zot_dynamodb", "region", False),
    ("zot_dynamodb", "endpoint", False),
    ("zot_dynamodb", "table_prefix", False),
    ("zot_session_store", None, False),
    ("zot_auth_session_keys", None, True),
    ("zot_auth_apikey", None, False),
    ("zot_access", None, False),
    ("zot_access_control", None, False),
)
DEFAULTS = {"zot_storage_s3": {}, "zot_redis": {}, "zot_dynamodb": {}, "zot_session_store": "", "zot_auth_session_keys": {},
            "zot_auth_apikey": False, "zot_access": None, "zot_access_control": {}}


def _value(settings, var, key):
    value = settings.get(var)
    if value is None or (hasattr(value, "__class__") and value.__class__.__name__ == "AnsibleUndefined"):
        value = DEFAULTS[var]
    if key is None:
        return value
    if not isinstance(value, dict):
        return None
    item = value.get(key)
    return ITEM_DEFAULTS.get(key) if item is None else item


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _session_store(settings):
    return session_store(_value(settings, "zot_session_store", None), _value(settings, "zot_redis", None))


def zot_replica_problems(mine, hostvars, hosts, me):
    """Problems of host ``me`` in its replica set, each naming the host and the variable (empty if none).

    ``mine`` is this host's settings as the role resolved them; the other hosts of ``hosts`` (the play's)
    are read from ``hostvars``: those whose zot_replica_set is this host's name are its replicas."""
    if not isinstance(mine, dict):
        raise AnsibleFilterError("zotops.zot.zot_replica_problems expects a dict of this host's settings")
    name = mine.get("zot_replica_set") or ""
    if not name:
        return []
    problems = []
    if not _value(mine, "zot_storage_s3", None):
        problems.append("host %s: zot_replica_set=%s needs shared storage: set zot_storage_s3 (replicas on local "
                        "disk would each hold different images)" % (me, name))
    if not _value(mine, "zot_redis", None) and not _value(mine, "zot_dynamodb", None):
        problems.append("host %s: zot_replica_set=%s needs zot_redis or zot_dynamodb (the cache and metadata - "
                        "tags, API keys - every replica must share)" % (me, name))
    if _session_store(mine) == "local" and not _value(mine, "zot_auth_session_keys", None):
        problems.append("host %s: zot_replica_set=%s with zot_session_store=local needs zot_auth_session_keys "
                        "shared by every replica (or zot_session_store=redis)" % (me, name))
    for host in hosts or []:
        if host == me:
            continue
        try:
            other = hostvars[host]
            if (other.get("zot_replica_set") or "") != name:
                continue
            theirs = dict((var, other.get(var)) for var in DEFAULTS)
        except KeyError:
            continue
        for var, key, secret in SHARED:
            label = var if key is None else "%s.%s" % (var, key)
            ours, their = _value(mine, var, key), _value(theirs, var, key)
            if var == "zot_session_store":
                ours, their = _session_store(mine), _session_store(theirs)
            if _digest(ours) == _digest(their):
                continue
            if secret:
                problems.append("host %s: %s differs from host %s's (values not shown); replicas of %s must share it"
                                % (me, label, host, name))
            else:
                problems.append("host %s: %s is %s where host %s has %s; replicas of %s must share it"
                                % (me, label, json.dumps(ours, sort_keys=True, default=str),
                                   host, json.dumps(their, sort_keys=True, default=str), name))
    return problems


class FilterModule(object):
    def filters(self):
        return {"zot_replica_problems": zot_replica_problems}
