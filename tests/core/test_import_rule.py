"""STYLE.md's import rule, kept by a test: every `apps.X` an app imports must be allowed.

`api` may import every app but `staff`; `developer` and `social` may import `oauth`; `staff`
(the staff console) may import `oauth` and `developer`; every app may import `accounts`, `audit`
and `core`, and those three only the ones below them (core, then audit, then accounts), so they
never import back; nothing imports `api` or `staff`. Reaching a model by name
(`django_apps.get_model("oauth", ...)`) or a module by string (`import_module`) counts too.
"""

import ast
from pathlib import Path

import pytest

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"
APPS = sorted(p.name for p in APPS_DIR.iterdir() if (p / "apps.py").is_file())
FOUNDATIONS = {"core": set(), "audit": {"core"}, "accounts": {"core", "audit"}}
ALLOWED = {
    **FOUNDATIONS,
    "oauth": set(FOUNDATIONS),
    "apikeys": set(FOUNDATIONS),
    "developer": {*FOUNDATIONS, "oauth"},
    "social": {*FOUNDATIONS, "oauth"},
    "staff": {*FOUNDATIONS, "oauth", "developer"},
    "api": set(APPS) - {"api", "staff"},
}


def _app_of_module(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "apps" else None


def imported_apps(source: str) -> list[tuple[int, str]]:
    """(line, app) for each other-or-same app that `source` imports, however it names it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, _app_of_module(alias.name)) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "apps":  # from apps import oauth
                found += [(node.lineno, alias.name) for alias in node.names]
            else:
                found.append((node.lineno, _app_of_module(node.module)))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            value = node.args[0].value
            if name == "get_model" and isinstance(value, str):  # get_model("oauth", "Consent")
                found.append((node.lineno, value.split(".")[0]))
            elif name == "import_module" and isinstance(value, str):
                found.append((node.lineno, _app_of_module(value)))
    return [(line, app) for line, app in found if app in APPS]


def violations(app: str, source: str, path: str = "<source>") -> list[str]:
    return [
        f"{path}:{line} imports apps.{target}"
        for line, target in imported_apps(source)
        if target != app and target not in ALLOWED[app]
    ]


def test_every_app_has_a_place_in_the_rule():
    assert set(APPS) == set(ALLOWED), "Add the new app to ALLOWED, following STYLE.md"


@pytest.mark.parametrize("app", APPS)
def test_the_app_imports_only_what_the_rule_allows(app):
    found = []
    for path in sorted((APPS_DIR / app).rglob("*.py")):
        found += violations(app, path.read_text(), str(path.relative_to(APPS_DIR.parent)))
    assert not found, "STYLE.md's import rule is broken:\n" + "\n".join(found)


def test_the_walk_sees_the_edges_that_exist():
    source = (APPS_DIR / "developer" / "services.py").read_text()
    assert {app for _, app in imported_apps(source)} >= {"accounts", "oauth"}


@pytest.mark.parametrize(
    "source",
    [
        "from apps.oauth.models import Consent",
        "import apps.apikeys.models",
        "from apps import oauth",
        "def f():\n    from apps.api.views import MeView",
        "Consent = django_apps.get_model('oauth', 'Consent')",
        "APIKey = apps.get_model('apikeys.APIKey')",
        "views = import_module('apps.api.views')",
    ],
)
def test_a_string_or_a_local_import_is_still_an_import(source):
    assert violations("accounts", source)


def test_imports_within_the_app_and_down_the_rule_pass():
    source = "from apps.accounts.models import User\nfrom apps.audit.services import record\nfrom . import x"
    assert violations("accounts", source) == []
    assert violations("audit", "from apps.accounts.navigation import settings_nav")
