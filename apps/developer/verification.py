"""App verification: the developer proves a domain, staff review, and a change of identity undoes it.

unverified / rejected --request--> checking --domain proven--> in review --approve--> verified
                                           \\--no proof--> unverified        \\--reject--> rejected
Any change to the name, logo, homepage or redirect domains while checking, in review or
verified puts the app back to unverified. Each step is an AuditEvent for the developer, and
each decision an email to them (sent by the task queue, like the domain check itself).
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.core import rowcache
from apps.developer.domain_proof import ProofError, find_proof, is_address
from apps.oauth.identity import changed_parts, identity_snapshot
from apps.oauth.models import Application

State = Application.Verification
Kind = AuditEvent.Kind
# States whose identity snapshot stands for what is being (or was) vouched for.
WATCHED = (State.CHECKING, State.IN_REVIEW, State.VERIFIED)


def _hosts(application: Application) -> list[tuple[str, str]]:
    """(what, host) for every web address that identifies the app."""
    labelled = [
        ("homepage", application.homepage_url),
        ("privacy policy", application.privacy_policy_url),
        ("terms of service", application.terms_url),
        *(("redirect URI", uri) for uri in application.redirect_uris.split()),
    ]
    hosts = []
    for what, url in labelled:
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.hostname:
            hosts.append((what, parts.hostname.lower().rstrip(".")))
    return hosts


def _common_suffix(hosts: list[str]) -> str:
    labels = [host.split(".") for host in hosts]
    common = []
    for parts in zip(*(reversed(host_labels) for host_labels in labels), strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return ".".join(reversed(common))


def shared_domain(application: Application) -> str:
    """The domain every homepage, policy, terms and redirect URI is on (or under), or ValidationError.

    Which one is registrable is for the proof to settle: nobody can publish a TXT record or a
    file for `co.uk`, so a suffix that is too short simply never verifies.
    """
    hosts = _hosts(application)
    if not application.homepage_url:
        raise ValidationError(_("Add a homepage first: the domain is proven for it."))
    if not hosts:
        raise ValidationError(_("Add the app's web addresses first."))
    names = [host for _, host in hosts]
    domain = names[0] if len(set(names)) == 1 else _common_suffix(names)
    homepage = urlsplit(application.homepage_url).hostname or ""
    is_ip = any(host.replace(".", "").isdigit() or ":" in host for host in names)
    if "." not in domain or (is_ip and len(set(names)) > 1):
        outside = ", ".join(sorted({f"{what} ({host})" for what, host in hosts if host != homepage.lower()}))
        raise ValidationError(
            (
                _(
                    "The homepage, policies and redirect URIs must share one domain; %(outside)s is not on %(homepage)s."
                )
                if "," not in outside
                else _(
                    "The homepage, policies and redirect URIs must share one domain; %(outside)s are not on %(homepage)s."
                )
            )
            % {"outside": outside, "homepage": homepage}
        )
    return domain


def request_verification(*, application: Application, request: HttpRequest) -> None:
    """Start the domain check (a background task); ValidationError if the app can't be checked."""
    from apps.developer import tasks

    if application.verification not in (State.UNVERIFIED, State.REJECTED):
        raise ValidationError(
            _("Verification is already %(state)s.")
            % {"state": str(application.get_verification_display()).lower()}
        )
    domain = shared_domain(application)
    application.verification = State.CHECKING
    application.verification_domain = domain
    application.verified_identity = identity_snapshot(application)
    application.verification_note = ""
    application.verification_requested = timezone.now()
    application.save(
        update_fields=[
            "verification",
            "verification_domain",
            "verified_identity",
            "verification_note",
            "verification_requested",
        ]
    )
    record(
        Kind.VERIFICATION_REQUESTED,
        user=application.user,
        request=request,
        application=application.name,
        client_id=application.client_id,
        domain=domain,
    )
    tasks.check_domain.enqueue(application.pk, request.build_absolute_uri("/"))


def _move(application: Application, *, source, **fields) -> bool:
    """Change state only if it is still `source` (a conditional UPDATE: settled in the database)."""
    if not Application.objects.filter(pk=application.pk, verification=source).update(**fields):
        return False
    rowcache.forget_row(application)
    for name, value in fields.items():
        setattr(application, name, value)
    return True


def check_domain(*, application: Application, site_url: str) -> bool:
    """Look for the proof (the task's body): on to review, or back to unverified saying why."""
    from apps.developer import tasks

    if application.verification != State.CHECKING:
        return False
    try:
        proof = find_proof(
            domain=application.verification_domain,
            token=application.verification_token,
            homepage_url=application.homepage_url,
        )
    except ProofError as exc:
        note = str(exc)[:1000]
        if _move(application, source=State.CHECKING, verification=State.UNVERIFIED, verification_note=note):
            record(
                Kind.VERIFICATION_CHECK_FAILED,
                user=application.user,
                application=application.name,
                domain=application.verification_domain,
                problem=note,
            )
            tasks.email_developer.enqueue(application.pk, "check_failed", site_url, note)
        return False
    if not _move(application, source=State.CHECKING, verification=State.IN_REVIEW):
        return False
    record(
        Kind.VERIFICATION_DOMAIN_PROVEN,
        user=application.user,
        application=application.name,
        domain=application.verification_domain,
        method=proof.method,
        proof=proof.where,
    )
    tasks.email_developer.enqueue(application.pk, "domain_proven", site_url, "")
    return True


def approve(*, application: Application, staff: User, request: HttpRequest) -> None:
    from apps.developer import tasks

    if changed_parts(application, application.verified_identity):
        raise ValidationError(_("The app changed since its domain was proven; it must be checked again."))
    now = timezone.now()
    if not _move(
        application,
        source=State.IN_REVIEW,
        verification=State.VERIFIED,
        verification_decided=now,
        verification_decided_by=staff,
        verification_note="",
    ):
        raise ValidationError(_("This app is no longer waiting for review."))
    record(
        Kind.VERIFICATION_APPROVED,
        user=application.user,
        request=request,
        application=application.name,
        domain=application.verification_domain,
        staff=staff.display_name,
    )
    tasks.email_developer.enqueue(application.pk, "approved", request.build_absolute_uri("/"), "")


def reject(*, application: Application, staff: User, reason: str, request: HttpRequest) -> None:
    from apps.developer import tasks

    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why, so the developer can fix it."))
    if not _move(
        application,
        source=State.IN_REVIEW,
        verification=State.REJECTED,
        verification_decided=timezone.now(),
        verification_decided_by=staff,
        verification_note=reason[:1000],
    ):
        raise ValidationError(_("This app is no longer waiting for review."))
    record(
        Kind.VERIFICATION_REJECTED,
        user=application.user,
        request=request,
        application=application.name,
        reason=reason,
        staff=staff.display_name,
    )
    tasks.email_developer.enqueue(application.pk, "rejected", request.build_absolute_uri("/"), reason)


def note_identity_change(*, application: Application, request: HttpRequest | None) -> bool:
    """After a save: if what staff vouch for changed, the app is unverified again. Returns whether."""
    from apps.developer import tasks

    if application.verification not in WATCHED:
        return False
    changed = changed_parts(application, application.verified_identity)
    if not changed:
        return False
    was = application.verification
    note = f"Changed after verification: {', '.join(changed)}. Request verification again."
    moved = Application.objects.filter(Q(pk=application.pk), Q(verification__in=WATCHED)).update(
        verification=State.UNVERIFIED, verification_note=note
    )
    if not moved:
        return False
    rowcache.forget_row(application)
    application.verification, application.verification_note = State.UNVERIFIED, note
    record(
        Kind.VERIFICATION_LOST,
        user=application.user,
        request=request,
        application=application.name,
        changed=changed,
    )
    if was == State.VERIFIED:
        site_url = request.build_absolute_uri("/") if request is not None else "/"
        tasks.email_developer.enqueue(application.pk, "lost", site_url, note)
    return True


def app_panel(application: Application) -> dict:
    """What the developer console's verification card shows."""
    from apps.developer import domain_proof

    try:
        domain, problem = shared_domain(application), ""
    except ValidationError as exc:
        domain, problem = "", exc.messages[0]
    domain = application.verification_domain if application.verification in WATCHED else domain
    return {
        "state": application.verification,
        "label": application.get_verification_display(),
        "note": application.verification_note,
        "domain": domain,
        "problem": problem,
        "can_request": application.verification in (State.UNVERIFIED, State.REJECTED) and not problem,
        # An IP address has no DNS zone to publish in: only the file can prove it.
        "dns_name": domain_proof.dns_record_name(domain) if domain and not is_address(domain) else "",
        "dns_value": domain_proof.dns_record_value(application.verification_token),
        "file_url": domain_proof.proof_file_url(domain) if domain else "",
        "token": application.verification_token,
    }
