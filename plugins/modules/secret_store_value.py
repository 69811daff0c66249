#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: secret_store_value
short_description: Write a secret value into one or more secret stores
version_added: 0.1.0
description:
  - Writes O(value) into every store of O(stores) (a local file, AWS Secrets Manager, HashiCorp
    Vault KV v2, Forgejo/Gitea or GitHub Actions secrets, a 1Password Connect item field, a
    Kubernetes Secret), for example an OIDC client secret or a zot API key.
  - Stores that can read their value are written only when they hold something else. Forgejo,
    Gitea and GitHub Actions secrets are write-only; see O(write_only).
  - The value never appears in the result, the diff or an error message.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.secret_stores
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads every readable store and reports which would be written.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Per store whether the value would change, never the value.
options:
  value:
    description: The secret to store.
    type: str
    required: true
  write_only:
    description:
      - What to do with write-only stores (Forgejo, Gitea, GitHub), which cannot tell whether they
        hold the value.
      - V(always) writes them every run (the task then always reports a change).
      - V(missing) writes them only when the secret does not exist there yet (for a value that
        never changes once set). Forgejo/Gitea user-level secrets cannot be listed and are
        always written.
    type: str
    choices: [always, missing]
    default: always
'''

EXAMPLES = r'''
- name: Keep the OIDC client secret in Vault and in a 0600 file for zot
  zotops.zot.secret_store_value:
    value: "{{ oidc_client_secret }}"
    stores:
      - type: vault_kv2
        url: https://vault.example.com
        token: "{{ vault_token }}"
        path: zot/oidc
        key: clientsecret
      - type: file
        path: /etc/zot/oidc-client-secret
        mode: '0600'
'''

RETURN = r'''
stores:
  description: One result per store, never the value.
  returned: always
  type: list
  elements: dict
  contains:
    store:
      description: The store's name or location.
      type: str
    type:
      description: The store's type.
      type: str
    changed:
      description: Whether the store was (or in check mode would be) written.
      type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import (
    STORE_ARGUMENT_SPEC, SecretStoreError, build_stores)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            value=dict(type='str', required=True, no_log=True),
            write_only=dict(type='str', default='always', choices=['always', 'missing']),
            stores=dict(type='list', elements='dict', default=[], options=STORE_ARGUMENT_SPEC),
        ),
        supports_check_mode=True,
    )
    value = module.params['value']
    if not module.params['stores']:
        module.fail_json(msg='stores must list at least one store')
    try:
        stores = build_stores(module.params['stores'])
    except SecretStoreError as e:
        module.fail_json(msg=str(e))

    results, before, after = [], {}, {}
    for store in stores:
        try:
            snap = store.read()
            if not store.readable and module.params['write_only'] == 'missing' and snap.exists:
                res = dict(store=store.label, type=store.kind, changed=False, written=False)
            else:
                res = store.ensure(value, check_mode=module.check_mode, snapshot=snap)
        except SecretStoreError as e:
            module.fail_json(msg=str(e), stores=results)
        results.append(res)
        if res['changed']:
            before[store.label] = ('absent' if snap.exists is False else
                                   'a different value' if store.readable else 'unknown (write-only store)')
            after[store.label] = 'the new value'
    out = dict(changed=any(r['changed'] for r in results), stores=results)
    if module._diff:
        out['diff'] = dict(before=before, after=after)
    module.exit_json(**out)


if __name__ == '__main__':
    main()
