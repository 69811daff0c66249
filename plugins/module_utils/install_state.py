# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a run would change on a host: files, directories and links compared with what they should be,
reading only (``zot_install_state`` reports it; the role decides from it)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import grp
import hashlib
import os
import pwd
import stat as stat_module


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _stamp_vouches(want, st):
    """True when want['stamp'], a file written right after this one was installed and verified, still
    vouches for its content: it holds the wanted SHA-256, has the file's owner, is writable by no one
    else, and was written no earlier than the file last changed (any write, chmod, chown or
    replacement sets the file's ctime, which no caller can set back). Spares hashing a large binary
    on every run."""
    stamp = want.get('stamp')
    if not stamp or not want.get('sha256'):
        return False
    try:
        stamp_st = os.stat(stamp)
        with open(stamp, 'rb') as handle:
            recorded = handle.read(64).decode('ascii', 'replace')
    except (IOError, OSError):
        return False
    return (stat_module.S_ISREG(stamp_st.st_mode) and stamp_st.st_uid == st.st_uid
            and not stamp_st.st_mode & 0o022 and stamp_st.st_mtime_ns >= st.st_ctime_ns
            and recorded.lower() == want['sha256'].lower())


def _owner_names(st):
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return owner, group


def _attributes_differ(st, want):
    """True when owner, group or mode (those given in ``want``) differ from ``st``."""
    owner, group = _owner_names(st)
    if want.get('owner') and want['owner'] != owner:
        return True
    if want.get('group') and want['group'] != group:
        return True
    return bool(want.get('mode')) and int(str(want['mode']), 8) != (st.st_mode & 0o7777)


def install_state(directories=(), files=(), links=(), read=()):
    """Compare what is on the host with what it should be, reading only.

    directories: [{path, owner, group, mode}]; files: [{path, owner, group, mode, sha256, stamp}]
    (stamp: see _stamp_vouches);
    links: [{path, target}]; read: [path] whose text is returned (small, non-binary files).
    Returns {directories, files, links}: the paths that need a change, and {content: {path: text}}
    and {link_targets: {path: current target}} for what the caller needs to decide the rest.
    """
    state = {'directories': [], 'files': [], 'links': [], 'content': {}, 'link_targets': {}}
    for want in directories:
        try:
            st = os.stat(want['path'])
        except OSError:
            state['directories'].append(want['path'])
            continue
        if not stat_module.S_ISDIR(st.st_mode) or _attributes_differ(st, want):
            state['directories'].append(want['path'])
    for want in files:
        try:
            st = os.stat(want['path'])
        except OSError:
            state['files'].append(want['path'])
            continue
        if (not stat_module.S_ISREG(st.st_mode) or _attributes_differ(st, want)
                or (want.get('sha256') and not _stamp_vouches(want, st)
                    and want['sha256'].lower() != _sha256(want['path']))):
            state['files'].append(want['path'])
    for want in links:
        target = os.readlink(want['path']) if os.path.islink(want['path']) else None
        state['link_targets'][want['path']] = target
        if target != want['target']:
            state['links'].append(want['path'])
    for path in read:
        if os.path.isfile(path):
            with open(path, 'rb') as handle:
                state['content'][path] = handle.read().decode('utf-8', 'replace')
    return state
