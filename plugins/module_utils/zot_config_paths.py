# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The files, directories and address a zot configuration makes zot use, read from the config alone
(the filters use them on the controller; the host checks test them on the host)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def config_value(tree, *keys):
    """tree[k1][k2]...; None where a level is missing or not a dict."""
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def read_files(config):
    """[(config key, path)] of every file the configuration makes zot read at start."""
    found = []
    auth = config_value(config, 'http', 'auth') or {}

    def add(key, path):
        if isinstance(path, str) and path:
            found.append((key, path))

    add('http.auth.htpasswd.path', config_value(auth, 'htpasswd', 'path'))
    add('http.auth.ldap.credentialsFile', config_value(auth, 'ldap', 'credentialsFile'))
    add('http.auth.ldap.cacert', config_value(auth, 'ldap', 'caCert'))
    for name, provider in sorted((config_value(auth, 'openid', 'providers') or {}).items()):
        add('http.auth.openid.providers.%s.credentialsFile' % name, config_value(provider, 'credentialsFile'))
        add('http.auth.openid.providers.%s.keypath' % name, config_value(provider, 'keypath'))
    add('http.auth.sessionKeysFile', auth.get('sessionKeysFile'))
    add('http.auth.bearer.cert', config_value(auth, 'bearer', 'cert'))
    for key in ('cert', 'key', 'cacert'):
        add('http.tls.%s' % key, config_value(config, 'http', 'tls', key))
    add('extensions.sync.credentialsFile', config_value(config, 'extensions', 'sync', 'credentialsFile'))
    for index, sink in enumerate(config_value(config, 'extensions', 'events', 'sinks') or []):
        add('extensions.events.sinks[%d].credentials.file' % index, config_value(sink, 'credentials', 'file'))
        for key in ('caCertFile', 'certFile', 'keyFile'):
            add('extensions.events.sinks[%d].tlsConfig.%s' % (index, key), config_value(sink, 'tlsConfig', key))
    return found


def storage_dirs(config):
    """[(config key, directory)] zot writes images to; object storage (storageDriver) has none here."""
    storage = config.get('storage') or {}
    found = []
    if storage.get('rootDirectory') and not storage.get('storageDriver'):
        found.append(('storage.rootDirectory', storage['rootDirectory']))
    for route, sub in sorted((storage.get('subPaths') or {}).items()):
        if isinstance(sub, dict) and sub.get('rootDirectory') and not sub.get('storageDriver'):
            found.append(('storage.subPaths.%s.rootDirectory' % route, sub['rootDirectory']))
    return found


def log_files(config):
    log = config.get('log') or {}
    return [('log.%s' % key, log[key]) for key in ('output', 'audit') if log.get(key)]


def listen_address(config):
    http = config.get('http') or {}
    return str(http.get('address') or ''), str(http.get('port') or '')
