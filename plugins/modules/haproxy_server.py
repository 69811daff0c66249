#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: haproxy_server
short_description: Drain a zot replica out of HAProxy, or put it back, through HAProxy's runtime API
version_added: 0.3.0
description:
  - Sets one server of an HAProxy backend to C(drain), C(maint) or C(ready) through the admin C(stats socket)
    and waits until that holds - no session left on the server (C(drain), C(maint)), or its health check
    passing (C(ready)) - so a replica restarts only when no request is in flight to it.
  - C(playbooks/rolling_update.yml) uses it through the C(zotops.zot.server) role's
    C(zot_before_restart_tasks) and C(zot_after_restart_tasks) hooks, so a replica leaves the load balancer
    only when the role is about to restart it.
  - Sends one C(show stat) to decide, and a C(set server) only when the state differs.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.attributes
attributes:
  check_mode:
    description: Reads the state and reports what it would change; sends no C(set server).
    support: full
  diff_mode:
    description: Returns the server's state before and after.
    support: full
options:
  socket:
    description:
      - HAProxy's runtime API - the path of a unix C(stats socket) or C(host:port) of a TCP one. It needs
        C(level admin).
    type: str
    required: true
  backend:
    description: The backend (C(backend) section name) that holds the server.
    type: str
    required: true
  server:
    description: The server's name in that backend.
    type: str
    required: true
  state:
    description:
      - C(drain) stops new requests reaching the server (requests in flight finish); C(maint) also stops health
        checks; C(ready) puts it back.
    type: str
    choices: [ready, drain, maint]
    required: true
  wait:
    description: Wait until the state holds (no sessions left, or health checks passing).
    type: bool
    default: true
  timeout:
    description: Seconds to wait.
    type: int
    default: 60
notes:
  - The C(ready) wait needs the server to have C(check) enabled to mean anything; a server without health checks
    counts as ready at once.
seealso:
  - name: HAProxy management guide, runtime API
    description: The C(set server) and C(show stat) commands this module sends.
    link: https://docs.haproxy.org/2.6/management.html#9.3
'''

EXAMPLES = r'''
- name: Take this replica out of the load balancer before it restarts
  zotops.zot.haproxy_server:
    socket: /run/haproxy/admin.sock
    backend: zot
    server: "{{ inventory_hostname }}"
    state: drain
  delegate_to: lb1.example.com

- name: Put it back once zot answers
  zotops.zot.haproxy_server:
    socket: /run/haproxy/admin.sock
    backend: zot
    server: "{{ inventory_hostname }}"
    state: ready
  delegate_to: lb1.example.com
'''

RETURN = r'''
previous_state:
  description: The server's state before - C(ready), C(drain) or C(maint).
  returned: success
  type: str
  sample: ready
status:
  description: HAProxy's status of the server at the end (C(UP), C(DRAIN), C(MAINT), C(DOWN), ...).
  returned: success
  type: str
  sample: DRAIN
sessions:
  description: Current sessions on the server at the end.
  returned: success
  type: int
  sample: 0
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.zot.plugins.module_utils.haproxy import (
    HAProxyError, HAProxyRuntime, STATES, current_state, wait_settled)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            socket=dict(type='str', required=True),
            backend=dict(type='str', required=True),
            server=dict(type='str', required=True),
            state=dict(type='str', required=True, choices=list(STATES)),
            wait=dict(type='bool', default=True),
            timeout=dict(type='int', default=60),
        ),
        supports_check_mode=True,
    )
    p = module.params
    runtime = HAProxyRuntime(p['socket'])
    try:
        row = runtime.server(p['backend'], p['server'])
        previous = current_state(row)
        changed = previous != p['state']
        if changed and not module.check_mode:
            runtime.set_state(p['backend'], p['server'], p['state'])
        if p['wait'] and not module.check_mode:
            row = wait_settled(runtime, p['backend'], p['server'], p['state'], p['timeout'])
    except HAProxyError as error:
        module.fail_json(msg=str(error))
    module.exit_json(
        changed=changed, previous_state=previous, status=row.get('status'), sessions=int(row.get('scur') or 0),
        diff={'before': 'state: %s\n' % previous, 'after': 'state: %s\n' % p['state'],
              'before_header': '%s/%s' % (p['backend'], p['server']),
              'after_header': '%s/%s' % (p['backend'], p['server'])})


if __name__ == '__main__':
    main()
