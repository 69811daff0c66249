"""Unit tests of plugins/module_utils/_oidc_login_keycloak.py: reading Keycloak's login pages.

The pages are excerpts of what Keycloak 26.4.7 (keycloak.v2 login theme) answered in
tests/integration/keycloak/test_keycloak_first_key.py: the elements the client reads (forms,
fields, ids, title, messages), with the theme's markup around them kept.
"""
import pytest

from ansible_collections.zotops.zot.plugins.module_utils._oidc_login import OidcLoginError
from ansible_collections.zotops.zot.plugins.module_utils._oidc_login_keycloak import (
    describe, form_answer, parse_page, sign_in_form)

ACTION = ("http://127.0.0.1:36981/realms/dev/login-actions/authenticate?session_code=8prV2&amp;"
          "execution=e37e18a7&amp;client_id=zot&amp;tab_id=AAKRNt4")

LOGIN = f"""<!DOCTYPE html>
<html class="layout-pf" lang="en"><head><meta charset="utf-8"><title>Sign in to dev</title></head>
<body><main class="pf-v5-c-login__main">
  <div class="pf-v5-c-login__main-header">
    <h1 class="pf-v5-c-title pf-m-3xl" id="kc-page-title"><!-- template: login.ftl -->
        Sign in to your account
</h1></div>
  <div id="kc-form"><div id="kc-form-wrapper">
    <form id="kc-form-login" class="pf-v5-c-form pf-v5-u-w-100" onsubmit="login.disabled = true; return true;"
          action="{ACTION}" method="post" novalidate="novalidate">
      <span class="pf-v5-c-form-control {{error}}">
        <input id="username" name="username" value="{{user}}" type="text" autocomplete="username" autofocus
                aria-invalid="{{invalid}}"/>
      </span>
      <div id="input-error-container-username">{{message}}</div>
      <span class="pf-v5-c-form-control "><input id="password" name="password" value="" type="password"
            autocomplete="current-password" aria-invalid=""/></span>
      <button class="pf-v5-c-button pf-m-control" type="button" aria-label="Show password" aria-controls="password"
              data-password-toggle id="password-show-password"><i class="fa-eye fas" aria-hidden="true"></i></button>
      <input type="hidden" id="id-hidden-input" name="credentialId" />
      <button class="pf-v5-c-button pf-m-primary pf-m-block " name="login" id="kc-login" type="submit">Sign In</button>
    </form>
  </div></div>
</main></body></html>"""

ERROR = """
            <div class="pf-v5-c-form__helper-text" aria-live="polite">
                <div class="pf-v5-c-helper-text__item pf-m-error" id="input-error-username">
                        <span class="pf-v5-c-helper-text__item-text pf-m-error kc-feedback-text">
                            Invalid username or password.
                        </span>
                </div>
            </div>"""

CONFIGURE_TOTP = """<html><head><title>Sign in to dev</title></head><body>
  <h1 class="pf-v5-c-title pf-m-3xl" id="kc-page-title"><!-- template: login-config-totp.ftl -->
        Mobile Authenticator Setup</h1>
  <div class="pf-v5-c-alert pf-m-inline pf-v5-u-mb-md pf-m-warning">
    <span class="pf-v5-c-alert__title kc-feedback-text">You need to set up Mobile Authenticator to activate your account.</span>
  </div>
  <form action="http://127.0.0.1:36981/realms/dev/login-actions/required-action?session_code=Pt_R&amp;execution=CONFIGURE_TOTP"
        class="pf-v5-c-form pf-v5-u-w-100" id="kc-totp-settings-form" method="post" novalidate="novalidate">
    <input type="text" required id="totp" name="totp" autocomplete="one-time-code" inputmode="numeric" aria-invalid=""/>
    <input type="hidden" id="totpSecret" name="totpSecret" value="8l9EhWrw0tOrOn3qKPhB" />
    <input type="text" id="userLabel" name="userLabel" autocomplete="off" aria-invalid=""/>
    <input class="pf-v5-c-check__input" type="checkbox" id="logout-sessions" name="logout-sessions" value="on" checked>
    <input type="submit" class="pf-v5-c-button pf-m-primary" id="saveTOTPBtn" value="Submit"/>
  </form></body></html>"""


def login_page(message=""):
    return LOGIN.format(error="pf-m-error" if message else "", user="zot-ci" if message else "",
                        invalid="true" if message else "", message=message)


def test_the_sign_in_form_is_found_and_answered_with_its_hidden_fields():
    page = parse_page(login_page())
    assert page.title == "Sign in to your account" and page.messages == []
    form = sign_in_form(page)
    assert form["id"] == "kc-form-login" and form["method"] == "post"
    assert form["action"] == ACTION.replace("&amp;", "&")
    assert form_answer(form, "zot-ci", "s3cret") == {"username": "zot-ci", "password": "s3cret", "credentialId": ""}


def test_a_refused_password_comes_back_with_keycloaks_message():
    page = parse_page(login_page(ERROR))
    assert sign_in_form(page)["id"] == "kc-form-login"
    assert page.messages == ["Invalid username or password."]


def test_a_required_action_is_named_with_what_it_asks():
    page = parse_page(CONFIGURE_TOTP)
    assert sign_in_form(page) is None
    assert describe(page) == ("kc-totp-settings-form", " (required action: set up an authenticator app, MFA)",
                              "You need to set up Mobile Authenticator to activate your account.")


def test_a_one_time_code_page_is_mfa():
    page = parse_page('<html><body><h1 id="kc-page-title">Sign in</h1><form id="kc-otp-login-form" action="/x" '
                      'method="post"><input id="otp" name="otp" autocomplete="off" type="text"/>'
                      '<input name="login" id="kc-login" type="submit" value="Sign In"/></form></body></html>')
    assert sign_in_form(page) is None
    assert describe(page)[:2] == ("kc-otp-login-form", " (one-time code, MFA)")


def test_a_sign_in_form_asking_for_more_than_credentials_needs_a_person():
    page = parse_page('<form id="kc-form-login" action="/x" method="post"><input name="username"/>'
                      '<input name="password" type="password"/><input name="otp" type="text"/></form>')
    with pytest.raises(OidcLoginError) as err:
        form_answer(sign_in_form(page), "u", "p")
    assert "also asks for 'otp' (text field)" in str(err.value) and err.value.stage == "kc-form-login"


def test_a_username_first_form_is_answered_with_the_username_only():
    page = parse_page('<form id="kc-form-login" action="/x" method="post"><input name="username" type="text"/>'
                      '<input type="checkbox" name="rememberMe"/></form>')
    assert form_answer(sign_in_form(page), "u", "p") == {"username": "u"}


def test_consent_is_named_and_never_submitted():
    # login-oauth-grant.ftl: a form with the hidden code and accept/cancel buttons, no credentials
    page = parse_page('<div id="kc-oauth" class="content-area"><form class="form-actions" action="/consent" '
                      'method="POST"><input type="hidden" name="code" value="c"/>'
                      '<button name="accept" id="kc-login" type="submit">Yes</button>'
                      '<button name="cancel" id="kc-cancel" type="submit">No</button></form></div>')
    assert sign_in_form(page) is None
    assert describe(page)[:2] == ("kc-oauth", " (consent to the client)")
