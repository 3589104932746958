"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live_server.

Every page a test visits through `visit()` (or any navigation of `page`) gets an axe
accessibility audit; a serious or critical violation fails the test. Screenshots go to
test-artifacts/screenshots/ (git-ignored).
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = (
    os.environ.get("GATEHOUSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM:
        message = "No Chromium found: `apt-get install chromium` (Debian) or set GATEHOUSE_CHROMIUM."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests make
    # between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class AccessibilityError(AssertionError):
    pass


# axe refuses to start while another run is going (the on-load audit and `shot()` can overlap),
# so wait for the running one to finish instead.
AXE_RUN = """async () => {
  while (window.axe._running) { await new Promise((resolve) => setTimeout(resolve, 25)); }
  return await window.axe.run(document, {resultTypes: ["violations"]});
}"""


def audit(page) -> None:
    """Run axe on the current page; raise on any serious or critical violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(Axe().axe_script)
    results = page.evaluate(AXE_RUN)
    blocking = [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in blocking
        ]
        raise AccessibilityError(f"axe on {page.url}:\n" + "\n".join(lines))


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser context; each load is audited, console CSP errors fail the test."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    violations: list[str] = []

    def audit_on_load(loaded_page) -> None:
        try:
            audit(loaded_page)
        except AccessibilityError as exc:
            violations.append(str(exc))
        except PlaywrightError:
            pass  # the page navigated on or closed before the audit finished

    page.on("load", audit_on_load)
    yield page
    try:
        assert not violations, "\n".join(violations)
        assert not csp_errors, f"Content-Security-Policy violations: {csp_errors}"
    finally:
        context.close()


@pytest.fixture
def shot(page, request):
    """`shot("name")`: audit the current page as it is now (after HTMX swaps too), then save a screenshot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    counter = iter(range(1, 1000))

    def take(name: str) -> Path:
        page.wait_for_load_state("networkidle")
        audit(page)
        path = SCREENSHOTS / f"{test_name}-{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
