# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret store: GitHub Actions secrets (write-only; values sealed with the repository/org public key,
PyNaCl required on the node that runs the module).

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible.module_utils.six.moves.urllib.parse import quote
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    SecretStoreError, Snapshot, _ActionsSecretStore)

try:
    from nacl import encoding as nacl_encoding
    from nacl import public as nacl_public
    HAS_NACL = True
except ImportError:  # pragma: no cover - depends on the node
    HAS_NACL = False


class GitHubActionsStore(_ActionsSecretStore):
    kind = 'github'
    options = {'required': ['token', 'secret_name'],
               'optional': ['url', 'owner', 'repo', 'org',
                            'visibility', 'validate_certs', 'ca_path']}
    readable = False

    def __init__(self, spec, index=None):
        super(GitHubActionsStore, self).__init__(spec, index)
        if not HAS_NACL:
            raise SecretStoreError('%s (type github) needs the PyNaCl Python library on the host '
                                   'that runs the module' % self.where)
        if bool(self.spec.get('repo')) == bool(self.spec.get('org')):
            raise SecretStoreError('%s (type github) needs exactly one of repo (with owner) or org' % self.where)
        if self.spec.get('repo') and not self.spec.get('owner'):
            raise SecretStoreError('%s (type github): repo needs owner' % self.where)

    def _base(self):
        api = self.spec.get('url', 'https://api.github.com').rstrip('/')
        if self.spec.get('repo'):
            return '%s/repos/%s/%s/actions/secrets' % (api, quote(self.spec['owner']), quote(self.spec['repo']))
        return '%s/orgs/%s/actions/secrets' % (api, quote(self.spec['org']))

    def describe(self):
        scope = ('%s/%s' % (self.spec['owner'], self.spec['repo'])) if self.spec.get('repo') else 'org:%s' % self.spec['org']
        return 'github:%s:%s' % (scope, self.spec['secret_name'])

    def _headers(self):
        return {'Authorization': 'Bearer %s' % self.spec['token'],
                'Accept': 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28'}

    def read(self):
        resp = self._request('GET', '%s/%s' % (self._base(), quote(self.spec['secret_name'])),
                             headers=self._headers())
        if resp.status == 404:
            return Snapshot(False)
        if resp.status != 200:
            self._fail('read secret metadata', resp)
        return Snapshot(True)

    def write(self, value):
        resp = self._request('GET', '%s/public-key' % self._base(), headers=self._headers())
        if resp.status != 200:
            self._fail('get the public key', resp)
        key = resp.json() or {}
        try:
            sealed = nacl_public.SealedBox(nacl_public.PublicKey(to_bytes(key['key']), nacl_encoding.Base64Encoder))
            encrypted = base64.b64encode(sealed.encrypt(to_bytes(value))).decode('ascii')
        except Exception as e:
            raise SecretStoreError('%s: cannot seal the value with the public key: %s' % (self.label, type(e).__name__))
        body = {'encrypted_value': encrypted, 'key_id': key['key_id']}
        if self.spec.get('org'):
            body['visibility'] = self.spec.get('visibility', 'private')
        self._put_secret(body)
