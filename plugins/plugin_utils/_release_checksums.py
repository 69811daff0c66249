# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A release asset's sha256 from zot's published checksums file (what the role verifies a download with)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError


def release_checksums(checksums):
    """{asset name: sha256} of a release checksums file (lines '<sha256>  <name>' or '<sha256> *<name>')."""
    found = {}
    for line in (checksums or "").splitlines():
        fields = line.strip().split(None, 1)
        if len(fields) != 2:
            continue
        digest, filename = fields
        # zot's release workflow rewrites the separator to ' *' (binary mode): strip any '*' markers.
        filename = filename.strip().lstrip("*").strip().lstrip("*").strip()
        if re.match(r"^[0-9a-fA-F]{64}$", digest):
            found.setdefault(filename, digest.lower())
    return found


def release_checksum(checksums, name, source="checksums.sha256.txt"):
    """sha256 of one asset from a release checksums file (lines '<sha256>  <name>' or '<sha256> *<name>')."""
    found = release_checksums(checksums).get(name)
    if found:
        return found
    raise AnsibleFilterError("%s has no sha256 for %s: is zot_version right, and is this build published for "
                             "this OS/architecture (zot_variant)?" % (source, name))
