"""The API reference: Swagger UI from local files, started by a static script, under the CSP."""


def test_api_reference_renders_offline_under_the_csp(page, shot, live_server):
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto("/api/docs/")
    page.get_by_role("heading", name="API reference", exact=True).wait_for()
    # Swagger UI draws every operation from /api/schema/ (the page fixture fails on CSP errors).
    page.locator(".opblock-summary-path", has_text="/api/me/").first.wait_for()
    assert page.locator(".opblock").count() >= 11
    shot("api-reference")
    page.locator(".opblock-summary", has_text="/api/tokens/").first.click()
    page.get_by_text("The applications holding tokens for you").wait_for()
    shot("operation-open")
    page.get_by_role("button", name="Authorize").first.click()
    page.get_by_text("Available authorizations").wait_for()
    page.get_by_role("button", name="Close").last.wait_for()
    shot("authorize-dialog")
    assert hosts == {live_server.url.split("/")[2]}, f"requests left the site: {hosts}"
