# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a zot configuration needs from the host it will run on, checked before it goes live.

`zot verify` only parses and validates: it does not look at the htpasswd or TLS files, at who can
read them, at the storage directory or at the port, and it opens (creates) the configured log file
as whoever runs it. The checks here cover that gap, as zot's service user would meet it, without
touching any file the running service uses:

- `zot verify` runs on a private copy of the candidate with its log outputs removed, so it writes
  nothing; files the same run is about to write (credentials, htpasswd) are staged in that copy.
- every file the candidate reads must exist and be readable by the service user, TLS pairs must
  load, storage and log locations must be writable by it, and a new listen address must be free.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import errno
import grp
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

from ansible_collections.zotops.zot.plugins.module_utils._check_error import CheckError
from ansible_collections.zotops.zot.plugins.module_utils.aws_endpoint import EndpointCheckError, endpoint_status
from ansible_collections.zotops.zot.plugins.module_utils.redis_client import RedisCheckError, describe, ping
from ansible_collections.zotops.zot.plugins.module_utils.s3_storage import (
    BucketCheckError, head_bucket, parse_shared_credentials)
from ansible_collections.zotops.zot.plugins.module_utils.zot_config_paths import (
    config_value, listen_address, log_files, read_files, storage_dirs)

# Run as the service user: prints every "need:path" argument whose test fails. `x` is a directory
# the user must enter and write in, `r` a file it must read, `w` a file it must append to.
_ACCESS_SCRIPT = r'''
for arg; do
  path=${arg#?:}
  case $arg in
    r:*) [ -r "$path" ] || echo "$arg" ;;
    w:*) [ -w "$path" ] || echo "$arg" ;;
    x:*) { [ -w "$path" ] && [ -x "$path" ]; } || echo "$arg" ;;
  esac
done
'''


class HostCheckError(CheckError):
    """A problem that would stop zot: ``cause`` names the class, ``message`` says what and where."""


def verifiable_copy(config, staged):
    """The candidate as `zot verify` may see it: no log outputs (verify would create them as the
    user that runs it) and staged copies in place of the files this run has not written yet."""
    candidate = copy.deepcopy(config)
    log = candidate.get('log')
    if isinstance(log, dict):
        log.pop('output', None)
        log.pop('audit', None)

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and value in staged:
                    node[key] = staged[value]
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(candidate)
    return candidate


class ServiceUser(object):
    """Who zot runs as, and how to run a command as that user from here."""

    def __init__(self, name, group=None):
        self.name = name
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            self.exists = False
            self.uid = self.gid = None
            self.groups = []
            return
        self.exists = True
        self.uid = entry.pw_uid
        self.gid = grp.getgrnam(group).gr_gid if group else entry.pw_gid
        self.groups = sorted(set(g.gr_gid for g in grp.getgrall() if name in g.gr_mem) | {self.gid})

    @property
    def switchable(self):
        """True when commands can run as this user: we are root, or we are that user."""
        return self.exists and (os.geteuid() == 0 or os.geteuid() == self.uid)

    def popen_kwargs(self):
        if not self.switchable or os.geteuid() == self.uid:
            return {}
        if sys.version_info >= (3, 9):
            return {'user': self.uid, 'group': self.gid, 'extra_groups': self.groups}
        uid, gid, groups = self.uid, self.gid, self.groups  # Python 3.8 targets: no user= yet

        def drop_privileges():
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
        return {'preexec_fn': drop_privileges}

    def chown(self, path):
        if self.switchable and os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)


def _nearest_existing(path):
    path = os.path.abspath(path)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


class HostCheck(object):
    """Checks one candidate configuration; ``run()`` returns a list of what was checked, or raises
    HostCheckError for the first problem found."""

    def __init__(self, binary, config, user, staged_files=None, staged_dirs=None, live_config=None,
                 run_command=None, environment=None):
        self.binary = binary
        self.config = config
        self.user = user
        # {path: content}: files this run writes before zot starts (owned by the user, 0600).
        self.staged_files = staged_files or {}
        # Directories this run creates or hands to the user before zot starts (in check mode they are
        # not there yet, or not the user's yet).
        self.staged_dirs = [os.path.abspath(d) for d in staged_dirs or []]
        self.live_config = live_config
        # The environment zot's service runs with (AWS_SHARED_CREDENTIALS_FILE for S3 keys).
        self.environment = environment or {}
        self.run_command = run_command or self._run
        self.checked = []
        self.skipped = []

    @staticmethod
    def _run(argv, **kwargs):
        # Not AnsibleModule.run_command: it cannot run a command as the service user (user=/group=, or
        # a preexec_fn on Python 3.8), which is the point of these checks.
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,  # pylint: disable=ansible-bad-function
                              timeout=120, check=False, **kwargs)
        return proc.returncode, proc.stdout.decode('utf-8', 'replace')

    def run(self):
        self.check_files()
        self.check_tls()
        self.check_writable()
        self.check_port()
        self.check_s3()
        self.check_redis()
        self.check_dynamodb()
        self.verify()
        return {'checked': self.checked, 'skipped': self.skipped}

    # -- files and directories, as the service user ---------------------------------------------
    def _as_user(self, needs):
        """The subset of [(need, path)] the service user fails, tested as that user."""
        if not needs:
            return []
        argv = ['/bin/sh', '-c', _ACCESS_SCRIPT, 'zot-access'] + ['%s:%s' % need for need in needs]
        rc, out = self.run_command(argv, **self.user.popen_kwargs())
        if rc != 0:
            raise HostCheckError('access', 'could not test file access as %s: %s' % (self.user.name, out.strip()))
        failed = set(line.strip() for line in out.splitlines() if line.strip())
        return [need for need in needs if '%s:%s' % need in failed]

    def _user_note(self):
        return '' if self.user.switchable else ' (checked as %s: cannot switch to %s)' % (
            pwd.getpwuid(os.geteuid()).pw_name, self.user.name)

    def check_files(self):
        needs, keys = [], {}
        for key, path in read_files(self.config):
            if path in self.staged_files:
                self.checked.append('%s %s: written by this run' % (key, path))
                continue
            if not os.path.exists(path):
                raise HostCheckError('missing_file', '%s %s does not exist: zot reads it at start' % (key, path))
            needs.append(('r', path))
            keys[path] = key
        if not self.user.exists:
            self.skipped.append('file access as %s (the user does not exist yet)' % self.user.name)
            return
        for need, path in self._as_user(needs):
            raise HostCheckError('unreadable_file', '%s %s is not readable by the zot user %s%s' % (
                keys[path], path, self.user.name, self._user_note()))
        self.checked.extend('%s %s: readable by %s' % (keys[p], p, self.user.name) for _n, p in needs)

    def check_tls(self):
        tls = config_value(self.config, 'http', 'tls') or {}
        if not tls.get('cert') or not tls.get('key'):
            if tls.get('cert') or tls.get('key'):
                raise HostCheckError('tls', 'http.tls needs both cert and key (got %s)' % ', '.join(
                    k for k in ('cert', 'key') if tls.get(k)))
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(tls['cert'], tls['key'])
            if tls.get('cacert'):
                context.load_verify_locations(cafile=tls['cacert'])
        except (ssl.SSLError, OSError, ValueError) as error:
            raise HostCheckError('tls', 'http.tls cert %s / key %s%s do not load as a TLS server key pair: %s' % (
                tls['cert'], tls['key'], ' / cacert %s' % tls['cacert'] if tls.get('cacert') else '', error))
        self.checked.append('http.tls: %s and %s load as a key pair' % (tls['cert'], tls['key']))

    def _created_by_this_run(self, path):
        path = os.path.abspath(path)
        return any(path == d or path.startswith(d.rstrip('/') + '/') for d in self.staged_dirs)

    def check_writable(self):
        needs, keys = [], {}
        for key, path in storage_dirs(self.config) + log_files(self.config):
            if self._created_by_this_run(path):
                self.checked.append('%s %s: in a directory this run creates or hands to %s' % (key, path, self.user.name))
        for key, directory in storage_dirs(self.config):
            if self._created_by_this_run(directory):
                continue
            # zot creates a missing root directory: then its nearest existing parent must be writable.
            target = _nearest_existing(directory)
            if not os.path.isdir(target):
                raise HostCheckError('storage', '%s %s: %s is not a directory' % (key, directory, target))
            needs.append(('x', target))
            keys[('x', target)] = (key, directory)
        for key, path in log_files(self.config):
            if self._created_by_this_run(path):
                continue
            if os.path.isdir(path):
                raise HostCheckError('log', '%s %s is a directory, not a file' % (key, path))
            need = ('w', path) if os.path.exists(path) else ('x', _nearest_existing(os.path.dirname(path)))
            needs.append(need)
            keys[need] = (key, path)
        if not self.user.exists:
            self.skipped.append('storage and log access as %s (the user does not exist yet)' % self.user.name)
            return
        for need in self._as_user(needs):
            key, path = keys[need]
            what = 'cannot write to' if need[1] == path else 'cannot create %s in' % path
            cause = 'storage' if key.startswith('storage') else 'log'
            raise HostCheckError(cause, '%s: the zot user %s %s %s%s' % (
                key, self.user.name, what, need[1], self._user_note()))
        self.checked.extend('%s %s: writable by %s' % (keys[n][0], keys[n][1], self.user.name) for n in needs)

    # -- the listen address -----------------------------------------------------------------------
    def check_port(self):
        address, port = listen_address(self.config)
        if not port.isdigit():
            return  # zot verify names a bad port
        if self.live_config is not None and listen_address(self.live_config) == (address, port):
            # The running zot holds it; a restart frees it for the same service.
            self.skipped.append('listen address %s:%s (the running zot uses it)' % (address, port))
            return
        family = socket.AF_INET6 if ':' in address else socket.AF_INET
        probe = socket.socket(family, socket.SOCK_STREAM)
        try:
            # What zot's listener sets too: a port in TIME_WAIT is free for it.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address.strip('[]'), int(port)))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise HostCheckError('port', 'http.address/http.port %s:%s is already in use by another program' % (
                    address or '*', port))
            if error.errno == errno.EADDRNOTAVAIL:
                raise HostCheckError('port', 'http.address %s is not an address of this host' % address)
            raise HostCheckError('port', 'cannot listen on %s:%s: %s' % (address or '*', port, error))
        finally:
            probe.close()
        self.checked.append('listen address %s:%s: free' % (address or '*', port))

    # -- shared stores: S3 and Redis ---------------------------------------------------------------
    def _s3_credentials(self):
        path = self.environment.get('AWS_SHARED_CREDENTIALS_FILE')
        if not path:
            return None
        if path in self.staged_files:
            text = self.staged_files[path]
        else:
            try:
                with open(path) as handle:
                    text = handle.read()
            except (IOError, OSError) as error:
                raise HostCheckError('s3_credentials', 'AWS_SHARED_CREDENTIALS_FILE %s cannot be read: %s' % (path, error))
        credentials = parse_shared_credentials(text)
        if not credentials:
            raise HostCheckError('s3_credentials', '%s has no [default] aws_access_key_id and aws_secret_access_key' % path)
        return credentials

    def check_s3(self):
        driver = config_value(self.config, 'storage', 'storageDriver') or {}
        if driver.get('name') != 's3':
            return
        credentials = self._s3_credentials()
        try:
            status = head_bucket(driver, credentials)
        except BucketCheckError as error:
            raise HostCheckError('s3_' + error.cause, 'storage.storageDriver: %s' % error.message)
        self.checked.append('storage.storageDriver: bucket %s answers%s' % (
            driver['bucket'], ' (signed with the staged keys)' if credentials else
            ' (exists; access with the keys from the environment not tried)' if status == 403 else ''))

    def check_redis(self):
        seen = set()
        for key, driver in (('storage.cacheDriver', config_value(self.config, 'storage', 'cacheDriver')),
                            ('http.auth.sessionDriver', config_value(self.config, 'http', 'auth', 'sessionDriver'))):
            if not isinstance(driver, dict) or driver.get('name') != 'redis' or not driver.get('url'):
                continue
            identity = (driver['url'], driver.get('username'), driver.get('password'))
            if identity in seen:
                continue
            seen.add(identity)
            try:
                ping(driver['url'], driver.get('username'), driver.get('password'))
            except RedisCheckError as error:
                raise HostCheckError(error.cause, '%s: %s' % (key, error.message))
            self.checked.append('%s: Redis at %s answers PING' % (key, describe(driver['url'])))

    def check_dynamodb(self):
        driver = config_value(self.config, 'storage', 'cacheDriver') or {}
        if driver.get('name') != 'dynamodb' or not driver.get('endpoint'):
            return  # AWS's own endpoint: the SDK finds it from the region
        try:
            status = endpoint_status(driver['endpoint'], service='DynamoDB')
        except EndpointCheckError as error:
            raise HostCheckError('dynamodb', 'storage.cacheDriver: %s' % error.message)
        self.checked.append('storage.cacheDriver: DynamoDB endpoint %s answers (%d)' % (driver['endpoint'], status))

    # -- zot verify -------------------------------------------------------------------------------
    def verify(self):
        if not self.binary or not os.access(self.binary, os.X_OK):
            self.skipped.append('zot verify (no binary at %s yet)' % self.binary)
            return
        workdir = tempfile.mkdtemp(prefix='zot-verify-')
        try:
            self.user.chown(workdir)
            staged = {}
            for index, (path, content) in enumerate(sorted(self.staged_files.items())):
                copy_path = os.path.join(workdir, 'staged-%d-%s' % (index, os.path.basename(path)))
                fd = os.open(copy_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, 'w') as handle:
                    handle.write(content)
                self.user.chown(copy_path)
                staged[path] = copy_path
            config_path = os.path.join(workdir, 'config.json')
            with open(config_path, 'w') as handle:
                json.dump(verifiable_copy(self.config, staged), handle, indent=2, sort_keys=True)
            self.user.chown(config_path)
            rc, out = self.run_command([self.binary, 'verify', config_path], **self.user.popen_kwargs())
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if rc != 0:
            raise HostCheckError('verify', 'zot verify rejected the configuration: %s' % _verify_error(out))
        self.checked.append('zot verify: valid')


def _verify_error(output):
    """zot logs JSON lines and cobra prints the final error as text: keep the text when there is
    some, else the JSON lines' error messages, never the whole log."""
    text, logged = [], []
    for line in output.splitlines():
        line = line.strip()
        try:
            entry = json.loads(line)
        except ValueError:
            if line:
                text.append(line)
            continue
        if isinstance(entry, dict) and entry.get('level') in ('error', 'fatal', 'panic'):
            logged.append(': '.join(str(entry[k]) for k in ('message', 'error') if entry.get(k)))
    found = text or logged
    return ' '.join(found)[:1000] if found else output.strip()[-500:]
