"""The browser tests' fixtures: headless Chromium through Playwright, and the pages' world with its results."""

import shutil

import pytest

from tests.browser.harness import CHROMIUM


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that unless told,
    # and only for these tests (the flag must never reach another test or a deployment check).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not executable")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def computed_world(live_server):
    from indicators.recompute import results_recompute
    from tests.pages.world import build_world

    built = build_world()
    results_recompute(triggered_by="browser test")
    return built
