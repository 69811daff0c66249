# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What zot reads and writes, for the systemd unit's sandbox: ProtectSystem=strict makes every path
read-only except ReadWritePaths, ProtectHome hides /home, /root and /run/user, PrivateTmp hides /tmp.
A path zot writes outside ReadWritePaths starts fine and fails at the first push or log line, so the
role refuses it before any change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.module_utils.zot_config_paths import log_files, read_files, storage_dirs


def _under(path, directory):
    path, directory = posixpath.normpath(path), posixpath.normpath(directory)
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def zot_sandbox_paths(config, writable=None, extra_read=None):
    """{'write': [{key, path}], 'read': [paths], 'unwritable': [{key, path}]}: the directories zot writes
    (local storage roots, log files' directories), the files it reads, and the written ones under none
    of ``writable`` (the unit's ReadWritePaths)."""
    if not isinstance(config, dict):
        raise AnsibleFilterError("zot_sandbox_paths: the configuration must be a dict")
    writable = list(writable or [])
    for path in writable:
        if not isinstance(path, str) or not path.startswith("/"):
            raise AnsibleFilterError(
                "zot_systemd_read_write_paths: every entry must be an absolute path, got %r" % (path,))
    write = [{"key": key, "path": path} for key, path in storage_dirs(config)]
    write += [{"key": key, "path": posixpath.dirname(path)} for key, path in log_files(config)]
    read = [path for _key, path in read_files(config)] + [p for p in (extra_read or []) if p]
    unwritable = [entry for entry in write if not any(_under(entry["path"], d) for d in writable)]
    return {"write": write, "read": read, "unwritable": unwritable}


class FilterModule(object):
    def filters(self):
        return {"zot_sandbox_paths": zot_sandbox_paths}
