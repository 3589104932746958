from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.audit.models import AuditEvent
from apps.core.http import HtmxHttpRequest


@login_required
@require_GET
def security_log(request: HtmxHttpRequest) -> HttpResponse:
    events = AuditEvent.objects.filter(user=request.user)
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    return render(request, "audit/security_log.html", {"page": page})
