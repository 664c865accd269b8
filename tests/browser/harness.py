"""What the browser tests share: where Chromium and the screenshots are, their marks, signing in, screenshots.

The Chromium launch itself is the `browser` fixture in tests/browser/conftest.py.
"""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
IN_CHROMIUM = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def watch_errors(page, errors: list, responses: bool = True) -> None:
    """Collect into `errors` the page's console errors, uncaught exceptions and (if `responses`) 4xx/5xx answers."""
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    if responses:
        page.on(
            "response",
            lambda response: errors.append(f"{response.status} {response.url}") if response.status >= 400 else None,
        )


def sign_in(context, live_server, username="alice", password="alice-password-1", errors=None, responses=True):
    """A new page of `context`, signed in through the login form; errors are watched from the start if asked."""
    page = context.new_page()
    if errors is not None:
        watch_errors(page, errors, responses=responses)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def snapshot(page, name: str) -> None:
    """A whole-page screenshot taken with a viewport as tall as the page.

    Playwright's full_page mode resizes the window while capturing, which makes responsive Plotly
    charts relayout mid-capture; a tall viewport shows the page exactly as laid out.
    """
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": min(height, 12000)})
    page.wait_for_timeout(300)  # Plotly's responsive relayout after the resize
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": width, "height": 900})
