"""The staff console: verification queue, apps, people, overview. Not the Django admin.

Pages are for active `is_staff` accounts (anyone else gets a 404); every action is a POST
that needs a recent re-authentication (allauth resumes the POST after it).
"""

from collections.abc import Callable
from functools import wraps

from allauth.account.decorators import reauthentication_required
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.accounts.services import list_sessions
from apps.audit.views import event_rows
from apps.core.http import HtmxHttpRequest
from apps.developer import verification
from apps.oauth.models import Application
from apps.staff import services
from apps.staff.forms import ReasonForm, SecondFactorResetForm

View = Callable[..., HttpResponse]


def staff_page(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_staff and request.user.is_active):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def staff_action(view: View) -> View:
    """A staff POST, after a fresh re-authentication (ACCOUNT_REAUTHENTICATION_TIMEOUT)."""
    return staff_page(require_POST(reauthentication_required(view)))


def _done(request: HtmxHttpRequest, action: Callable[[], object], success: str) -> None:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, success)


# --- Overview --------------------------------------------------------------------------------


@staff_page
@require_GET
def overview(request: HtmxHttpRequest) -> HttpResponse:
    data = services.overview()
    peak = max((max(h.signins, h.failed, h.tokens) for h in data.hours), default=0)
    context = {
        "overview": data,
        "peak": peak,
        "queue_size": Application.objects.filter(verification=Application.Verification.IN_REVIEW).count(),
        "tab": "overview",
    }
    return render(request, "staff/overview.html", context)


# --- Verification queue ----------------------------------------------------------------------


def _queue(
    request: HtmxHttpRequest, *, error_for: int | None = None, error: str = "", status=200
) -> HttpResponse:
    apps = Application.objects.filter(verification=Application.Verification.IN_REVIEW).select_related("user")
    apps = apps.order_by("verification_requested", "pk")
    context = {"apps": apps, "error_for": error_for, "error": error, "tab": "queue"}
    return render(request, "staff/verification_queue.html", context, status=status)


@staff_page
@require_GET
def verification_queue(request: HtmxHttpRequest) -> HttpResponse:
    return _queue(request)


@staff_action
def verification_approve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application, pk=pk)
    _done(
        request,
        lambda: verification.approve(application=app, staff=request.user, request=request),
        _("%(app)s is verified. Its developer gets an email.") % {"app": app.name},
    )
    return redirect("staff:verification-queue")


@staff_action
def verification_reject(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _queue(request, error_for=app.pk, error=form.errors["reason"][0], status=400)
    _done(
        request,
        lambda: verification.reject(
            application=app, staff=request.user, reason=form.cleaned_data["reason"], request=request
        ),
        _("%(app)s is not verified. Its developer gets your reason by email.") % {"app": app.name},
    )
    return redirect("staff:verification-queue")


# --- Apps ------------------------------------------------------------------------------------


@staff_page
@require_GET
def app_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    context = {"apps": services.search_apps(query), "query": query, "tab": "apps"}
    return render(request, "staff/app_list.html", context)


def _app_page(request: HtmxHttpRequest, app: Application, form=None, status: int = 200) -> HttpResponse:
    context = {"app": app, "form": form or ReasonForm(), "tab": "apps"}
    return render(request, "staff/app_detail.html", context, status=status)


@staff_page
@require_GET
def app_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _app_page(request, get_object_or_404(Application.objects.select_related("user"), pk=pk))


@staff_action
def app_suspend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application.objects.select_related("user"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _app_page(request, app, form, status=400)
    _done(
        request,
        lambda: services.suspend_application(
            application=app, staff=request.user, reason=form.cleaned_data["reason"], request=request
        ),
        _("%(app)s is suspended: its tokens stopped working.") % {"app": app.name},
    )
    return redirect("staff:app-detail", pk=app.pk)


@staff_action
def app_reinstate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application, pk=pk)
    _done(
        request,
        lambda: services.reinstate_application(application=app, staff=request.user, request=request),
        _("%(app)s is reinstated.") % {"app": app.name},
    )
    return redirect("staff:app-detail", pk=app.pk)


# --- People ----------------------------------------------------------------------------------


@staff_page
@require_GET
def person_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    context = {"people": services.search_people(query), "query": query, "tab": "people"}
    return render(request, "staff/person_list.html", context)


def _person_page(
    request: HtmxHttpRequest, person: User, *, lock_form=None, mfa_form=None, status: int = 200
) -> HttpResponse:
    context = {
        "person": person,
        "sessions": list_sessions(user=person),
        "authenticators": list(Authenticator.objects.filter(user=person)),
        "rows": event_rows(person.audit_events.all()[:10]),
        "lock_form": lock_form or ReasonForm(),
        "mfa_form": mfa_form or SecondFactorResetForm(),
        "is_self": person.pk == request.user.pk,
        "tab": "people",
    }
    return render(request, "staff/person_detail.html", context, status=status)


@staff_page
@require_GET
def person_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, get_object_or_404(User, pk=pk))


@staff_action
def person_lock(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, lock_form=form, status=400)
    _done(
        request,
        lambda: services.lock_account(
            person=person, staff=request.user, reason=form.cleaned_data["reason"], request=request
        ),
        _("%(email)s is locked and signed out everywhere.") % {"email": person.email},
    )
    return redirect("staff:person-detail", pk=person.pk)


@staff_action
def person_unlock(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    _done(
        request,
        lambda: services.unlock_account(person=person, staff=request.user, request=request),
        _("%(email)s can sign in again.") % {"email": person.email},
    )
    return redirect("staff:person-detail", pk=person.pk)


@staff_action
def person_sign_out(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    _done(
        request,
        lambda: services.sign_out_everywhere(person=person, staff=request.user, request=request),
        _("%(email)s is signed out everywhere.") % {"email": person.email},
    )
    return redirect("staff:person-detail", pk=person.pk)


@staff_action
def person_reset_mfa(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = SecondFactorResetForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, mfa_form=form, status=400)
    _done(
        request,
        lambda: services.reset_second_factor(
            person=person, staff=request.user, note=form.cleaned_data["note"], request=request
        ),
        _("%(email)s has no second factor now; they can set one up after signing in.")
        % {"email": person.email},
    )
    return redirect("staff:person-detail", pk=person.pk)
