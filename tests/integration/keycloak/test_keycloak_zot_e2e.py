"""The whole flow through a real zot: the role registers zot in Keycloak, zot runs with the provider
entry the role produced, a browser signs in through zot's own login, the session makes an API key,
and skopeo pushes with it; an overwrite of the pushed tag is refused (the CI group may read and create).

Needs the zot binary (zot_factory skips with the reason where it cannot be built).
"""
import datetime
import json

import pytest

from integration.harness import zot as zot_harness
from integration.keycloak.kc_helpers import zot_with_keycloak_oidc

pytestmark = [pytest.mark.keycloak, pytest.mark.zot, pytest.mark.browser, pytest.mark.slow]

CI_GROUP = "registry-ci"
TEST_USER = "ci-pusher"


@pytest.mark.parametrize("zot_bin", zot_harness.RELEASES, indirect=True)  # the oldest release the role supports too
def test_login_through_zot_then_push_with_api_key(zot_bin, zot_factory, keycloak_server, realm, browser_page,
                                                  oci_image, oci_image_factory, skopeo_copy, tmp_path):
    zot, password = zot_with_keycloak_oidc(zot_factory, keycloak_server, realm, tmp_path, CI_GROUP, TEST_USER)
    zot_url = zot.url

    # Browser: zot's login sends it to Keycloak; after signing in, zot's callback sets the session.
    browser_page.goto(f"{zot_url}/zot/auth/login?provider=oidc&callback_ui={zot_url}/v2/")
    browser_page.wait_for_url(lambda url: url.startswith(keycloak_server.url), timeout=30000)
    browser_page.fill("#username", TEST_USER)
    browser_page.fill("#password", password)
    browser_page.click("#kc-login")
    browser_page.wait_for_url(lambda url: url.startswith(zot_url) and "/zot/auth/callback/" not in url,
                              timeout=30000)
    cookies = browser_page.context.cookies(zot_url)
    assert cookies, f"zot set no session cookie:\n{zot.log_tail()}"

    # The signed-in session makes an API key.
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = browser_page.request.post(f"{zot_url}/zot/auth/apikey",
                                         data=json.dumps({"label": "ci", "scopes": [], "expirationDate": expires}),
                                         # as zot's own UI does: the session cookie counts with this header
                                         headers={"Content-Type": "application/json", "X-ZOT-API-CLIENT": "zot-ui"})
    assert response.status == 201, f"{response.status} {response.text()}\n{zot.log_tail()}"
    api_key = response.json()["apiKey"]
    assert api_key.startswith("zak_")

    user = f"{TEST_USER}@example.test"  # zot's username comes from the email claim by default
    target = f"docker://127.0.0.1:{zot.port}/ci/hello:1.0"
    anonymous = skopeo_copy(oci_image, target)
    assert anonymous.returncode != 0
    pushed = skopeo_copy(oci_image, target, creds=f"{user}:{api_key}")
    assert pushed.returncode == 0, f"{pushed.stderr}\n{zot.log_tail()}"

    # [read, create]: a new tag is fine, the same tag with other content is refused.
    other = oci_image_factory(tag="1.0", content="something else")
    overwrite = skopeo_copy(other, target, creds=f"{user}:{api_key}")
    assert overwrite.returncode != 0, overwrite.stdout
