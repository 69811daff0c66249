# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret store: AWS Secrets Manager (boto3/botocore required on the node that runs the module).

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    SecretStore, SecretStoreError, Snapshot)

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - depends on the node
    HAS_BOTO3 = False


class AwsSecretsManagerStore(SecretStore):
    kind = 'aws_secretsmanager'
    options = {'required': ['secret_id'],
               'optional': ['region', 'endpoint_url', 'access_key', 'secret_key',
                            'session_token', 'profile', 'json_key', 'kms_key_id']}

    def __init__(self, spec, index=None):
        super(AwsSecretsManagerStore, self).__init__(spec, index)
        if not HAS_BOTO3:
            raise SecretStoreError('%s (type aws_secretsmanager) needs the boto3 and botocore '
                                   'Python libraries on the host that runs the module' % self.where)
        kwargs = {}
        if self.spec.get('profile'):
            session = boto3.session.Session(profile_name=self.spec['profile'])
        else:
            session = boto3.session.Session()
        for opt, arg in (('region', 'region_name'), ('endpoint_url', 'endpoint_url'),
                         ('access_key', 'aws_access_key_id'), ('secret_key', 'aws_secret_access_key'),
                         ('session_token', 'aws_session_token')):
            if self.spec.get(opt):
                kwargs[arg] = self.spec[opt]
        try:
            self.client = session.client('secretsmanager', **kwargs)
        except (BotoCoreError, ValueError) as e:
            raise SecretStoreError('%s: cannot create the Secrets Manager client: %s' % (self.where, to_native(e)))

    def describe(self):
        return 'aws_secretsmanager:%s%s' % (
            self.spec['secret_id'], '#%s' % self.spec['json_key'] if self.spec.get('json_key') else '')

    def _call(self, what, fn, **kwargs):
        try:
            return fn(**kwargs)
        except ClientError as e:
            raise SecretStoreError('%s: %s failed: %s' % (
                self.label, what, to_native(e.response.get('Error', {}).get('Code', e))))
        except BotoCoreError as e:
            raise SecretStoreError('%s: %s failed: %s' % (self.label, what, to_native(e)))

    def read(self):
        try:
            resp = self.client.get_secret_value(SecretId=self.spec['secret_id'])
        except ClientError as e:
            code = e.response.get('Error', {}).get('Code')
            if code == 'ResourceNotFoundException':
                return Snapshot(False, known=True, private={'secret_exists': False})
            raise SecretStoreError('%s: GetSecretValue failed: %s' % (self.label, to_native(code or e)))
        except BotoCoreError as e:
            raise SecretStoreError('%s: GetSecretValue failed: %s' % (self.label, to_native(e)))
        raw = resp.get('SecretString')
        private = {'secret_exists': True, 'raw': raw}
        if self.spec.get('json_key'):
            try:
                doc = json.loads(raw) if raw else {}
            except ValueError:
                raise SecretStoreError('%s: json_key is set but the secret is not a JSON object' % self.label)
            if not isinstance(doc, dict):
                raise SecretStoreError('%s: json_key is set but the secret is not a JSON object' % self.label)
            private['doc'] = doc
            key = self.spec['json_key']
            return Snapshot(key in doc, value=doc.get(key), known=True, private=private)
        return Snapshot(raw is not None, value=raw, known=True, private=private)

    def _payload(self, value, current=None):
        if not self.spec.get('json_key'):
            return value
        doc = dict((current or Snapshot(False)).private.get('doc') or {})
        doc[self.spec['json_key']] = value
        return json.dumps(doc, sort_keys=True)

    def write(self, value, _current=None):
        current = _current or self.read()
        payload = self._payload(value, current)
        if current.private.get('secret_exists'):
            self._call('PutSecretValue', self.client.put_secret_value,
                       SecretId=self.spec['secret_id'], SecretString=payload)
        else:
            kwargs = dict(Name=self.spec['secret_id'], SecretString=payload)
            if self.spec.get('kms_key_id'):
                kwargs['KmsKeyId'] = self.spec['kms_key_id']
            self._call('CreateSecret', self.client.create_secret, **kwargs)

    def _write_after_read(self, value, snapshot):
        self.write(value, snapshot if snapshot.known else None)

    def write_raw(self, snapshot):
        raw = snapshot.private.get('raw')
        if raw is None:
            return self.write(snapshot.value)
        self._call('PutSecretValue', self.client.put_secret_value,
                   SecretId=self.spec['secret_id'], SecretString=raw)

    def restore(self, snapshot, fallback_value=None):
        if snapshot.private.get('secret_exists') is False:
            self.delete()
            return 'removed (did not exist before)'
        if snapshot.private.get('secret_exists'):
            self.write_raw(snapshot)
            return 'restored'
        return super(AwsSecretsManagerStore, self).restore(snapshot, fallback_value)

    def delete(self):
        # Only used to undo a secret this run created seconds ago.
        self._call('DeleteSecret', self.client.delete_secret, SecretId=self.spec['secret_id'],
                   ForceDeleteWithoutRecovery=True)
