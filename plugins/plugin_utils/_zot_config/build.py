# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole config.json and its credentials files, built from the role's variables."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.extensions import _extensions
from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.http_section import _auth, _ratelimit, _tls
from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.storage import _storage
from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.values import (
    _abs_path, _fail, _get, _http_url, _int, _str)

LOG_LEVELS = ("panic", "fatal", "error", "warn", "info", "debug", "trace")


def build_config(settings):
    """(config dict, [{path, kind, content}] credentials files) from the role's variables; raises
    AnsibleFilterError naming the first variable at fault."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError("zotops.zot.zot_config expects a dict of the role's variables")
    config_dir = _str(settings, "zot_config_dir", "/etc/zot")
    port = _int(settings, "zot_http_port", 5000, 1, 65535)
    http = {
        "address": _str(settings, "zot_http_address", "0.0.0.0"),
        "port": str(port),
    }
    external_url = _str(settings, "zot_http_external_url")
    if external_url:
        _http_url("zot_http_external_url", external_url, "https://zot.example.com")
        http["externalUrl"] = external_url.rstrip("/")
    realm = _str(settings, "zot_http_realm", "zot")
    if realm:
        http["realm"] = realm
    tls = _tls(settings)
    if tls:
        http["tls"] = tls
    ratelimit = _ratelimit(settings)
    if ratelimit:
        http["ratelimit"] = ratelimit
    auth, files = _auth(settings, config_dir)
    if _get(settings, "zot_openid_providers") and not external_url:
        _fail("zot_http_external_url", "is required with zot_openid_providers: the IdP redirects to "
              "<zot_http_external_url>/zot/auth/callback/<provider>")
    if auth:
        http["auth"] = auth
    access_control = _get(settings, "zot_access_control")
    if access_control:
        if not isinstance(access_control, dict):
            _fail("zot_access_control", "must be a dict in zot's accessControl format")
        http["accessControl"] = access_control
    log_level = _str(settings, "zot_log_level", "info")
    if log_level not in LOG_LEVELS:
        _fail("zot_log_level", "must be one of %s, got %r" % (", ".join(LOG_LEVELS), log_level))
    log = {"level": log_level}
    for var, key in (("zot_log_output", "output"), ("zot_log_audit", "audit")):
        if _str(settings, var):
            log[key] = _abs_path(var, _str(settings, var))
    storage, storage_files = _storage(settings)
    files.extend(storage_files)
    config = {"storage": storage, "http": http, "log": log}
    extensions, sync_files = _extensions(settings, config_dir)
    if extensions:
        config["extensions"] = extensions
    files.extend(sync_files)
    paths = [f["path"] for f in files]
    duplicates = sorted(set(p for p in paths if paths.count(p) > 1))
    if duplicates:
        _fail("credentials_file", "two credentials files share the path %s" % ", ".join(duplicates))
    return config, files
