# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The error every host-side check raises (host, S3, Redis, AWS endpoint)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class CheckError(Exception):
    """A check found what would stop zot: ``cause`` names the kind (the role maps it to the variable
    at fault), ``message`` says what and where."""

    def __init__(self, cause, message):
        super(CheckError, self).__init__(message)
        self.cause = cause
        self.message = message
