# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes the modules of this collection share, and their action groups."""

    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
'''

    # Not named after the systems: zotops.zot.attributes.keycloak would load the keycloak fragment.
    ACTIONGROUP_KEYCLOAK = r'''
attributes:
  action_group:
    description: Use C(group/zotops.zot.keycloak) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - zotops.zot.keycloak
'''

    AUTHENTIK_MODULE = r'''
attributes:
  check_mode:
    description: Predicts exactly what a real run would change, without writing.
    support: full
  diff_mode:
    description: Shows what changes, with names instead of ids and never a secret.
    support: full
  action_group:
    description: Use C(group/zotops.zot.authentik) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - zotops.zot.authentik
'''

    ACTIONGROUP_ZOT = r'''
attributes:
  action_group:
    description: Use C(group/zotops.zot.zot) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - zotops.zot.zot
'''
