#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zot_install_state
short_description: Tell, in one read-only call, which of zot's files, directories, links and service need a change
version_added: 0.2.0
description:
  - Compares what is on the host with what it should be - directories (owner, group, mode), files (owner,
    group, mode, SHA-256 of the content), symbolic links (target), the service user and group, and a
    systemd unit's active and enabled state - and returns the paths that differ.
  - The C(zotops.zot.server) role runs it once and then runs its writing tasks (M(ansible.builtin.copy),
    M(ansible.builtin.file), ...) only for what differs, so a run that changes nothing costs one module call
    instead of one per file.
  - Reads only; returns the text of the files named in O(read) (the role reads the live configuration and
    the htpasswd file this way), so register it in a task with C(no_log) when one of them is secret.
  - With O(gather_facts), it also returns the host's platform, service manager and user facts, so a play
    that gathered no facts needs no M(ansible.builtin.setup) call of its own; an entry of O(files) or
    O(links) can be given for one platform or service manager only, for a caller that does not know the
    host's yet.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.attributes
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show; the module changes nothing.
    support: none
options:
  gather_facts:
    description:
      - Also return, as RV(ansible_facts), the facts M(ansible.builtin.setup) gathers with
        C(gather_subset=[platform, service_mgr, user]) (C(system), C(architecture), C(service_mgr),
        C(user_dir), C(user_uid), ...), except C(fqdn) and C(domain), which need a DNS lookup.
    type: bool
    default: false
    version_added: 0.3.0
  user:
    description: Service user whose existence is reported in RV(user_exists).
    type: str
  group:
    description: Service group whose existence is reported in RV(group_exists).
    type: str
  directories:
    description: Directories as they should be; C(owner), C(group) and C(mode) are compared when given.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path of the directory.
        type: path
        required: true
      owner:
        description: Owner's name.
        type: str
      group:
        description: Group's name.
        type: str
      mode:
        description: Mode as an octal string such as V(0750).
        type: str
  files:
    description: Regular files as they should be; C(sha256) is the SHA-256 of the content they should have.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path of the file.
        type: path
        required: true
      owner:
        description: Owner's name.
        type: str
      group:
        description: Group's name.
        type: str
      mode:
        description: Mode as an octal string such as V(0600).
        type: str
      sha256:
        description: SHA-256 (hex) of the content the file should have; not compared when omitted.
        type: str
      platform:
        description:
          - Go's name of the only platform this entry is for, as zot's release assets name it (V(linux-amd64),
            V(linux-arm64)). On a host of another platform the entry is left out.
        type: str
        version_added: 0.3.0
      service_manager:
        description: The only service manager (the C(service_mgr) fact, such as V(systemd)) this entry is for.
        type: str
        version_added: 0.3.0
      stamp:
        description:
          - A file whose first 64 characters are the SHA-256 of this file, written right after this file was
            installed and verified. While the stamp holds O(files[].sha256), has this file's owner, is
            writable by no one else and is not older than this file's last change (its ctime, which any write,
            chmod, chown or replacement moves), the file is not hashed again. Otherwise it is hashed.
        type: path
  links:
    description: Symbolic links and the target each should point to.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path of the link.
        type: path
        required: true
      target:
        description: Target it should point to.
        type: str
        required: true
      platform:
        description: As O(files[].platform).
        type: str
        version_added: 0.3.0
  read:
    description: Files whose text is returned in RV(content) when they exist.
    type: list
    elements: path
    default: []
  systemd_unit:
    description: A systemd unit whose state is reported in RV(service), on a host that has C(systemctl).
    type: str
  extensions_of:
    description:
      - A zot binary whose extensions (Go build tags, read from the build information Go records in the
        binary, without running it) are reported in RV(binary_extensions) when it exists.
    type: path
  version_of:
    description:
      - A zot binary whose release is reported in RV(binary_version) when it exists, read from what its
        C(--version) prints (the commit stamp zot's release build carries, such as C(v2.1.20-0-g3b5796d)).
    type: path
    version_added: 0.3.0
'''

EXAMPLES = r'''
- name: Read what zot's files look like now
  zotops.zot.zot_install_state:
    user: zot
    group: zot
    directories:
      - {path: /var/lib/zot, owner: zot, group: zot, mode: "0750"}
    files:
      - path: /etc/zot/config.json
        owner: root
        group: zot
        mode: "0640"
        sha256: "{{ config_text | hash('sha256') }}"
    links:
      - {path: /usr/local/bin/zot, target: /usr/local/lib/zot/zot-v2.1.20-linux-amd64}
    systemd_unit: zot
  register: zot_state

- name: Write the configuration only when it differs
  ansible.builtin.copy:
    content: "{{ config_text }}"
    dest: /etc/zot/config.json
    mode: "0640"
  when: "'/etc/zot/config.json' in zot_state.files"
'''

RETURN = r'''
user_exists:
  description: Whether O(user) exists (null when not asked).
  returned: always
  type: bool
group_exists:
  description: Whether O(group) exists (null when not asked).
  returned: always
  type: bool
directories:
  description: Paths from O(directories) that are missing, not directories, or differ in owner, group or mode.
  returned: always
  type: list
  elements: str
files:
  description: Paths from O(files) that are missing, not regular files, or differ in owner, group, mode or content.
  returned: always
  type: list
  elements: str
links:
  description: Paths from O(links) that are not links to their target.
  returned: always
  type: list
  elements: str
link_targets:
  description: The current target of each path in O(links) (null when it is not a link).
  returned: always
  type: dict
content:
  description: Text of each file in O(read) that exists, by path.
  returned: always
  type: dict
service:
  description:
    - C(active) and C(enabled) of O(systemd_unit), as C(systemctl is-active) and C(is-enabled) report them (read in one
      C(systemctl show) call).
  returned: when O(systemd_unit) is given and the host has C(systemctl)
  type: dict
  sample: {"active": true, "enabled": true}
ansible_facts:
  description: The host's platform, service manager and user facts (see O(gather_facts)).
  returned: when O(gather_facts) is true
  type: dict
  sample: {"system": "Linux", "architecture": "x86_64", "service_mgr": "systemd", "user_dir": "/root", "user_uid": 0}
binary_extensions:
  description:
    - C(extensions) (the build tags of O(extensions_of), null when they cannot be read) and C(source) (how they
      were read, or why not).
  returned: when O(extensions_of) is given and exists
  type: dict
  sample: {"extensions": ["events", "imagetrust", "search", "sync", "ui"], "source": "Go build information (-tags)"}
binary_version:
  description:
    - C(version) (the release O(version_of) is, such as C(2.1.20); null when it carries no release stamp),
      C(commit) (the stamp it prints) and C(source) (how it was read).
  returned: when O(version_of) is given and exists
  type: dict
  sample: {"version": "2.1.20", "commit": "v2.1.20-0-g3b5796d", "source": "zot --version"}
'''

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.zot.plugins.module_utils.host_facts import for_host, host_facts
from ansible_collections.zotops.zot.plugins.module_utils.install_state import install_state
from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import binary_extensions
from ansible_collections.zotops.zot.plugins.module_utils.zot_releases import binary_version


def _exists(lookup, name):
    if not name:
        return None
    try:
        lookup(name)
        return True
    except KeyError:
        return False


def _combined(ran):
    # zot logs its version line on stdout or stderr depending on the release: read both.
    rc, out, err = ran
    return rc, out + '\n' + err


def main():
    owned = dict(path=dict(type='path', required=True), owner=dict(type='str'), group=dict(type='str'),
                 mode=dict(type='str'))
    only_on = dict(platform=dict(type='str'), service_manager=dict(type='str'))
    module = AnsibleModule(
        argument_spec=dict(
            gather_facts=dict(type='bool', default=False),
            user=dict(type='str'),
            group=dict(type='str'),
            directories=dict(type='list', elements='dict', default=[], options=owned),
            files=dict(type='list', elements='dict', default=[],
                       options=dict(owned, sha256=dict(type='str'), stamp=dict(type='path'), **only_on)),
            links=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True), target=dict(type='str', required=True),
                platform=dict(type='str'))),
            read=dict(type='list', elements='path', default=[]),
            systemd_unit=dict(type='str'),
            extensions_of=dict(type='path'),
            version_of=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    files, links = p['files'], p['links']
    facts = None
    if p['gather_facts'] or any(entry.get('platform') or entry.get('service_manager') for entry in files + links):
        facts = host_facts(module.get_bin_path, module.run_command)
        files, links = for_host(files, facts), for_host(links, facts)
    result = install_state(p['directories'], files, links, p['read'])
    result.update(changed=False, user_exists=_exists(pwd.getpwnam, p['user']),
                  group_exists=_exists(grp.getgrnam, p['group']))
    if p['gather_facts']:
        result['ansible_facts'] = facts
    systemctl = module.get_bin_path('systemctl') if p['systemd_unit'] else None
    if systemctl:
        # One call for both (what `is-active` and `is-enabled` print are these two properties).
        _rc, out, _err = module.run_command([systemctl, 'show', p['systemd_unit'], '--property=ActiveState',
                                             '--property=UnitFileState'])
        found = dict(line.strip().split('=', 1) for line in out.splitlines() if '=' in line)
        result['service'] = {'active': found.get('ActiveState') == 'active',
                             'enabled': found.get('UnitFileState') == 'enabled'}
    if p['extensions_of'] and os.path.isfile(p['extensions_of']):
        found, source = binary_extensions(p['extensions_of'])
        result['binary_extensions'] = {'extensions': found, 'source': source}
    if p['version_of'] and os.path.isfile(p['version_of']):
        result['binary_version'] = binary_version(
            p['version_of'], run_command=lambda argv: _combined(module.run_command(argv)))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
