# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Returning secrets from modules without leaking them.

A module cannot mark one return value as secret: Ansible prints the whole result at -v unless
the task has no_log. So a secret goes into the result only for a task with no_log: true; any
other task gets a warning saying why the value is missing, never the value.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def return_secret(module, result, key, value, warn_how=None):
    """Set result[key] = value when the task hides its output; returns whether it did.

    Otherwise, with warn_how (what the user can do instead), warn that the value was held back.
    """
    if module.no_log:
        result[key] = value
        return True
    if warn_how:
        module.warn('%s is not returned because this task does not set no_log: true; %s' % (key, warn_how))
    return False
