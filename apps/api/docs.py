from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API reference: Swagger UI from the sidecar package, started by our static script (CSP)."""
    return render(request, "api/docs.html")
