# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  authentik_url:
    description:
      - Base URL of the authentik server, for example C(https://authentik.example.com).
      - The API is reached under C(<authentik_url>/api/v3/).
      - If not set, the value of the E(AUTHENTIK_URL) environment variable is used.
    type: str
    required: true
  authentik_token:
    description:
      - An authentik API token (an C(API Token) intent token of a user allowed to manage the objects).
      - 'Sent as C(Authorization: Bearer <token>); it never appears in messages or results.'
      - If not set, the value of the E(AUTHENTIK_TOKEN) environment variable is used.
    type: str
    required: true
  validate_certs:
    description:
      - Verify the TLS certificate of O(authentik_url).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signs the certificate of O(authentik_url), when it is not in the system store.
    type: path
  timeout:
    description:
      - Seconds to wait for each API request.
    type: int
    default: 30
requirements:
  - authentik 2025.2 to 2026.8 (every release of the 2025.x and 2026.x series from 2025.2 on). The modules send
    only fields all of these releases accept and do not rely on fields some of them leave out of their answers.
notes:
  - Everything authentik would refuse that can be checked without writing (names and slugs of referenced objects,
    regular expressions, durations, expressions, URLs) is checked before the first write. If authentik still
    refuses a later write, objects the same task created are deleted again (or named in the error), and
    C(changed) reports only what stayed written.
  - Errors name the HTTP status, the request method and path and authentik's own error detail.
  - The module is part of the C(zotops.zot.authentik) action group, so the connection options can be set
    once for a play through C(module_defaults) of C(group/zotops.zot.authentik).
  - Objects are found by their natural key (name, slug, username), never by ids the user has to look up.
  - Check mode predicts exactly what a real run would change, and a run that changes nothing sends no write request.
'''
