# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret store: Forgejo / Gitea Actions secrets (write-only).

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode

from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    SecretStoreError, Snapshot, _ActionsSecretStore)


class GiteaActionsStore(_ActionsSecretStore):
    kind = 'gitea'
    options = {'required': ['url', 'token', 'secret_name'],
               'optional': ['owner', 'repo', 'org', 'user_level', 'validate_certs', 'ca_path']}
    readable = False

    def __init__(self, spec, index=None):
        super(GiteaActionsStore, self).__init__(spec, index)
        levels = [bool(self.spec.get('repo')), bool(self.spec.get('org')), bool(self.spec.get('user_level'))]
        if sum(levels) != 1:
            raise SecretStoreError('%s (type %s) needs exactly one of repo (with owner), org or '
                                   'user_level: true' % (self.where, self.kind))
        if self.spec.get('repo') and not self.spec.get('owner'):
            raise SecretStoreError('%s (type %s): repo needs owner' % (self.where, self.kind))

    def _base(self):
        api = self.spec['url'].rstrip('/')
        if not api.endswith('/api/v1'):
            api += '/api/v1'
        if self.spec.get('repo'):
            return '%s/repos/%s/%s/actions/secrets' % (api, quote(self.spec['owner']), quote(self.spec['repo']))
        if self.spec.get('org'):
            return '%s/orgs/%s/actions/secrets' % (api, quote(self.spec['org']))
        return '%s/user/actions/secrets' % api

    def describe(self):
        if self.spec.get('repo'):
            scope = '%s/%s' % (self.spec['owner'], self.spec['repo'])
        elif self.spec.get('org'):
            scope = 'org:%s' % self.spec['org']
        else:
            scope = 'user'
        return '%s:%s:%s' % (self.kind, scope, self.spec['secret_name'])

    def _headers(self):
        return {'Authorization': 'token %s' % self.spec['token'], 'Accept': 'application/json'}

    def read(self):
        # The API lists secret names, never values: existence is all a read can learn.
        # Only repository and organization secrets have a list operation.
        if self.spec.get('user_level'):
            return Snapshot(None)
        names, page = [], 1
        while True:
            resp = self._request('GET', '%s?%s' % (self._base(), urlencode({'page': page, 'limit': 50})),
                                 headers=self._headers())
            if resp.status != 200:
                self._fail('list secrets', resp)
            batch = resp.json() or []
            names.extend(s.get('name', '').upper() for s in batch)
            if len(batch) < 50:
                break
            page += 1
        return Snapshot(self.spec['secret_name'].upper() in names)

    def write(self, value):
        self._put_secret({'data': value})


class ForgejoActionsStore(GiteaActionsStore):
    kind = 'forgejo'
