"""What other apps take away when an account is deleted, registered by them, run by accounts.

Accounts may not import the apps that keep data of a user (STYLE.md: imports go one way), so
each of them registers a step from its AppConfig.ready(). `delete_account` shows every step's
impact before the user confirms, then runs every step, in INSTALLED_APPS order, inside its
transaction and before the user row goes (a CASCADE would skip DOT's revocation).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apps.accounts.models import User


@dataclass(frozen=True)
class DeletionStep:
    name: str
    # DeletionImpact fields this app fills in for the confirmation page.
    impact: Callable[[User], Mapping[str, Any]]
    # Deletes the app's data of the user; returns facts for the anonymised audit record.
    delete: Callable[[User], Mapping[str, Any]]


_steps: dict[str, DeletionStep] = {}


def register_deletion_step(
    name: str,
    *,
    delete: Callable[[User], Mapping[str, Any]],
    impact: Callable[[User], Mapping[str, Any]] = lambda user: {},
) -> None:
    """Run `delete(user)` whenever an account is deleted; registering a name again replaces it."""
    _steps[name] = DeletionStep(name=name, impact=impact, delete=delete)


def deletion_steps() -> list[DeletionStep]:
    return list(_steps.values())
