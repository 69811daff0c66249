# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""authentik's side of zot_api_key's oidc_login: its flow executor API, as authentik's own flow
interface drives it (authentik 2025.12: authentik/flows/views/executor.py, authentik/flows/stage.py).

authentik's authorization endpoint sends an anonymous client to a flow page, ``/if/flow/<slug>/?<qs>``
(the plan is in the Django session). Instead of that page this client asks the executor:
``GET /api/v3/flows/executor/<slug>/?query=<qs>`` answers the current stage's challenge (JSON,
``component`` names the stage); ``POST`` the answer to the same URL; a passed stage answers 302 back
to the same URL (GET it for the next challenge), a refused answer the same challenge with
``response_errors``. The flow ends with ``xak-flow-redirect`` to ``next`` (the authorization endpoint,
which then redirects to zot's redirect_uri with the code, or to the authorization flow's page).

Answered: identification (username, and the password when the stage asks for it), password, user
login (``remember_me`` false). Every other stage stops the sign-in, named by its component.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urljoin, urlsplit

from ansible_collections.zotops.zot.plugins.module_utils._oidc_login import OidcLoginError, origin

MAX_STEPS = 24
EXECUTOR_PATH = '/api/v3/flows/executor/%s/'
_FLOW_PAGE = re.compile(r'/if/flow/([^/]+)/?$')

# Stages only a person can answer, by component, with what they ask for.
PERSON_STAGES = {
    'ak-stage-authenticator-validate': 'MFA',
    'ak-stage-authenticator-totp': 'MFA setup: TOTP',
    'ak-stage-authenticator-static': 'MFA setup: static tokens',
    'ak-stage-authenticator-webauthn': 'MFA setup: WebAuthn',
    'ak-stage-authenticator-duo': 'MFA: Duo',
    'ak-stage-authenticator-sms': 'MFA: SMS',
    'ak-stage-authenticator-email': 'MFA: email',
    'ak-stage-consent': 'consent',
    'ak-stage-captcha': 'captcha',
    'ak-stage-prompt': 'prompt',
    'ak-stage-email': 'email verification',
    'ak-stage-endpoint-agent': 'device agent',
    'ak-provider-oauth2-device-code': 'device code',
    'ak-stage-autosubmit': 'form post',
    'xak-flow-frame': 'frame',
    'xak-flow-shell': 'HTML page',
}


def flow_of(url):
    """(slug, query string) when ``url`` is authentik's flow page, else None."""
    parts = urlsplit(url)
    m = _FLOW_PAGE.search(parts.path)
    return (m.group(1), parts.query) if m else None


def executor_url(base, slug, query):
    return '%s%s?%s' % (base, EXECUTOR_PATH % quote(slug), urlencode({'query': query}))


def errors_text(challenge):
    """authentik's response_errors ({field: [{string, code}]}) as one line."""
    out = []
    for field, errors in sorted((challenge.get('response_errors') or {}).items()):
        for err in errors or []:
            text = err.get('string') if isinstance(err, dict) else str(err)
            out.append(text if field in ('non_field_errors',) else '%s: %s' % (field, text))
    return '; '.join(out)


def answer(challenge, username, password):
    """The JSON answer to a challenge, or raise naming the stage."""
    component = challenge.get('component') or ''
    if component == 'ak-stage-identification':
        if challenge.get('captcha_stage'):
            raise OidcLoginError("authentik flow stage 'ak-stage-identification' (captcha) cannot be answered without "
                                 "a person", stage=component, idp='authentik')
        if not challenge.get('user_fields'):
            raise OidcLoginError("authentik flow stage 'ak-stage-identification' offers no username field (only "
                                 "sources or passkeys), which cannot be answered without a person",
                                 stage=component, idp='authentik')
        body = {'component': component, 'uid_field': username}
        if challenge.get('password_fields'):
            body['password'] = password
        return body
    if component == 'ak-stage-password':
        return {'component': component, 'password': password}
    if component == 'ak-stage-user-login':
        return {'component': component, 'remember_me': False}
    if component == 'ak-stage-access-denied':
        raise OidcLoginError("authentik flow stage 'ak-stage-access-denied': %s"
                             % (challenge.get('error_message') or 'access denied'), stage=component, idp='authentik')
    if component == 'ak-stage-flow-error':
        raise OidcLoginError("authentik flow stage 'ak-stage-flow-error': %s (request %s)"
                             % (challenge.get('error') or 'the flow failed', challenge.get('request_id')),
                             stage=component, idp='authentik')
    if component == 'ak-stage-session-end':
        raise OidcLoginError("authentik flow stage 'ak-stage-session-end' ended the session", stage=component,
                             idp='authentik')
    if component in PERSON_STAGES:
        raise OidcLoginError("authentik flow stage '%s' (%s) cannot be answered without a person"
                             % (component, PERSON_STAGES[component]), stage=component, idp='authentik')
    raise OidcLoginError("authentik flow stage '%s' is unknown to this client and cannot be answered"
                         % (component or '(none)'), stage=component or 'unknown', idp='authentik')


class _Executor(object):
    def __init__(self, session, base):
        self.session = session
        self.browser = session.browser
        self.base = base

    def _headers(self, url):
        headers = {'Accept': 'application/json', 'Referer': url, 'Origin': self.base}
        csrf = self.browser.cookie('authentik_csrf', self.base)
        if csrf:
            headers['X-authentik-CSRF'] = csrf
        return headers

    def challenge(self, resp, url, steps):
        """Follow the executor's redirects to itself; return (challenge, steps)."""
        while resp.status in (301, 302, 303, 307):
            steps += 1
            if steps > MAX_STEPS:
                raise OidcLoginError('authentik kept redirecting within its flow', stage='redirect', idp='authentik')
            resp = self.browser.request('GET', resp.location, headers=self._headers(url))
        doc = resp.json()
        if resp.status != 200 or not isinstance(doc, dict):
            raise OidcLoginError('authentik flow executor answered HTTP %s%s' % (
                resp.status, (': ' + resp.text.strip()[:200]) if resp.text.strip() else ''),
                stage='flow executor', idp='authentik')
        return doc, steps

    def run(self, slug, query):
        """Run one flow; return the URL its final redirect points to (absolute)."""
        url = executor_url(self.base, slug, query)
        resp = self.browser.request('GET', url, headers=self._headers(url))
        challenge, steps = self.challenge(resp, url, 0)
        answered = None
        while True:
            component = challenge.get('component')
            if component == 'xak-flow-redirect':
                target = urljoin(self.base + '/', challenge.get('to') or '/')
                if urlsplit(target).path != urlsplit(url).path:
                    return target
                # the executor pointing at itself (a stage passed): fetch the next challenge
                resp = self.browser.request('GET', target, headers=self._headers(url))
                challenge, steps = self.challenge(resp, url, steps + 1)
                continue
            if answered and component == answered and challenge.get('response_errors'):
                raise OidcLoginError("authentik flow stage '%s' refused the answer: %s (flow %s)"
                                     % (component, errors_text(challenge), slug), stage=component, idp='authentik')
            try:
                body = answer(challenge, self.session.username, self.session.password)
            except OidcLoginError as e:
                e.args = ('%s (flow %s)' % (e.args[0], slug),)
                raise
            answered = component
            steps += 1
            if steps > MAX_STEPS:
                raise OidcLoginError('authentik flow %s did not end after %d steps' % (slug, MAX_STEPS),
                                     stage='redirect', idp='authentik')
            resp = self.browser.request('POST', url, json_body=body, headers=self._headers(url))
            challenge, steps = self.challenge(resp, url, steps)


def sign_in(session, authorize_url):
    """Sign in through authentik's flows; return zot's callback URL (with the code)."""
    browser = session.browser
    base = origin(authorize_url)
    executor = _Executor(session, base)
    url = authorize_url
    for dummy in range(6):
        resp = browser.request('GET', url)
        if resp.status not in (301, 302, 303, 307) or not resp.location:
            title = re.search(r'<title>([^<]*)</title>', resp.text)
            raise OidcLoginError("authentik's %s answered HTTP %s (%s), not a redirect to a flow or to zot: is the "
                                 "account allowed to use zot's application (its policy bindings)?" % (
                                     urlsplit(url).path, resp.status,
                                     title.group(1).strip() if title else resp.text.strip()[:120] or 'no body'),
                                 stage='authorize', idp='authentik')
        target = resp.location
        if session.is_callback(target):
            return target
        flow = flow_of(target)
        if flow is None:
            raise OidcLoginError("authentik's %s redirected to %s, neither a flow nor zot's callback"
                                 % (urlsplit(url).path, urlsplit(target).path), stage='authorize', idp='authentik')
        url = executor.run(*flow)
        if session.is_callback(url):
            return url
    raise OidcLoginError('authentik did not redirect to zot after 6 flows', stage='redirect', idp='authentik')
