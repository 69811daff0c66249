#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the action plugin of the same name (plugins/action/zot_install_plan.py) runs it.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: zot_install_plan
short_description: Read zot's install on a host and decide on the controller what a run of the server role writes
version_added: 0.4.0
description:
  - Runs M(zotops.zot.zot_install_state) once on the host, given what the host should have plus the
    credentials files (compared by the SHA-256 of their content) and the htpasswd file (owner, mode and
    users), and decides on the controller what the run writes - the installed binary's expected SHA-256 and
    whether it is copied, the credentials files that differ, the htpasswd file's new text.
  - The read and the decision in one task. The C(zotops.zot.server) role used three (a set_fact, the module,
    a set_fact), and each task costs a worker process per host and its templating.
  - The role's planner; its options follow what the role builds and may change with it.
  - Given secrets (the credentials files, the htpasswd users) and returning them (the files to write, the
    htpasswd file's text), so use it in a task with C(no_log).
  - The htpasswd file's text is computed on the controller, which needs the Python library C(bcrypt) there.
    A declared password that still verifies against the host's hash keeps that hash.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.attributes
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show; it changes nothing.
    support: none
  action:
    description: Runs on the controller, and M(zotops.zot.zot_install_state) on the host.
    support: full
options:
  gather_facts:
    description: As M(zotops.zot.zot_install_state)'s O(zotops.zot.zot_install_state#module:gather_facts).
    type: bool
    default: false
  user:
    description: The service user; owner of the credentials files and the htpasswd file.
    type: str
    required: true
  group:
    description: The service group; group of the credentials files and the htpasswd file.
    type: str
    required: true
  directories:
    description: As M(zotops.zot.zot_install_state)'s O(zotops.zot.zot_install_state#module:directories).
    type: list
    elements: dict
    default: []
  wanted:
    description: What the host should have, built once by the role.
    type: dict
    required: true
    suboptions:
      files:
        description: As M(zotops.zot.zot_install_state)'s O(zotops.zot.zot_install_state#module:files).
        type: list
        elements: dict
        default: []
      links:
        description: As M(zotops.zot.zot_install_state)'s O(zotops.zot.zot_install_state#module:links).
        type: list
        elements: dict
        default: []
      read:
        description: As M(zotops.zot.zot_install_state)'s O(zotops.zot.zot_install_state#module:read).
        type: list
        elements: path
        default: []
      systemd_unit:
        description: As M(zotops.zot.zot_install_state)'s O(zotops.zot.zot_install_state#module:systemd_unit).
        type: str
      binary:
        description:
          - The installed release binary. Its expected SHA-256 is that of its entry in O(wanted.files) (none
            when the entry has none, as while the release's checksums file is not cached on the controller yet).
        type: path
        required: true
      credentials:
        description:
          - The credentials files (C(path), C(kind), C(content)), written mode V(0600) for O(user) and O(group).
            Secret.
        type: list
        elements: dict
        default: []
      htpasswd:
        description: The htpasswd file, written mode V(0600) for O(user) and O(group); omitted when there is none.
        type: dict
        suboptions:
          path:
            description: Its path.
            type: path
            required: true
          users:
            description: The users, as the P(zotops.zot.htpasswd#filter) filter takes them. Secret.
            type: raw
            required: true
          rounds:
            description: bcrypt's cost for a new hash.
            type: int
            default: 12
          exclusive:
            description: Whether users the file has but O(wanted.htpasswd.users) does not name are removed.
            type: bool
            default: true
      unwritable:
        description:
          - Paths the configuration makes zot write outside the systemd unit's C(ReadWritePaths), as
            P(zotops.zot.zot_sandbox_paths#filter) found them; returned as RV(unwritable) for the role's platform
            check, which needs the host's service manager (known after the read).
        type: list
        elements: dict
        default: []
seealso:
  - module: zotops.zot.zot_install_state
  - plugin: zotops.zot.htpasswd
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Read what zot's install looks like and decide what changes
  zotops.zot.zot_install_plan:
    user: zot
    group: zot
    directories:
      - {path: /etc/zot, owner: root, group: zot, mode: "0750"}
    wanted:
      files:
        - {path: /etc/zot/config.json, owner: root, group: zot, mode: "0640", sha256: "{{ config_text | hash('sha256') }}"}
      links:
        - {path: /usr/local/bin/zot, target: /usr/local/lib/zot/zot-v2.1.20-linux-amd64}
      read: [/etc/zot/config.json]
      systemd_unit: zot
      binary: /usr/local/lib/zot/zot-v2.1.20-linux-amd64
      htpasswd:
        path: /etc/zot/htpasswd
        users: "{{ registry_users }}"
  register: plan
  no_log: true
'''

RETURN = r'''
state:
  description: M(zotops.zot.zot_install_state)'s result (what differs, the service, the files read, the link targets).
  returned: success
  type: dict
expected_sha256:
  description: The SHA-256 the installed binary was compared with (empty when none was known).
  returned: success
  type: str
binary_needed:
  description: Whether the binary is copied to the host (it differs, or its SHA-256 is not known yet).
  returned: success
  type: bool
credentials_pending:
  description: The entries of O(wanted.credentials) whose file differs on the host (with their content).
  returned: success
  type: list
  elements: dict
htpasswd_content:
  description: The htpasswd file's new text (empty without O(wanted.htpasswd)).
  returned: success
  type: str
htpasswd_pending:
  description: Whether the htpasswd file is rewritten (its owner, mode or users differ).
  returned: success
  type: bool
unwritable:
  description: O(wanted.unwritable), as given.
  returned: success
  type: list
  elements: dict
ansible_facts:
  description: As M(zotops.zot.zot_install_state)'s RV(zotops.zot.zot_install_state#module:ansible_facts).
  returned: when O(gather_facts) is true
  type: dict
'''
