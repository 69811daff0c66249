#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: authentik_policy_binding
short_description: Bind a group to an application in authentik
version_added: 0.1.0
description:
  - Creates, updates or deletes the policy binding that lets the members of a group use an application.
  - The binding is found by its application (slug) and group (name); authentik ids are looked up by the module.
  - Once an application has a binding, only users that pass its bindings (as the application's
    C(policy_engine_mode) combines them) can log in to it.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.authentik
  - zotops.zot.attributes.authentik_module
options:
  application:
    description:
      - Slug of the application.
    type: str
    required: true
  group:
    description:
      - Name of the group to bind.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the binding, V(absent) deletes it.
      - With V(absent), a missing application or group means there is no binding, so nothing changes.
    type: str
    choices: [present, absent]
    default: present
  order:
    description:
      - Evaluation order among the application's bindings. New bindings get V(0) when not set; when not set,
        an existing binding's order is left as it is.
    type: int
  enabled:
    description:
      - Whether the binding is evaluated. New bindings are enabled; when not set, left as it is.
    type: bool
  negate:
    description:
      - Invert the result (the group's members are denied). When not set, left as it is.
    type: bool
  evaluation_timeout:
    description:
      - Seconds after which evaluation of the binding is stopped (authentik's C(timeout) of the binding; the
        O(timeout) option is the API request timeout). When not set, left as it is.
    type: int
'''

EXAMPLES = r'''
- name: Only artifact-workloads and zot-admins may log in to zot
  zotops.zot.authentik_policy_binding:
    authentik_url: https://authentik.example.com
    authentik_token: "{{ authentik_api_token }}"
    application: zot
    group: "{{ item }}"
    order: "{{ idx }}"
  loop: [zot-admins, artifact-workloads]
  loop_control:
    index_var: idx
'''

RETURN = r'''
binding:
  description: The binding as authentik returns it (empty when absent).
  returned: always
  type: dict
pk:
  description: UUID of the binding (null in check mode when it would be created).
  returned: when O(state=present)
  type: str
'''

from ansible_collections.zotops.zot.plugins.module_utils.authentik import (
    AuthentikClient, AuthentikError, fail, missing_reference, new_authentik_module,
)
from ansible_collections.zotops.zot.plugins.module_utils._authentik_state import ensure_absent, ensure_present

PATH = '/policies/bindings/'
OPTIONAL = ('order', 'enabled', 'negate', 'timeout')  # API fields
OPTION = dict(order='order', enabled='enabled', negate='negate', timeout='evaluation_timeout')


def main():
    module = new_authentik_module(dict(
        application=dict(type='str', required=True),
        group=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        order=dict(type='int'),
        enabled=dict(type='bool'),
        negate=dict(type='bool'),
        evaluation_timeout=dict(type='int'),
    ))
    p = module.params
    result = dict(changed=False, binding={})
    client = None
    try:
        client = AuthentikClient.from_module(module)
        application = client.application(p['application'])
        if application is None and p['state'] == 'present':
            missing_reference(module, 'application: no authentik application has the slug %r (create it first with '
                                      'zotops.zot.authentik_application)' % p['application'])
            application = dict(pbm_uuid='(%s)' % p['application'], placeholder=True)
        group = client.group(p['group'])
        if group is None and p['state'] == 'present':
            missing_reference(module, 'group: no authentik group is named %r (create it first with '
                                      'zotops.zot.authentik_group)' % p['group'])
            group = dict(pk='(%s)' % p['group'], placeholder=True)
        # An application's pk is its policy-binding target (pbm_uuid) in every release; only 2026.8 and later
        # also return it as pbm_uuid.
        target = application.get('pbm_uuid') or application.get('pk') if application else None
        existing = None
        if application and group and not application.get('placeholder'):
            found = [b for b in client.list(PATH, target=target)
                     if b.get('group') == group['pk'] and b.get('target') == target]
            if len(found) > 1:
                raise AuthentikError('application %r has %d bindings of group %r: remove the extra ones in authentik'
                                     % (p['application'], len(found), p['group']))
            existing = found[0] if found else None
        label = dict(application=p['application'], group=p['group'])

        if p['state'] == 'absent':
            ensure_absent(module, client, PATH, existing, dict(label, order=existing and existing.get('order')), result)
            module.exit_json(**result)

        want = dict((k, p[OPTION[k]]) for k in OPTIONAL if p[OPTION[k]] is not None)
        if existing is None:
            want = dict(want, target=target, group=group['pk'])
            want.setdefault('order', 0)

        def view(obj, keys):
            # the binding by application and group, then the fields it sets
            return dict(label, **dict((k, obj.get(k)) for k in keys if k in OPTIONAL))

        obj = ensure_present(module, client, PATH, existing, want, result, view=view)
        result.update(binding=obj, pk=obj.get('pk'))
        module.exit_json(**result)
    except AuthentikError as e:
        fail(module, client, e, result)


if __name__ == '__main__':
    main()
