"""Debian's chromium, driven by Playwright (no browser download: executable_path)."""
CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without these, chromium retries Google's hosts at every start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
