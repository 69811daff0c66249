# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HAProxy's runtime API (the admin `stats socket`): read a server's state, drain it, bring it back."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import csv
import socket
import time

STATES = ('ready', 'drain', 'maint')


class HAProxyError(Exception):
    pass


class HAProxyRuntime(object):
    """One command per connection (the socket's non-interactive mode): ``address`` is a unix socket
    path or ``host:port`` of a TCP admin socket."""

    def __init__(self, address, timeout=10):
        self.address = address
        self.timeout = timeout

    def _connect(self):
        if self.address.startswith('/'):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(self.address)
            return sock
        host, _sep, port = self.address.rpartition(':')
        if not host or not port.isdigit():
            raise HAProxyError('socket %r is neither a unix socket path nor host:port' % self.address)
        return socket.create_connection((host.strip('[]'), int(port)), timeout=self.timeout)

    def command(self, line):
        try:
            sock = self._connect()
        except (socket.error, OSError) as error:
            raise HAProxyError('cannot reach the HAProxy runtime API at %s: %s' % (self.address, error))
        try:
            sock.sendall(line.encode('utf-8') + b'\n')
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        except (socket.error, OSError) as error:
            raise HAProxyError('the HAProxy runtime API at %s broke off: %s' % (self.address, error))
        finally:
            sock.close()
        answer = b''.join(chunks).decode('utf-8', 'replace')
        if answer.startswith('Unknown command') or 'Permission denied' in answer:
            raise HAProxyError('HAProxy refused %r: %s (the stats socket needs "level admin")' % (
                line.split(' ')[0], answer.strip().splitlines()[0]))
        return answer

    def server(self, backend, server):
        """The server's row of `show stat` (pxname, svname, status, scur, qcur, ...)."""
        text = self.command('show stat')
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines or not lines[0].startswith('# '):
            raise HAProxyError('unexpected answer to "show stat": %s' % text[:200])
        rows = csv.DictReader([lines[0][2:]] + lines[1:])
        backends = set()
        for row in rows:
            backends.add(row.get('pxname'))
            if row.get('pxname') == backend and row.get('svname') == server:
                return row
        if backend not in backends:
            raise HAProxyError('HAProxy has no backend %r (it has %s)' % (backend, ', '.join(sorted(b for b in backends if b))))
        raise HAProxyError('HAProxy backend %r has no server %r' % (backend, server))

    def set_state(self, backend, server, state):
        answer = self.command('set server %s/%s state %s' % (backend, server, state)).strip()
        if answer:
            raise HAProxyError('HAProxy did not set %s/%s to %s: %s' % (backend, server, state, answer))


def current_state(row):
    """ready, drain or maint, from a `show stat` row's status."""
    status = (row.get('status') or '').upper()
    if status.startswith('MAINT'):
        return 'maint'
    if status.startswith('DRAIN') or status.startswith('NOLB'):
        return 'drain'
    return 'ready'


def settled(row, state):
    """Whether a server in ``state`` has reached what that state promises: no sessions left (drain,
    maint) or health checks passing (ready)."""
    if state == 'ready':
        status = (row.get('status') or '').upper()
        return status.startswith('UP') and '/' not in status or status == 'NO CHECK'
    return int(row.get('scur') or 0) == 0 and int(row.get('qcur') or 0) == 0


def wait_settled(runtime, backend, server, state, timeout, interval=0.5, clock=time.monotonic, sleep=time.sleep):
    deadline = clock() + timeout
    while True:
        row = runtime.server(backend, server)
        if settled(row, state):
            return row
        if clock() >= deadline:
            raise HAProxyError('%s/%s did not become %s within %ss (status %s, %s sessions, %s queued)' % (
                backend, server, 'healthy' if state == 'ready' else 'idle', timeout, row.get('status'),
                row.get('scur'), row.get('qcur')))
        sleep(interval)
