#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: authentik_application
short_description: Manage an application in authentik
version_added: 0.1.0
description:
  - Creates, updates or deletes an authentik application and links it to an OAuth2/OpenID provider chosen by name.
  - The application is found by its O(slug), which is also the last part of the provider's issuer URL
    (C(<authentik>/application/o/<slug>/)).
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.authentik
  - zotops.zot.attributes.authentik_module
options:
  slug:
    description:
      - Slug of the application; the key it is found by, used in URLs.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the application, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Display name. Required when the application is created.
    type: str
  provider:
    description:
      - Name of the OAuth2/OpenID provider to link (see M(zotops.zot.authentik_oauth2_provider)).
      - When not set, the linked provider is left as it is.
    type: str
  launch_url:
    description:
      - URL opened from the user's My applications page, for zot its C(externalUrl). When not set, left as it is.
    type: str
  policy_engine_mode:
    description:
      - With V(any), one passing policy binding grants access; with V(all), every binding must pass.
        When not set, left as it is (authentik's default is V(any)).
    type: str
    choices: [any, all]
  group:
    description:
      - Free-text group the application is listed under on the My applications page. When not set, left as it is.
    type: str
  description:
    description:
      - Description shown on the My applications page. When not set, left as it is.
    type: str
  publisher:
    description:
      - Publisher shown on the My applications page. When not set, left as it is.
    type: str
  open_in_new_tab:
    description:
      - Open the launch URL in a new tab. When not set, left as it is.
    type: bool
'''

EXAMPLES = r'''
- name: zot application
  zotops.zot.authentik_application:
    authentik_url: https://authentik.example.com
    authentik_token: "{{ authentik_api_token }}"
    name: Zot registry
    slug: zot
    provider: zot
    launch_url: https://zot.example.com
    policy_engine_mode: any
    group: Infrastructure
'''

RETURN = r'''
application:
  description: The application as authentik returns it (empty when absent).
  returned: always
  type: dict
slug:
  description: Slug of the application.
  returned: always
  type: str
  sample: zot
pk:
  description: UUID of the application (null in check mode when it would be created).
  returned: when O(state=present)
  type: str
'''

import re

from ansible.module_utils.six.moves.urllib.parse import quote

from ansible_collections.zotops.zot.plugins.module_utils.authentik import (
    AuthentikClient, AuthentikError, check_url, fail, missing_reference, new_authentik_module,
)
from ansible_collections.zotops.zot.plugins.module_utils._authentik_state import ensure_absent, ensure_present

PATH = '/core/applications/'
FIELDS = (
    # option, API field
    ('name', 'name'),
    ('launch_url', 'meta_launch_url'),
    ('policy_engine_mode', 'policy_engine_mode'),
    ('group', 'group'),
    ('description', 'meta_description'),
    ('publisher', 'meta_publisher'),
    ('open_in_new_tab', 'open_in_new_tab'),
)
LABELS = dict((api, option) for option, api in FIELDS)


def main():
    module = new_authentik_module(dict(
        slug=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        name=dict(type='str'),
        provider=dict(type='str'),
        launch_url=dict(type='str'),
        policy_engine_mode=dict(type='str', choices=['any', 'all']),
        group=dict(type='str'),
        description=dict(type='str'),
        publisher=dict(type='str'),
        open_in_new_tab=dict(type='bool'),
    ))
    p = module.params
    result = dict(changed=False, application={}, slug=p['slug'])
    if not re.match(r'^[-a-zA-Z0-9_]+$', p['slug']):
        module.fail_json(msg='slug: %r is not a valid authentik slug (only letters, digits, - and _)' % p['slug'],
                         **result)
    client = None
    try:
        client = AuthentikClient.from_module(module)
        existing = client.application(p['slug'])
        item = '%s%s/' % (PATH, quote(p['slug'], safe=''))

        if p['state'] == 'absent':
            if existing:
                ensure_absent(module, client, PATH, existing, dict(
                    slug=existing['slug'], name=existing.get('name'),
                    provider=(existing.get('provider_obj') or {}).get('name')), result, path=item)
            module.exit_json(**result)

        check_url('launch_url', p['launch_url'])
        want = {}
        provider = None
        if p['provider'] is not None:
            provider = client.find_one('/providers/oauth2/', 'name', p['provider'], 'OAuth2 provider')
            if provider is None:
                missing_reference(module, 'provider: no authentik OAuth2/OpenID provider is named %r (create it first '
                                          'with zotops.zot.authentik_oauth2_provider)' % p['provider'])
                provider = dict(pk='(%s)' % p['provider'], name=p['provider'])
            other = provider.get('assigned_application_slug')
            if other and other != p['slug']:
                # authentik links a provider to one application only
                raise AuthentikError('provider: %r is already the provider of application %r; an authentik '
                                     'provider serves one application (make another provider for %r)'
                                     % (p['provider'], other, p['slug']))
            want['provider'] = provider['pk']
        for option, api in FIELDS:
            if p[option] is not None:
                want[api] = p[option]

        def view(obj, keys, provider_name):
            out = {}
            for key in keys:
                if key == 'provider':
                    out['provider'] = provider_name
                else:
                    out[LABELS.get(key, key)] = obj.get(key)
            return out

        wanted_provider = provider['name'] if provider else None
        if existing is None:
            if not p['name']:
                raise AuthentikError('name: a display name is needed to create application %r' % p['slug'])
            want['slug'] = p['slug']
        current_provider = ((existing or {}).get('provider_obj') or {}).get('name')
        obj = ensure_present(module, client, PATH, existing, want, result, path=item,
                             view=lambda obj, keys: view(obj, keys, current_provider),
                             view_after=lambda obj, keys: view(obj, keys, wanted_provider))
        result.update(application=obj, pk=obj.get('pk'), slug=obj.get('slug', p['slug']))
        module.exit_json(**result)
    except AuthentikError as e:
        fail(module, client, e, result)


if __name__ == '__main__':
    main()
