"""Debian's chromium, driven by Playwright (no browser download: executable_path)."""
import json

CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without these, chromium retries Google's hosts at every start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 60000  # ms: one page of a sign-in, on two shared cores
# A page's text, shadow roots included (authentik's flow pages are web components).
PAGE_TEXT = """() => { const out = [];
  const walk = (n) => { if (n.nodeType === 3) { out.push(n.textContent); return; }
    if (n.nodeName === "SCRIPT" || n.nodeName === "STYLE") return;
    if (n.shadowRoot) walk(n.shadowRoot);
    n.childNodes.forEach(walk); };
  if (document.body) walk(document.body);
  return out.join(" "); }"""


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def browser_key(page, zot_url, label):
    """A zot API key made from a page's signed-in zot session, as zot's UI makes it."""
    response = page.request.post(f"{zot_url}/zot/auth/apikey", data=json.dumps({"label": label, "scopes": []}),
                                 headers={"Content-Type": "application/json", "X-ZOT-API-CLIENT": "zot-ui"})
    assert response.status == 201, f"{response.status} {response.text()}"
    return response.json()["apiKey"]


def keycloak_login(username, password):
    """Answers Keycloak's login page (one form: username and password)."""
    def answer(page):
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#kc-login")
    return answer


def authentik_login(username, password):
    """Answers authentik's default authentication flow: its identification stage, then its password
    stage. Each field is found inside its own stage: the identification stage also holds a hidden
    name=password input for password managers (web/src/flow/stages/identification/IdentificationStage.ts),
    and a password typed there never reaches the password stage, which is then sent empty."""
    def answer(page):
        page.locator("ak-stage-identification input[name=uidField]").fill(username, timeout=TIMEOUT)
        page.locator("ak-stage-identification button[type=submit]").click()
        page.locator("ak-stage-password input[type=password]").fill(password, timeout=TIMEOUT)
        page.locator("ak-stage-password button[type=submit]").click()
    return answer


def zot_oidc_sign_in(context, zot_url, idp_url, answer, screenshot=None):
    """zot's OIDC login -> the IdP's own pages (``answer(page)`` fills and submits them) -> zot's
    callback. Returns the page, signed in to zot. When the browser does not come back, the error names
    the page it stopped on and that page's text (e.g. the IdP's "Permission denied"), and, with
    ``screenshot`` (a path), the page is kept there."""
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    callbacks = []
    page.on("request", lambda r: callbacks.append(r.url) if "/zot/auth/callback/" in r.url else None)
    try:
        page.goto(f"{zot_url}/zot/auth/login?provider=oidc&callback_ui={zot_url}/v2/")
        page.wait_for_url(lambda url: url.startswith(idp_url), timeout=TIMEOUT)
        answer(page)
        page.wait_for_url(lambda url: url.startswith(zot_url) and "/zot/auth/callback/" not in url, timeout=TIMEOUT)
    except PlaywrightError as exc:
        try:  # the page may still be navigating, or be chromium's own error page
            if screenshot:
                page.screenshot(path=str(screenshot))
            text = " ".join(page.evaluate(PAGE_TEXT).split())[:500]
        except PlaywrightError:
            text = ""
        raise AssertionError(f"the sign-in stopped at {page.url}: {text!r} ({exc.message.splitlines()[0]})") from None
    assert callbacks and callbacks[0].startswith(f"{zot_url}/zot/auth/callback/oidc?"), callbacks
    assert any(c["name"] == "session" for c in context.cookies(zot_url)), "zot set no session cookie"
    return page
