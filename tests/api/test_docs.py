"""The API reference page: public, offline, no inline script."""

import re

from pytest_django.asserts import assertContains


def test_api_docs_page_is_named_and_public(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assertContains(response, "<h1>API reference</h1>", html=True)
    assertContains(response, 'data-schema-url="/api/schema/"')


def test_api_docs_page_loads_only_local_scripts_and_keeps_the_csp(client, db):
    response = client.get("/api/docs/")
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all('src="/static/' in attributes and not body.strip() for attributes, body in scripts)
    assert 'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in html
    assert 'src="/static/js/api-docs.js"' in html
    assert "http://" not in html.replace("http://testserver", "") and "https://cdn" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
