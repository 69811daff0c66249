# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret store: one key of a Kubernetes Secret's data map (the Secret is created if missing).

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

from ansible.module_utils.six.moves.urllib.parse import quote
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    SecretStoreError, Snapshot, _HttpStore)


class KubernetesSecretStore(_HttpStore):
    kind = 'kubernetes'
    options = {'required': ['url', 'token', 'namespace', 'secret'],
               'optional': ['key', 'validate_certs', 'ca_path', 'secret_type']}

    def describe(self):
        return 'kubernetes:%s/%s#%s' % (self.spec['namespace'], self.spec['secret'], self.spec.get('key', 'value'))

    def _coll(self):
        return '%s/api/v1/namespaces/%s/secrets' % (self.spec['url'].rstrip('/'), quote(self.spec['namespace']))

    def _url(self):
        return '%s/%s' % (self._coll(), quote(self.spec['secret']))

    def _headers(self):
        return {'Authorization': 'Bearer %s' % self.spec['token'], 'Accept': 'application/json'}

    def read(self):
        resp = self._request('GET', self._url(), headers=self._headers())
        if resp.status == 404:
            return Snapshot(False, known=True, private={'secret_exists': False})
        if resp.status != 200:
            self._fail('read', resp)
        doc = resp.json() or {}
        data = doc.get('data') or {}
        key = self.spec.get('key', 'value')
        private = {'secret_exists': True, 'data': data}
        if key not in data:
            return Snapshot(False, known=True, private=private)
        try:
            value = to_text(base64.b64decode(data[key]))
        except Exception:
            raise SecretStoreError('%s: data[%s] is not base64' % (self.label, key))
        return Snapshot(True, value=value, known=True, private=private)

    def _patch(self, data):
        resp = self._request('PATCH', self._url(), data=json.dumps({'data': data}),
                             headers=dict(self._headers(), **{'Content-Type': 'application/merge-patch+json'}))
        if resp.status != 200:
            self._fail('patch', resp)

    def write(self, value):
        key = self.spec.get('key', 'value')
        encoded = base64.b64encode(to_bytes(value)).decode('ascii')
        current = self.read()
        if current.private.get('secret_exists'):
            self._patch({key: encoded})
            return
        body = {'apiVersion': 'v1', 'kind': 'Secret',
                'metadata': {'name': self.spec['secret'], 'namespace': self.spec['namespace']},
                'type': self.spec.get('secret_type', 'Opaque'), 'data': {key: encoded}}
        resp = self._request('POST', self._coll(), headers=self._headers(), data=body)
        if resp.status not in (200, 201, 202):
            self._fail('create', resp)

    def write_raw(self, snapshot):
        key = self.spec.get('key', 'value')
        self._patch({key: snapshot.private['data'][key]})

    def restore(self, snapshot, fallback_value=None):
        if snapshot.private.get('secret_exists') is False:
            resp = self._request('DELETE', self._url(), headers=self._headers())
            if resp.status not in (200, 202, 404):
                self._fail('delete', resp)
            return 'removed (did not exist before)'
        return super(KubernetesSecretStore, self).restore(snapshot, fallback_value)

    def delete(self):
        # JSON merge patch: null removes the key.
        self._patch({self.spec.get('key', 'value'): None})
