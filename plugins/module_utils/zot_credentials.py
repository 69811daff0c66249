# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a credentials file zot reads is written (no host access: the filters use it on the controller)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


def credentials_text(content):
    """The one serialisation of a credentials file zot reads (OpenID, LDAP, session keys, sync): the
    server and oidc roles both write through it, so they never rewrite each other's file."""
    if isinstance(content, str):
        return content
    return json.dumps(content, indent=4, sort_keys=True, separators=(',', ': '), ensure_ascii=False) + '\n'
