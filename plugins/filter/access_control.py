# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compile a readable access declaration (``zot_access``) into zot's ``http.accessControl``.

The filter is a thin wrapper: the checks are in ``plugin_utils/_access_control/validate.py`` (one
function per section), the flattening in ``_access_control/compile.py``.

zot (v2.1.20) applies only the policy group of the *longest* repository glob that matches a
repository, never a merge of several. This filter therefore flattens the declaration: every glob
it emits carries every anonymous, authenticated and tier policy that applies to it.

Facts from zot's source this relies on (pkg/api/config/config.go, pkg/api/authz.go):

* ``accessControl`` = ``{groups: {G: {users}}, repositories: {GLOB: {policies: [{users, groups,
  actions, conditions: [{expression, message}]}], defaultPolicy, anonymousPolicy}},
  adminPolicy: {users, groups, actions}, metrics: {users, anonymousPolicy}}``.
* A manifest PUT to a tag that exists is ``update`` (``latest`` included since v2.1.15), to a new
  tag ``create``; so ``[read, create]`` pushes new tags only.
* Policy ``conditions`` are CEL expressions evaluated against ``req`` (``req.action``, ``req.tag``,
  ...); every condition must hold for the policy entry to grant.
* zot reads its config with viper, which lower-cases map keys (so ``groups`` keys must be lower
  case) and drops empty maps (so every emitted glob carries explicit, possibly empty, lists).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError


def access_control(zot_access, name="zot_access"):
    """zot's http.accessControl dict compiled from a zot_access declaration (see access_control.yml)."""
    # Imported here: Ansible loads every filter file of the collection in each task's worker process to find
    # one filter (see zot_config.py).
    from ansible_collections.zotops.zot.plugins.plugin_utils._access_control.compile import compile_access
    from ansible_collections.zotops.zot.plugins.plugin_utils._access_control.validate import validate
    if not isinstance(name, str) or not name:
        raise AnsibleFilterError("zotops.zot.access_control: 'name' must be a non-empty string")
    return compile_access(validate(zot_access, name), name)


class FilterModule(object):
    def filters(self):
        return {
            "access_control": access_control,
        }
