# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret store: a local file on the node that runs the module (written atomically).

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    SecretStore, SecretStoreError, Snapshot)


def _user():
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return 'uid %d' % os.geteuid()


class FileStore(SecretStore):
    kind = 'file'
    options = {'required': ['path'],
               'optional': ['mode', 'owner', 'group']}

    def describe(self):
        return 'file:%s' % self.spec['path']

    def _mode(self):
        mode = self.spec.get('mode', '0600')
        try:
            return int(str(mode), 8)
        except ValueError:
            raise SecretStoreError('%s.mode must be an octal string like 0600, got %r' % (self.where, mode))

    def read(self):
        path = self.spec['path']
        if not os.path.exists(path):
            return Snapshot(False, known=True)
        try:
            with open(path, 'rb') as f:
                data = to_text(f.read())
        except (IOError, OSError) as e:
            raise SecretStoreError('%s: cannot read: %s' % (self.label, to_native(e.strerror or e)))
        value = data[:-1] if data.endswith('\n') else data
        return Snapshot(True, value=value, known=True)

    def _directory(self):
        return os.path.dirname(os.path.abspath(self.spec['path']))

    def check_writable(self):
        """The file's directory exists and is writable, or its nearest existing parent lets it be made."""
        directory = self._directory()
        existing = directory
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if not os.path.isdir(existing):
            raise SecretStoreError('%s: %s is not a directory' % (self.label, existing))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise SecretStoreError('%s: %s %s is not writable by %s' % (
                self.label, 'directory' if existing == directory else 'cannot create directory %s:' % directory,
                existing, _user()))

    def _make_directory(self, directory):
        """A missing directory is made 0700 (parents too), owned as the file will be."""
        missing = []
        current = directory
        while not os.path.exists(current):
            missing.append(current)
            current = os.path.dirname(current)
        if not os.path.isdir(current):
            raise SecretStoreError('%s: cannot create directory %s: %s is not a directory' % (
                self.label, directory, current))
        for path in reversed(missing):
            try:
                os.mkdir(path, 0o700)
                os.chmod(path, 0o700)
                self._chown(path)
            except OSError as e:
                raise SecretStoreError('%s: cannot create directory %s: %s' % (
                    self.label, path, to_native(e.strerror or e)))

    def write(self, value):
        path = self.spec['path']
        directory = self._directory()
        if not os.path.isdir(directory):
            self._make_directory(directory)
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
        try:
            os.fchmod(fd, self._mode())
            with os.fdopen(fd, 'wb') as f:
                f.write(to_bytes(value) + b'\n')
                f.flush()
                os.fsync(f.fileno())
            self._chown(tmp)
            os.rename(tmp, path)
        except Exception as e:
            if os.path.exists(tmp):
                os.unlink(tmp)
            if isinstance(e, SecretStoreError):
                raise
            raise SecretStoreError('%s: cannot write: %s' % (self.label, to_native(getattr(e, 'strerror', None) or e)))

    def _chown(self, path):
        owner, group = self.spec.get('owner'), self.spec.get('group')
        if not owner and not group:
            return
        import grp
        import pwd
        uid = pwd.getpwnam(owner).pw_uid if owner else -1
        gid = grp.getgrnam(group).gr_gid if group else -1
        os.chown(path, uid, gid)

    def delete(self):
        if os.path.exists(self.spec['path']):
            os.unlink(self.spec['path'])

    def ensure(self, value, check_mode=False, snapshot=None):
        result = super(FileStore, self).ensure(value, check_mode, snapshot)
        path = self.spec['path']
        if not result['changed'] and os.path.exists(path):
            current = os.stat(path).st_mode & 0o7777
            if current != self._mode():
                if not check_mode:
                    os.chmod(path, self._mode())
                result.update(changed=True, mode_fixed=True)
        return result
