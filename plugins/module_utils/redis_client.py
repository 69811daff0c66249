# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Redis as zot's cache, metadata and session store sees it: AUTH (if any) and PING over RESP.

Pure standard library, so the hosts that run zot need no Redis client library.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import ssl

try:
    from urllib.parse import unquote, urlparse
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    raise

from ansible_collections.zotops.zot.plugins.module_utils._check_error import CheckError


class RedisCheckError(CheckError):
    """``cause`` is redis (unreachable or not Redis) or redis_auth (credentials refused)."""


def _command(*args):
    parts = ['*%d\r\n' % len(args)]
    for arg in args:
        data = str(arg)
        parts.append('$%d\r\n%s\r\n' % (len(data.encode('utf-8')), data))
    return ''.join(parts).encode('utf-8')


def _reply(stream):
    line = stream.readline()
    if not line:
        raise RedisCheckError('redis', 'the connection closed without an answer')
    return line.rstrip(b'\r\n').decode('utf-8', 'replace')


def describe(url):
    """The URL without any password, for messages."""
    parsed = urlparse(url)
    if parsed.scheme == 'unix':
        return 'unix://' + parsed.path
    return '%s://%s%s' % (parsed.scheme, parsed.hostname or '', ':%d' % parsed.port if parsed.port else '')


def ping(url, username=None, password=None, timeout=5):
    """Connect to the Redis at ``url`` as zot would, authenticate, PING and SELECT the URL's database.
    Returns 'PONG' or raises RedisCheckError."""
    parsed = urlparse(url)
    where = describe(url)
    try:
        if parsed.scheme == 'unix':
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parsed.path)
        else:
            sock = socket.create_connection((parsed.hostname or 'localhost', parsed.port or 6379), timeout=timeout)
            if parsed.scheme == 'rediss':
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parsed.hostname)
    except (socket.error, ssl.SSLError, OSError) as error:
        raise RedisCheckError('redis', 'Redis at %s does not answer: %s' % (where, error))
    try:
        stream = sock.makefile('rb')
        username = username or (unquote(parsed.username) if parsed.username else None)
        password = password or (unquote(parsed.password) if parsed.password else None)
        if password:
            sock.sendall(_command('AUTH', username, password) if username else _command('AUTH', password))
            answer = _reply(stream)
            if not answer.startswith('+'):
                raise RedisCheckError('redis_auth', 'Redis at %s refused the credentials: %s' % (where, answer.lstrip('-')))
        sock.sendall(_command('PING'))
        answer = _reply(stream)
        if answer != '+PONG':
            cause = 'redis_auth' if 'NOAUTH' in answer or 'WRONGPASS' in answer else 'redis'
            raise RedisCheckError(cause, 'Redis at %s did not answer PING: %s' % (where, answer.lstrip('-')))
        database = (parsed.path or '').strip('/') if parsed.scheme != 'unix' else ''
        if database:
            sock.sendall(_command('SELECT', database))
            answer = _reply(stream)
            if not answer.startswith('+'):
                raise RedisCheckError('redis', 'Redis at %s has no database %s: %s' % (where, database, answer.lstrip('-')))
        return 'PONG'
    except (socket.error, ssl.SSLError, OSError) as error:
        raise RedisCheckError('redis', 'Redis at %s does not answer: %s' % (where, error))
    finally:
        sock.close()
