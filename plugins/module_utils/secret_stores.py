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

This file is the interface and the registry: it builds stores from a module's ``stores`` entries
and exports what modules and tests import. Each store type is a private file of its own,
``_secret_store_<type>.py``, with a subclass of :class:`SecretStore` (``_secret_store_base.py``,
which also holds the snapshot type and the HTTP helper). A new store type is one new file, listed
in ``STORE_TYPES`` and ``STORE_CLASSES`` below (its options in ``STORE_ENTRY_OPTIONS`` if new,
and in the ``secret_stores`` doc fragment).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.zotops.zot.plugins.module_utils._http import HttpResponse
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    SECRET_OPTIONS, STORE_ENTRY_OPTIONS, SecretStore, SecretStoreError, Snapshot, http_request)
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_aws_secretsmanager import (
    AwsSecretsManagerStore)
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_file import FileStore
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_gitea import (
    ForgejoActionsStore, GiteaActionsStore)
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_github import (
    GitHubActionsStore)
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_kubernetes import (
    KubernetesSecretStore)
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_onepassword_connect import (
    OnePasswordConnectStore)
from ansible_collections.zotops.zot.plugins.module_utils._secret_store_vault_kv2 import (
    VaultKv2Store)

__all__ = [
    'STORE_TYPES', 'STORE_CLASSES', 'STORE_OPTIONS', 'SECRET_OPTIONS', 'STORE_ARGUMENT_SPEC',
    'SecretStoreError', 'Snapshot', 'SecretStore', 'HttpResponse', 'http_request',
    'FileStore', 'AwsSecretsManagerStore', 'VaultKv2Store', 'GiteaActionsStore',
    'ForgejoActionsStore', 'GitHubActionsStore', 'OnePasswordConnectStore',
    'KubernetesSecretStore', 'build_store', 'build_stores',
]


STORE_TYPES = ('file', 'aws_secretsmanager', 'vault_kv2', 'forgejo', 'gitea', 'github',
               'onepassword_connect', 'kubernetes')

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


# Options every store entry may carry, by type (besides ``type`` and ``name``).
STORE_OPTIONS = dict((kind, STORE_CLASSES[kind].options) for kind in STORE_TYPES)

# One suboption spec for every store entry of a module's ``stores`` list.
STORE_ARGUMENT_SPEC = dict(
    type=dict(type='str', required=True, choices=list(STORE_TYPES)),
)
STORE_ARGUMENT_SPEC.update(STORE_ENTRY_OPTIONS)


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
