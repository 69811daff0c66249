# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API key rotation engine behind ``zot_api_key``: due dates, the journal and the steps
create -> set -> test -> finish (as an AWS Secrets Manager rotation), with the rollback.

It talks to zot only through ``zot_api.ZotClient`` and to the stores only through
``secret_stores.SecretStore``; private to the collection (the module is its interface).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import time

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.zotops.zot.plugins.module_utils.zot_api import ZotApiError


# ---------------------------------------------------------------------------------------------
# time helpers (Python 3.8: no fromisoformat for Go's nanosecond timestamps)
# ---------------------------------------------------------------------------------------------
_TS = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$')


class _UTC(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(0)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return 'UTC'


UTC = _UTC()


def parse_time(text):
    """A Go/RFC 3339 timestamp as an aware UTC datetime; None for zot's zero time or empty."""
    if not text or text.startswith('0001-01-01'):
        return None
    m = _TS.match(text.strip())
    if not m:
        raise ValueError('not an RFC 3339 timestamp: %r' % text)
    year, month, day, hour, minute, second = [int(x) for x in m.groups()[:6]]
    frac = m.group(7) or ''
    micro = int((frac[1:] + '000000')[:6]) if frac else 0
    dt = datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    tz = m.group(8)
    if tz and tz not in ('Z', 'z'):
        sign = 1 if tz[0] == '+' else -1
        offset = datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
        dt = dt - sign * offset
    return dt


def utcnow():
    return datetime.datetime.now(UTC)


def format_time(dt):
    return dt.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def days_left(key, now=None):
    """Days of validity left for a key's details (float), None if it never expires."""
    exp = parse_time(key.get('expirationDate'))
    if exp is None:
        return None
    return ((exp - (now or utcnow())).total_seconds()) / 86400.0


def public_key_details(key):
    """What a module may return about a key: never a secret (zot never lists one anyway)."""
    fields = ('uuid', 'label', 'scopes', 'createdAt', 'expirationDate', 'isExpired', 'lastUsed', 'generatedBy')
    out = dict((k, key.get(k)) for k in fields if k in key)
    if (out.get('expirationDate') or '').startswith('0001-01-01'):
        out['expirationDate'] = None
    return out


# ---------------------------------------------------------------------------------------------
# Rotation engine: create -> set -> test -> finish (as AWS Secrets Manager rotation)
# ---------------------------------------------------------------------------------------------
class RotationError(Exception):
    def __init__(self, step, message, details=None):
        super(RotationError, self).__init__('API key rotation failed at step %s: %s' % (step, message))
        self.step = step
        self.details = details or {}


class Journal(object):
    """Records a key between its creation and the end of its rotation, so that a key whose
    revocation failed (zot down) is revoked by the next run instead of being left behind."""

    def __init__(self, path):
        self.path = path

    def pending(self):
        if not self.path or not os.path.exists(self.path):
            return []
        try:
            with open(self.path) as f:
                return json.load(f).get('pending', [])
        except (IOError, OSError, ValueError):
            return []

    def _save(self, pending):
        if not self.path:
            return
        if not pending:
            if os.path.exists(self.path):
                os.unlink(self.path)
            return
        tmp = self.path + '.tmp'
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump({'pending': pending}, f)
        os.rename(tmp, self.path)

    def add(self, uuid):
        p = self.pending()
        if uuid not in p:
            p.append(uuid)
        self._save(p)

    def remove(self, uuid):
        self._save([u for u in self.pending() if u != uuid])


def select_label(keys, label):
    return [k for k in keys if k.get('label') == label]


def rotation_due(keys, min_days_valid, now=None):
    """(due, reason, best_key): due when no usable key with the label has enough validity."""
    usable = [k for k in keys if not k.get('isExpired')]
    if not usable:
        return True, 'no key with this label' if not keys else 'every key with this label expired', None

    def remaining(k):
        d = days_left(k, now)
        return float('inf') if d is None else d

    best = max(usable, key=remaining)
    left = remaining(best)
    if left < min_days_valid:
        return True, 'the newest key has %.1f days left (< %s)' % (left, min_days_valid), best
    return False, 'a key has %s days left' % ('unlimited' if left == float('inf') else '%.1f' % left), best


class Rotation(object):
    """One rotation. ``stores`` follow secret_stores.SecretStore; ``client`` is a ZotClient."""

    STEPS = ('read', 'create', 'set', 'test', 'finish')

    def __init__(self, client, label, stores=None, scopes=None, expiration_date=None,
                 test_push_repository=None, journal=None, revoke_retries=3, retry_delay=1.0,
                 log=None, fault=None):
        self.client = client
        self.label = label
        self.stores = list(stores or [])
        self.scopes = scopes or []
        self.expiration_date = expiration_date
        self.test_push_repository = test_push_repository
        self.journal = journal or Journal(None)
        self.revoke_retries = revoke_retries
        self.retry_delay = retry_delay
        self.log = log or (lambda msg: None)
        self.fault = fault  # test hook: callable(step) raising to simulate a failure
        self.result = dict(steps=[], stores=[], revoked=[], recovered=[])

    def _step(self, name):
        self.result['steps'].append(name)
        if self.fault:
            self.fault(name)

    def recover(self):
        """Revoke keys a previous run created but could not revoke (see Journal)."""
        for uuid in self.journal.pending():
            try:
                self.client.revoke_key(uuid)
                self.journal.remove(uuid)
                self.result['recovered'].append(uuid)
            except ZotApiError as e:
                raise RotationError('recover', 'a key left by an earlier failed rotation (%s) could '
                                    'not be revoked: %s' % (uuid, e))

    def _revoke_with_retries(self, client, uuid):
        last = None
        for attempt in range(self.revoke_retries):
            try:
                client.revoke_key(uuid)
                return None
            except ZotApiError as e:
                last = e
                if attempt + 1 < self.revoke_retries:
                    time.sleep(self.retry_delay * (attempt + 1))
        return last

    def run(self, previous_value=None, keys=None):
        """Rotate. Returns (new_key_doc_without_secret, secret). Raises RotationError.

        ``keys``: the user's keys as just listed by the caller (saves listing them again).
        """
        if not self.client.username:
            raise RotationError('read', 'username is needed to test the new key (with session_cookie too)')
        self.recover()

        # read: learn what every store holds before anything is made.
        self._step('read')
        snapshots = []
        try:
            old_keys = select_label(self.client.list_keys() if keys is None else keys, self.label)
        except ZotApiError as e:
            raise RotationError('read', str(e))
        for store in self.stores:
            try:
                snapshots.append(store.read())
            except Exception as e:
                raise RotationError('read', 'store %s: %s' % (store.label, store_error_text(store, e)))
        if previous_value is None:
            for snap in snapshots:
                if snap.known and snap.exists and snap.value:
                    previous_value = snap.value
                    break

        # Stores that can tell they could not be written (a file store's directory) say so now,
        # before a key is made that would only be revoked again.
        for store in self.stores:
            try:
                store.check_writable()
            except Exception as e:
                raise RotationError('read', 'store %s: %s' % (store.label, store_error_text(store, e)))

        # create
        self._step('create')
        try:
            created = self.client.create_key(self.label, self.scopes, self.expiration_date)
        except ZotApiError as e:
            raise RotationError('create', str(e))
        secret = created.pop('apiKey')
        new_uuid = created['uuid']
        self.journal.add(new_uuid)
        written = []
        try:
            # set
            self._step('set')
            for store, snap in zip(self.stores, snapshots):
                try:
                    res = store.ensure(secret, snapshot=snap)
                    written.append((store, snap))
                    self.result['stores'].append(res)
                except Exception as e:
                    written.append((store, snap))  # a failed write may have half-happened
                    raise RotationError('set', 'store %s: %s' % (store.label, store_error_text(store, e)))
            # test
            self._step('test')
            new_client = self.client.with_api_key(secret)
            try:
                listed = [k.get('uuid') for k in new_client.check_auth()]
                if new_uuid not in listed:
                    raise ZotApiError('the new key authenticates as another user (its uuid is not in the list)')
                if self.test_push_repository:
                    new_client.check_push(self.test_push_repository)
            except ZotApiError as e:
                raise RotationError('test', 'the new key %s: %s' % (new_uuid, e))
        except RotationError as err:
            self._rollback(err, written, previous_value, new_uuid)
            raise

        # finish: revoke the old keys with this label, authenticated by the new key when the
        # caller used an API key (which may be one of the keys being revoked).
        self._step('finish')
        finisher = new_client if self.client.auth[0] == 'api_key' else self.client
        failed = []
        for key in old_keys:
            err = self._revoke_with_retries(finisher, key['uuid'])
            if err is None:
                self.result['revoked'].append(key['uuid'])
            else:
                failed.append('%s (%s)' % (key['uuid'], err))
        self.journal.remove(new_uuid)
        if failed:
            raise RotationError('finish', 'the new key %s is stored everywhere and works, but old keys '
                                'could not be revoked: %s; run again to revoke them' % (new_uuid, '; '.join(failed)),
                                details=dict(new_key=created))
        return created, secret

    def _rollback(self, err, written, previous_value, new_uuid):
        notes = []
        for store, snap in reversed(written):
            try:
                notes.append('%s %s' % (store.label, store.restore(snap, previous_value)))
            except Exception as e:
                notes.append('%s NOT restored: %s' % (store.label, store_error_text(store, e)))
        revoke_err = self._revoke_with_retries(self.client, new_uuid)
        if revoke_err is None:
            self.journal.remove(new_uuid)
            notes.append('new key %s revoked' % new_uuid)
        else:
            notes.append('new key %s could NOT be revoked (%s)%s' % (
                new_uuid, revoke_err, '; the next run revokes it (journal %s)' % self.journal.path
                if self.journal.path else '; revoke it with state=absent id=%s' % new_uuid))
        err.details['rollback'] = notes
        err.args = ('%s; rollback: %s' % (err.args[0], '; '.join(notes)),)


def _msg(e):
    return to_native(e) if str(e) else type(e).__name__


def store_error_text(store, e):
    """A store's error without the store's label again (the caller names the store)."""
    msg = _msg(e)
    prefix = '%s: ' % store.label
    return msg[len(prefix):] if msg.startswith(prefix) else msg


def expiration_from_days(days, now=None):
    if not days:
        return None
    return format_time((now or utcnow()) + datetime.timedelta(days=days))
