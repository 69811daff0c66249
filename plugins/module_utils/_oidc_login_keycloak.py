# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keycloak's side of zot_api_key's oidc_login: its login form, as a browser submits it.

The authorization endpoint answers a page (Keycloak 26's keycloak.v2 login theme; the form ids are
the same in the older keycloak theme). The sign-in form (``kc-form-login``: ``username`` and/or
``password``, plus hidden fields) is submitted with the account's credentials; Keycloak then
redirects to zot's redirect_uri with the code, or answers another page: the same form with an error
(wrong password), or a page only a person can answer (one-time code, a required action, consent).
Such a page stops the sign-in, named by its form id.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.six.moves.html_parser import HTMLParser

from ansible_collections.zotops.zot.plugins.module_utils._oidc_login import OidcLoginError

MAX_PAGES = 8
# Fields of a sign-in form this client answers; any other visible field needs a person.
CREDENTIAL_FIELDS = ('username', 'password')
ANSWERABLE_TYPES = ('hidden', 'submit', 'button', 'checkbox')

# Keycloak's pages by a form or element id (read from Keycloak 26.4.7's keycloak.v2 and base login
# theme templates), with what they ask for.
PAGES = (
    ('kc-otp-login-form', 'one-time code, MFA'),
    ('kc-totp-settings-form', 'required action: set up an authenticator app, MFA'),
    ('kc-select-credential-form', 'choose a second factor, MFA'),
    ('kc-recovery-code-login-form', 'recovery code, MFA'),
    ('webauth', 'security key or passkey, MFA'),
    ('kc-form-webauthn', 'security key or passkey, MFA'),
    ('kc-webauthn-settings-form', 'required action: register a security key, MFA'),
    ('kc-passwd-update-form', 'required action: update the password'),
    ('kc-update-profile-form', 'required action: update the profile'),
    ('kc-update-email-form', 'required action: update the email'),
    ('kc-verify-email-form', 'required action: verify the email'),
    ('kc-terms-text', 'required action: accept the terms'),
    ('kc-accept', 'required action: accept the terms'),
    ('kc-oauth', 'consent to the client'),
    ('kc-register-form', 'registration'),
    ('kc-reset-password-form', 'password reset'),
    ('kc-error-message', 'error page'),
    ('kc-info-message', 'information page'),
)
_VOID = ('area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr')


class Page(object):
    """What matters in one Keycloak page: its forms, element ids, title and messages."""

    def __init__(self):
        self.forms = []
        self.ids = []
        self.title = ''
        self.messages = []

    def form(self, form_id):
        for f in self.forms:
            if f['id'] == form_id:
                return f
        return None

    def kind(self):
        """(marker id, description) of the first known page marker, else (first form id, None)."""
        for marker, what in PAGES:
            if marker in self.ids:
                return marker, what
        return (self.forms[0]['id'] if self.forms else None), None


class _Parser(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.page = Page()
        self._form = None
        self._stack = []   # [tag, capture-kind or None]
        self._buffers = {}

    def handle_starttag(self, tag, attrs):
        a = dict((k, v if v is not None else '') for k, v in attrs)
        if a.get('id'):
            self.page.ids.append(a['id'])
        if tag == 'form':
            self._form = dict(id=a.get('id') or '', action=a.get('action') or '', method=(a.get('method') or 'get').lower(),
                              fields=[])
            self.page.forms.append(self._form)
        elif tag in ('input', 'textarea', 'select') and self._form is not None:
            self._form['fields'].append(dict(name=a.get('name') or '', type=(a.get('type') or 'text').lower(),
                                             value=a.get('value') or '', id=a.get('id') or ''))
        elif tag == 'button' and self._form is not None and a.get('name'):
            self._form['fields'].append(dict(name=a['name'], type='submit', value=a.get('value') or '',
                                             id=a.get('id') or ''))
        if tag in _VOID:
            return
        capture = None
        classes = a.get('class') or ''
        if tag == 'title' or a.get('id') == 'kc-page-title':
            capture = 'title'
        elif (a.get('id') or '').startswith('input-error') or 'kc-feedback-text' in classes or \
                a.get('id') in ('kc-error-message', 'kc-info-message'):
            capture = 'message'
        if capture:
            self._buffers[len(self._stack)] = (capture, [])
        self._stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._stack and self._stack[-1] == tag:
            self._close(len(self._stack) - 1)

    def handle_endtag(self, tag):
        if tag == 'form':
            self._form = None
        if tag not in self._stack:
            return
        while self._stack:
            depth = len(self._stack) - 1
            top = self._stack[-1]
            self._close(depth)
            if top == tag:
                break

    def _close(self, depth):
        self._stack.pop()
        entry = self._buffers.pop(depth, None)
        if not entry:
            return
        kind, parts = entry
        text = re.sub(r'\s+', ' ', ''.join(parts)).strip()
        if not text:
            return
        if kind == 'title':
            self.page.title = text   # kc-page-title comes after <title> and is more specific
        elif text not in self.page.messages:
            self.page.messages.append(text)

    def handle_data(self, data):
        for kind, parts in self._buffers.values():
            parts.append(data)


def parse_page(html):
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def sign_in_form(page):
    """The form asking for the account's credentials, or None."""
    for form in page.forms:
        names = [f['name'] for f in form['fields']]
        if any(n in names for n in CREDENTIAL_FIELDS):
            return form
    return None


def form_answer(form, username, password):
    """The fields to submit, or raise naming the field a person would have to fill in."""
    data = {}
    for field in form['fields']:
        name, kind = field['name'], field['type']
        if not name:
            continue
        if name == 'username':
            data[name] = username
        elif name == 'password':
            data[name] = password
        elif kind == 'hidden':
            data[name] = field['value']
        elif kind in ANSWERABLE_TYPES:
            continue   # buttons and "remember me" stay unset, as an unticked browser form sends them
        else:
            raise OidcLoginError("Keycloak sign-in form '%s' also asks for '%s' (%s field), which cannot be answered "
                                 "without a person" % (form['id'], name, kind), stage=form['id'] or 'form', idp='keycloak')
    return data


def describe(page):
    marker, what = page.kind()
    name = marker or 'page'
    detail = ' (%s)' % what if what else (' (%s)' % page.title if page.title else '')
    msgs = '; '.join(page.messages)
    return name, detail, msgs


def sign_in(session, authorize_url):
    """Sign in on Keycloak's pages; return zot's callback URL (with the code)."""
    browser = session.browser
    resp = browser.request('GET', authorize_url)
    submitted = set()
    for dummy in range(MAX_PAGES):
        if resp.status in (301, 302, 303, 307):
            if session.is_callback(resp.location):
                return resp.location
            resp = browser.request('GET', resp.location)
            continue
        page = parse_page(resp.text)
        error = resp.json() if resp.text.lstrip().startswith('{') else None
        if isinstance(error, dict) and error.get('error'):
            # Keycloak's JSON errors, e.g. a login POST without its cookies
            page.messages.append(error.get('error_description') or error['error'])
        form = sign_in_form(page)
        # A form already answered that comes back (same id, same credential fields) was refused;
        # a username-first flow shows kc-form-login twice, with different fields.
        shape = form and (form['id'], tuple(sorted(f['name'] for f in form['fields'] if f['name'] in CREDENTIAL_FIELDS)))
        if form is not None and shape not in submitted:
            data = form_answer(form, session.username, session.password)
            submitted.add(shape)
            resp = browser.request('POST', form['action'] or resp.url, form=data)
            continue
        name, detail, msgs = describe(page)
        if form is not None:
            raise OidcLoginError("Keycloak sign-in form '%s' refused the credentials: %s"
                                 % (form['id'], msgs or 'the form came back (HTTP %s)' % resp.status),
                                 stage=form['id'], idp='keycloak')
        if resp.status >= 400 and not page.forms:
            raise OidcLoginError('Keycloak answered HTTP %s%s%s' % (resp.status, detail, (': ' + msgs) if msgs else ''),
                                 stage=name, idp='keycloak')
        raise OidcLoginError("Keycloak page '%s'%s cannot be answered without a person%s"
                             % (name, detail, (': ' + msgs) if msgs else ''), stage=name, idp='keycloak')
    raise OidcLoginError('Keycloak did not redirect to zot after %d pages' % MAX_PAGES, stage='redirect', idp='keycloak')
