"""apps.accounts.deletion: the apps that keep a user's data register what deleting the account takes."""

import pytest

from apps.accounts import deletion
from apps.accounts.models import User
from apps.accounts.services import delete_account, deletion_impact
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def steps(monkeypatch) -> list[str]:
    """The registry as the apps left it, restored after the test; returns the calls a probe saw."""
    monkeypatch.setattr(deletion, "_steps", dict(deletion._steps))
    calls: list[str] = []

    def delete(user):
        calls.append(f"delete while the user row exists: {User.objects.filter(pk=user.pk).exists()}")
        return {"probe_rows_deleted": 3}

    deletion.register_deletion_step("probe", impact=lambda user: {"tokens": 42}, delete=delete)
    return calls


def test_the_apps_holding_user_data_register_their_steps():
    assert [step.name for step in deletion.deletion_steps()] == ["backchannel_logout", "oauth", "apikeys"]


def test_deleting_an_account_runs_each_registered_step_before_the_user_goes(user, steps):
    delete_account(user=user)
    assert steps == ["delete while the user row exists: True"]
    assert not User.objects.filter(pk=user.pk).exists()


def test_what_a_step_deletes_reaches_the_anonymised_audit_record(user, steps):
    delete_account(user=user)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCOUNT_DELETED)
    assert event.data["probe_rows_deleted"] == 3
    assert {"tokens_revoked", "consents_deleted", "api_keys_deleted"} <= set(event.data)


def test_a_steps_impact_is_shown_before_the_user_confirms(user, steps):
    assert deletion_impact(user=user).tokens == 42


def test_registering_a_name_again_replaces_the_step(user, steps):
    deletion.register_deletion_step("probe", delete=lambda user: {})
    delete_account(user=user)
    assert steps == []
    assert [step.name for step in deletion.deletion_steps()] == [
        "backchannel_logout",
        "oauth",
        "apikeys",
        "probe",
    ]


def test_an_impact_outside_the_page_is_refused(user, steps):
    deletion.register_deletion_step("probe", impact=lambda user: {"unknown": 1}, delete=lambda user: {})
    with pytest.raises(TypeError):
        deletion_impact(user=user)
