#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zot_config_check
short_description: Check that zot can run a candidate configuration on this host, before it goes live
version_added: 0.2.0
description:
  - Checks a zot configuration the way zot's service user will meet it, without writing any file the
    running zot uses. The C(zotops.zot.server) role runs it before it replaces anything.
  - Runs C(zot verify) as the service user on a private copy of the configuration whose log outputs are
    removed (C(zot verify) would otherwise create the log file as whoever runs it) and whose files that
    this run writes later are replaced by staged copies (O(staged_files)).
  - Checks what C(zot verify) does not look at - every file the configuration reads (htpasswd, LDAP and
    OpenID credentials, session keys, TLS and bearer certificates, sync credentials) exists and is readable
    by the service user; the TLS certificate and key load as a pair; the storage root directories and the
    log files are writable by the service user; a listen address the running zot does not already hold is
    free.
  - Fails with the first problem found, naming the configuration key, the path and the cause.
  - Where the service user does not exist yet (a fresh host in check mode), the checks that need it are
    skipped and listed in RV(not_checked).
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.attributes
attributes:
  check_mode:
    description: Runs the same checks in check mode; it never changes the host.
    support: full
  diff_mode:
    description: Nothing to show; the module changes nothing.
    support: none
options:
  binary:
    description:
      - Path of the zot binary that will run the configuration; C(zot verify) is skipped when it does not
        exist yet (check mode on a fresh host).
    type: path
    required: true
  config:
    description:
      - The candidate zot configuration, as a dict (what C(config.json) will hold).
    type: dict
    required: true
  user:
    description:
      - The user zot runs as. Checks run as this user (the module must run as root, or as that user).
    type: str
    required: true
  group:
    description:
      - The primary group zot runs with; defaults to the user's primary group.
    type: str
  staged_files:
    description:
      - Files that this run writes before zot starts (credentials files, htpasswd), owned by O(user) with
        mode C(0600). They count as readable, and C(zot verify) reads their staged content.
      - Their content is secret and never logged.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path the configuration refers to.
        type: path
        required: true
      content:
        description:
          - The exact text the file will have (see the P(zotops.zot.zot_credentials_text#filter) filter).
        type: str
        required: true
      kind:
        description: What the file is (for example V(openid), V(htpasswd)); informational.
        type: str
  staged_dirs:
    description:
      - Directories that this run creates for O(user), or gives to it, before zot starts (data, log) and that are
        not yet so - in check mode. A storage root or log file inside one counts as writable.
    type: list
    elements: path
    default: []
  live_config_path:
    description:
      - Path of the configuration zot runs now. When its listen address is the candidate's, the port is
        not probed (the running zot holds it).
    type: path
  environment:
    description:
      - The environment zot's service runs with. C(AWS_SHARED_CREDENTIALS_FILE) names the S3 keys (read from
        O(staged_files) when this run writes them) that sign the bucket check.
    type: dict
    default: {}
notes:
  - With S3 storage (C(storage.storageDriver.name=s3)) it sends one signed HeadBucket and fails when the
    endpoint does not answer, the bucket does not exist, it is in another region or the keys are refused.
    With Redis (C(storage.cacheDriver) or C(http.auth.sessionDriver)) it connects, authenticates and sends
    C(PING). With DynamoDB at a given endpoint it checks the endpoint answers.
  - Problems that only zot can find while it starts (an OpenID issuer that does not answer, an LDAP
    that refuses it) are left to the role's restart health check, which rolls back.
seealso:
  - name: zotops.zot.server role
    description: Runs this module before it replaces zot's configuration.
    link: https://github.com/zotops/zotops.zot/blob/main/roles/server/README.md
'''

EXAMPLES = r'''
- name: Check a candidate configuration before writing it
  zotops.zot.zot_config_check:
    binary: /usr/local/lib/zot/zot-v2.1.20-linux-amd64
    config: "{{ zot_candidate_config }}"
    user: zot
    live_config_path: /etc/zot/config.json
    staged_files:
      - path: /etc/zot/htpasswd
        content: "{{ htpasswd_content }}"
  no_log: false
'''

RETURN = r'''
checked:
  description: What was checked and found fine.
  returned: always
  type: list
  elements: str
  sample: ["http.auth.htpasswd.path /etc/zot/htpasswd: written by this run", "zot verify: valid"]
not_checked:
  description:
    - Checks that could not run yet, and why (not C(skipped), which Ansible reserves - a module result with a
      C(skipped) key is shown as a skipped task and escapes C(failed_when)).
  returned: always
  type: list
  elements: str
cause:
  description:
    - On failure, the class of problem - C(missing_file), C(unreadable_file), C(tls), C(storage), C(log),
      C(port), C(verify), C(access), C(s3_endpoint), C(s3_bucket), C(s3_region), C(s3_credentials), C(redis),
      C(redis_auth) or C(dynamodb).
  returned: failure
  type: str
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.zot.plugins.module_utils.zot_host import HostCheck, HostCheckError, ServiceUser


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type='path', required=True),
            config=dict(type='dict', required=True),
            user=dict(type='str', required=True),
            group=dict(type='str'),
            staged_files=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                content=dict(type='str', required=True, no_log=True),
                kind=dict(type='str'),
            )),
            staged_dirs=dict(type='list', elements='path', default=[]),
            live_config_path=dict(type='path'),
            environment=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    live = None
    if p['live_config_path'] and os.path.exists(p['live_config_path']):
        try:
            with open(p['live_config_path']) as handle:
                live = json.load(handle)
        except (OSError, ValueError):
            live = None  # an unreadable live config holds no port we know of
    check = HostCheck(p['binary'], p['config'], ServiceUser(p['user'], p['group']),
                      staged_files=dict((f['path'], f['content']) for f in p['staged_files']),
                      staged_dirs=p['staged_dirs'], live_config=live, environment=p['environment'])
    try:
        result = check.run()
    except HostCheckError as error:
        module.fail_json(msg=error.message, cause=error.cause, checked=check.checked, not_checked=check.skipped)
    module.exit_json(changed=False, checked=result['checked'], not_checked=result['skipped'])


if __name__ == '__main__':
    main()
