# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret stores behind one small interface, for API key rotation and client secrets.

Every store offers the same four operations:

``read()``
    a :class:`Snapshot` of what the store holds now: whether the secret exists and, when the
    store can tell, its value (``known``). Write-only stores (GitHub and Forgejo/Gitea Actions
    secrets) can say whether the secret exists but never its value.
``write(value)``
    store the value (create or update).
``ensure(value, check_mode)``
    write only when needed: no write when the stored value already equals ``value`` (stores
    that can read). Write-only stores write whenever they are asked to ensure a value; callers
    ask them only when the value is new (a rotation), never on a no-op.
``restore(snapshot, fallback_value)``
    put back what a snapshot recorded (used to roll back a failed rotation).

No method ever logs, returns or puts the value into an exception message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import tempfile

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import open_url
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

try:
    from nacl import encoding as nacl_encoding
    from nacl import public as nacl_public
    HAS_NACL = True
except ImportError:  # pragma: no cover - depends on the node
    HAS_NACL = False

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - depends on the node
    HAS_BOTO3 = False


STORE_TYPES = ('file', 'aws_secretsmanager', 'vault_kv2', 'forgejo', 'gitea', 'github',
               'onepassword_connect', 'kubernetes')

# Options every store entry may carry, by type (besides ``type`` and ``name``).
STORE_OPTIONS = {
    'file': {'required': ['path'], 'optional': ['mode', 'owner', 'group']},
    'aws_secretsmanager': {'required': ['secret_id'],
                           'optional': ['region', 'endpoint_url', 'access_key', 'secret_key',
                                        'session_token', 'profile', 'json_key', 'kms_key_id']},
    'vault_kv2': {'required': ['url', 'token', 'path'],
                  'optional': ['mount', 'key', 'namespace', 'validate_certs', 'ca_path']},
    'forgejo': {'required': ['url', 'token', 'secret_name'],
                'optional': ['owner', 'repo', 'org', 'user_level', 'validate_certs', 'ca_path']},
    'gitea': {'required': ['url', 'token', 'secret_name'],
              'optional': ['owner', 'repo', 'org', 'user_level', 'validate_certs', 'ca_path']},
    'github': {'required': ['token', 'secret_name'],
               'optional': ['url', 'owner', 'repo', 'org', 'visibility', 'validate_certs',
                            'ca_path']},
    'onepassword_connect': {'required': ['url', 'token', 'vault', 'item'],
                            'optional': ['field', 'validate_certs', 'ca_path']},
    'kubernetes': {'required': ['url', 'token', 'namespace', 'secret'],
                   'optional': ['key', 'validate_certs', 'ca_path', 'secret_type']},
}

SECRET_OPTIONS = ('token', 'access_key', 'secret_key', 'session_token')

# One suboption spec for every store entry of a module's ``stores`` list.
STORE_ARGUMENT_SPEC = dict(
    type=dict(type='str', required=True, choices=list(STORE_TYPES)),
    name=dict(type='str'),
    path=dict(type='str'),
    mode=dict(type='str', default='0600'),
    owner=dict(type='str'),
    group=dict(type='str'),
    secret_id=dict(type='str'),
    region=dict(type='str'),
    endpoint_url=dict(type='str'),
    access_key=dict(type='str', no_log=True),
    secret_key=dict(type='str', no_log=True),
    session_token=dict(type='str', no_log=True),
    profile=dict(type='str'),
    json_key=dict(type='str', no_log=False),
    kms_key_id=dict(type='str'),
    url=dict(type='str'),
    token=dict(type='str', no_log=True),
    mount=dict(type='str', default='secret'),
    key=dict(type='str', no_log=False, default='value'),
    namespace=dict(type='str'),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    secret_name=dict(type='str'),
    repo=dict(type='str'),
    org=dict(type='str'),
    user_level=dict(type='bool'),
    visibility=dict(type='str', choices=['all', 'private', 'selected']),
    vault=dict(type='str'),
    item=dict(type='str'),
    field=dict(type='str', default='password'),
    secret=dict(type='str', no_log=False),
    secret_type=dict(type='str', default='Opaque'),
)


class SecretStoreError(Exception):
    """A store operation failed; the message names the store, never the value."""


class Snapshot(object):
    """What a store held before a write.

    ``exists``: the secret exists (None when the store cannot tell);
    ``known``: ``value`` is the stored value; ``private`` carries store-specific state needed to
    put it back (e.g. other keys of a JSON secret).
    """

    def __init__(self, exists, value=None, known=False, private=None):
        self.exists = exists
        self.value = value
        self.known = known
        self.private = private or {}

    def matches(self, value):
        return bool(self.known and self.exists and self.value == value)

    def __repr__(self):  # never the value
        return 'Snapshot(exists=%r, known=%r)' % (self.exists, self.known)


class SecretStore(object):
    kind = None
    readable = True

    def __init__(self, spec, index=None):
        self.index = index
        self.where = 'stores[%s]' % index if index is not None else 'store'
        options = STORE_OPTIONS[self.kind]
        applicable = set(options['required']) | set(options['optional']) | set(['type', 'name'])
        # Options of other store types that only carry their argument_spec default are dropped.
        self.spec = dict((k, v) for k, v in spec.items() if v is not None and (
            k in applicable or v != STORE_ARGUMENT_SPEC.get(k, {}).get('default')))
        missing = [o for o in options['required'] if self.spec.get(o) in (None, '')]
        if missing:
            raise SecretStoreError('%s (type %s) needs %s' % (
                self.where, self.kind, ', '.join(missing)))
        allowed = set(options['required']) | set(options['optional']) | set(['type', 'name'])
        extra = sorted(set(self.spec) - allowed)
        if extra:
            raise SecretStoreError('%s (type %s) does not take %s; it takes %s' % (
                self.where, self.kind, ', '.join(extra), ', '.join(sorted(allowed))))

    # --- to implement -------------------------------------------------------------------
    def describe(self):
        raise NotImplementedError

    def read(self):
        raise NotImplementedError

    def write(self, value):
        raise NotImplementedError

    def delete(self):
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------
    @property
    def label(self):
        return self.spec.get('name') or self.describe()

    def ensure(self, value, check_mode=False, snapshot=None):
        """Write ``value`` unless the store already holds it. Returns a result dict."""
        if snapshot is None:
            snapshot = self.read()
        if self.readable and snapshot.matches(value):
            return dict(store=self.label, type=self.kind, changed=False, written=False)
        if not check_mode:
            self._write_after_read(value, snapshot)
        return dict(store=self.label, type=self.kind, changed=True, written=not check_mode,
                    existed=snapshot.exists)

    def restore(self, snapshot, fallback_value=None):
        """Put back what ``snapshot`` recorded. Returns a short note (no value)."""
        if snapshot.known:
            if snapshot.exists:
                self.write_raw(snapshot)
                return 'restored'
            self.delete()
            return 'removed (did not exist before)'
        if fallback_value is not None:
            self.write(fallback_value)
            return 'restored the previous key (write-only store)'
        if snapshot.exists is False:
            self.delete()
            return 'removed (did not exist before)'
        raise SecretStoreError(
            '%s is write-only and the previous value is unknown: it could not be restored'
            % self.label)

    def write_raw(self, snapshot):
        self.write(snapshot.value)

    def _write_after_read(self, value, snapshot):
        """Write when ``snapshot`` was just read; stores that read before writing reuse it."""
        self.write(value)


# ---------------------------------------------------------------------------------------------
# HTTP helper
# ---------------------------------------------------------------------------------------------
class HttpResponse(object):
    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}

    def json(self):
        if not self.body:
            return None
        return json.loads(to_text(self.body))


def http_request(method, url, headers=None, data=None, validate_certs=True, ca_path=None,
                 timeout=30, what='request'):
    """One HTTP request through ansible's open_url; HTTP errors come back as responses."""
    headers = dict(headers or {})
    body = None
    if data is not None:
        if isinstance(data, (dict, list)):
            body = to_bytes(json.dumps(data))
            headers.setdefault('Content-Type', 'application/json')
        else:
            body = to_bytes(data)
    try:
        resp = open_url(url, method=method, headers=headers, data=body,
                        validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                        follow_redirects='none')
        return HttpResponse(resp.getcode(), resp.read(), dict(resp.headers.items()))
    except HTTPError as e:
        try:
            payload = e.read()
        except Exception:
            payload = b''
        return HttpResponse(e.code, payload, dict(e.headers.items()) if e.headers else {})
    except (URLError, OSError, ValueError) as e:
        raise SecretStoreError('%s: cannot reach %s: %s' % (what, url, to_native(getattr(e, 'reason', e))))


def _error_text(resp):
    text = to_text(resp.body or b'', errors='replace').strip()
    return text[:300]


class _HttpStore(SecretStore):
    def _request(self, method, url, headers=None, data=None, ok=(200,)):
        resp = http_request(method, url, headers=headers, data=data,
                            validate_certs=self.spec.get('validate_certs', True),
                            ca_path=self.spec.get('ca_path'), what=self.label)
        return resp

    def _fail(self, action, resp):
        raise SecretStoreError('%s: %s answered HTTP %s: %s' % (
            self.label, action, resp.status, _error_text(resp)))


# ---------------------------------------------------------------------------------------------
# Local file
# ---------------------------------------------------------------------------------------------
class FileStore(SecretStore):
    kind = 'file'

    def describe(self):
        return 'file:%s' % self.spec['path']

    def _mode(self):
        mode = self.spec.get('mode', '0600')
        try:
            return int(str(mode), 8)
        except ValueError:
            raise SecretStoreError('%s.mode must be an octal string like 0600, got %r' % (self.where, mode))

    def read(self):
        path = self.spec['path']
        if not os.path.exists(path):
            return Snapshot(False, known=True)
        try:
            with open(path, 'rb') as f:
                data = to_text(f.read())
        except (IOError, OSError) as e:
            raise SecretStoreError('%s: cannot read: %s' % (self.label, to_native(e.strerror or e)))
        value = data[:-1] if data.endswith('\n') else data
        return Snapshot(True, value=value, known=True)

    def write(self, value):
        path = self.spec['path']
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise SecretStoreError('%s: directory %s does not exist' % (self.label, directory))
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
        try:
            os.fchmod(fd, self._mode())
            with os.fdopen(fd, 'wb') as f:
                f.write(to_bytes(value) + b'\n')
                f.flush()
                os.fsync(f.fileno())
            self._chown(tmp)
            os.rename(tmp, path)
        except Exception as e:
            if os.path.exists(tmp):
                os.unlink(tmp)
            if isinstance(e, SecretStoreError):
                raise
            raise SecretStoreError('%s: cannot write: %s' % (self.label, to_native(getattr(e, 'strerror', None) or e)))

    def _chown(self, path):
        owner, group = self.spec.get('owner'), self.spec.get('group')
        if not owner and not group:
            return
        import grp
        import pwd
        uid = pwd.getpwnam(owner).pw_uid if owner else -1
        gid = grp.getgrnam(group).gr_gid if group else -1
        os.chown(path, uid, gid)

    def delete(self):
        if os.path.exists(self.spec['path']):
            os.unlink(self.spec['path'])

    def ensure(self, value, check_mode=False, snapshot=None):
        result = super(FileStore, self).ensure(value, check_mode, snapshot)
        path = self.spec['path']
        if not result['changed'] and os.path.exists(path):
            current = os.stat(path).st_mode & 0o7777
            if current != self._mode():
                if not check_mode:
                    os.chmod(path, self._mode())
                result.update(changed=True, mode_fixed=True)
        return result


# ---------------------------------------------------------------------------------------------
# AWS Secrets Manager (boto3/botocore required on the node that runs the module)
# ---------------------------------------------------------------------------------------------
class AwsSecretsManagerStore(SecretStore):
    kind = 'aws_secretsmanager'

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


# ---------------------------------------------------------------------------------------------
# HashiCorp Vault KV version 2
# ---------------------------------------------------------------------------------------------
class VaultKv2Store(_HttpStore):
    kind = 'vault_kv2'

    def describe(self):
        return 'vault_kv2:%s/%s#%s' % (self.spec.get('mount', 'secret'), self.spec['path'].strip('/'),
                                       self.spec.get('key', 'value'))

    def _url(self):
        return '%s/v1/%s/data/%s' % (self.spec['url'].rstrip('/'),
                                     quote(self.spec.get('mount', 'secret').strip('/')),
                                     quote(self.spec['path'].strip('/')))

    def _headers(self):
        h = {'X-Vault-Token': self.spec['token'], 'Accept': 'application/json'}
        if self.spec.get('namespace'):
            h['X-Vault-Namespace'] = self.spec['namespace']
        return h

    def read(self):
        resp = self._request('GET', self._url(), headers=self._headers())
        if resp.status == 404:
            return Snapshot(False, known=True, private={'data': None, 'version': 0})
        if resp.status != 200:
            self._fail('read', resp)
        doc = resp.json() or {}
        inner = doc.get('data') or {}
        data = inner.get('data')
        meta = inner.get('metadata') or {}
        key = self.spec.get('key', 'value')
        if data is None:  # deleted or destroyed latest version
            return Snapshot(False, known=True, private={'data': None, 'version': meta.get('version', 0)})
        return Snapshot(key in data, value=data.get(key), known=True,
                        private={'data': data, 'version': meta.get('version', 0)})

    def _put(self, data, version):
        body = {'data': data, 'options': {'cas': int(version or 0)}}
        resp = self._request('POST', self._url(), headers=self._headers(), data=body)
        if resp.status not in (200, 204):
            self._fail('write', resp)

    def write(self, value):
        current = self.read()
        data = dict(current.private.get('data') or {})
        data[self.spec.get('key', 'value')] = value
        self._put(data, current.private.get('version'))

    def write_raw(self, snapshot):
        current = self.read()
        self._put(dict(snapshot.private.get('data') or {}), current.private.get('version'))

    def delete(self):
        resp = self._request('DELETE', self._url(), headers=self._headers())
        if resp.status not in (200, 204, 404):
            self._fail('delete', resp)


# ---------------------------------------------------------------------------------------------
# Forgejo / Gitea Actions secrets (write-only)
# ---------------------------------------------------------------------------------------------
class _ActionsSecretStore(_HttpStore):
    """Write-only CI secrets (Gitea/Forgejo and GitHub Actions): PUT to set, DELETE to remove."""

    def _secret_url(self):
        return '%s/%s' % (self._base(), quote(self.spec['secret_name']))

    def _put_secret(self, body):
        resp = self._request('PUT', self._secret_url(), headers=self._headers(), data=body)
        if resp.status not in (201, 204):
            self._fail('write', resp)

    def delete(self):
        resp = self._request('DELETE', self._secret_url(), headers=self._headers())
        if resp.status not in (204, 404):
            self._fail('delete', resp)


class GiteaActionsStore(_ActionsSecretStore):
    kind = 'gitea'
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


# ---------------------------------------------------------------------------------------------
# GitHub Actions secrets (write-only; values sealed with the repository/org public key)
# ---------------------------------------------------------------------------------------------
class GitHubActionsStore(_ActionsSecretStore):
    kind = 'github'
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


# ---------------------------------------------------------------------------------------------
# 1Password Connect (one field of an existing item)
# ---------------------------------------------------------------------------------------------
READ_ONLY_ITEM_KEYS = ('createdAt', 'updatedAt', 'lastEditedBy', 'state')


class OnePasswordConnectStore(_HttpStore):
    kind = 'onepassword_connect'

    def describe(self):
        return 'onepassword_connect:%s/%s#%s' % (self.spec['vault'], self.spec['item'], self.spec.get('field', 'password'))

    def _api(self):
        api = self.spec['url'].rstrip('/')
        return api if api.endswith('/v1') else api + '/v1'

    def _headers(self):
        return {'Authorization': 'Bearer %s' % self.spec['token'], 'Accept': 'application/json'}

    @staticmethod
    def _is_id(text):
        return len(text) == 26 and text.isalnum() and text == text.lower()

    def _resolve(self):
        if getattr(self, '_ids', None):
            return self._ids
        vault = self.spec['vault']
        if not self._is_id(vault):
            resp = self._request('GET', '%s/vaults?%s' % (self._api(), urlencode({'filter': 'name eq "%s"' % vault})),
                                 headers=self._headers())
            if resp.status != 200:
                self._fail('find vault', resp)
            found = resp.json() or []
            if len(found) != 1:
                raise SecretStoreError('%s: %d vaults are named %r' % (self.label, len(found), vault))
            vault = found[0]['id']
        item = self.spec['item']
        if not self._is_id(item):
            resp = self._request('GET', '%s/vaults/%s/items?%s' % (self._api(), vault, urlencode({'filter': 'title eq "%s"' % item})),
                                 headers=self._headers())
            if resp.status != 200:
                self._fail('find item', resp)
            found = resp.json() or []
            if len(found) != 1:
                raise SecretStoreError('%s: %d items are titled %r (the item must exist)' % (self.label, len(found), item))
            item = found[0]['id']
        self._ids = (vault, item)
        return self._ids

    def _item(self):
        vault, item = self._resolve()
        resp = self._request('GET', '%s/vaults/%s/items/%s' % (self._api(), vault, item), headers=self._headers())
        if resp.status != 200:
            self._fail('read item', resp)
        return resp.json()

    def _field(self, doc):
        wanted = self.spec.get('field', 'password')
        for f in doc.get('fields') or []:
            if f.get('label') == wanted or f.get('id') == wanted:
                return f
        return None

    def read(self):
        doc = self._item()
        f = self._field(doc)
        if f is None:
            return Snapshot(False, known=True, private={'item': doc})
        return Snapshot('value' in f, value=f.get('value'), known=True, private={'item': doc})

    def _put(self, doc):
        vault, item = self._resolve()
        body = dict((k, v) for k, v in doc.items() if k not in READ_ONLY_ITEM_KEYS)
        body['fields'] = [dict((k, v) for k, v in f.items() if k != 'entropy') for f in doc.get('fields') or []]
        resp = self._request('PUT', '%s/vaults/%s/items/%s' % (self._api(), vault, item),
                             headers=self._headers(), data=body)
        if resp.status != 200:
            self._fail('update item', resp)

    def write(self, value):
        doc = self._item()
        f = self._field(doc)
        if f is None:
            wanted = self.spec.get('field', 'password')
            doc.setdefault('fields', []).append({'id': wanted, 'label': wanted, 'type': 'CONCEALED', 'value': value})
        else:
            f['value'] = value
            f.pop('generate', None)
        self._put(doc)

    def write_raw(self, snapshot):
        # Put the whole previous item back, except for what changed since (version bump).
        doc = dict(snapshot.private['item'])
        current = self._item()
        if 'version' in current:
            doc['version'] = current['version']
        self._put(doc)

    def delete(self):
        # The item existed (it must); the field did not: put the item back without it.
        doc = self._item()
        wanted = self.spec.get('field', 'password')
        doc['fields'] = [f for f in doc.get('fields') or [] if f.get('label') != wanted and f.get('id') != wanted]
        self._put(doc)


# ---------------------------------------------------------------------------------------------
# Kubernetes Secret (one key of the data map)
# ---------------------------------------------------------------------------------------------
class KubernetesSecretStore(_HttpStore):
    kind = 'kubernetes'

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


STORE_CLASSES = {
    'file': FileStore,
    'aws_secretsmanager': AwsSecretsManagerStore,
    'vault_kv2': VaultKv2Store,
    'gitea': GiteaActionsStore,
    'forgejo': ForgejoActionsStore,
    'github': GitHubActionsStore,
    'onepassword_connect': OnePasswordConnectStore,
    'kubernetes': KubernetesSecretStore,
}


def build_store(spec, index=None):
    kind = spec.get('type')
    if kind not in STORE_CLASSES:
        raise SecretStoreError('%s.type must be one of %s, got %r' % (
            'stores[%s]' % index if index is not None else 'store', ', '.join(STORE_TYPES), kind))
    return STORE_CLASSES[kind](spec, index)


def build_stores(specs):
    """Stores from a module's ``stores`` list; readable stores first, write-only ones last."""
    stores = [build_store(spec, i) for i, spec in enumerate(specs or [])]
    return [s for s in stores if s.readable] + [s for s in stores if not s.readable]
