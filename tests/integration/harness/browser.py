"""Debian's chromium, driven by Playwright (no browser download: executable_path)."""
import json

CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without these, chromium retries Google's hosts at every start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def browser_key(page, zot_url, label):
    """A zot API key made from a page's signed-in zot session, as zot's UI makes it."""
    response = page.request.post(f"{zot_url}/zot/auth/apikey", data=json.dumps({"label": label, "scopes": []}),
                                 headers={"Content-Type": "application/json", "X-ZOT-API-CLIENT": "zot-ui"})
    assert response.status == 201, f"{response.status} {response.text()}"
    return response.json()["apiKey"]
