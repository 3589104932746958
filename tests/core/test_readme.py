"""The README's configuration table stays true: every variable the settings read is documented."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_read_by_the_settings_is_in_the_readme():
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = set(re.findall(r'"((?:GATEHOUSE_[A-Z0-9_]+)|DATABASE_URL|REDIS_URL)"', settings_source))
    assert variables, "the settings read no variables?"
    missing = sorted(name for name in variables if f"`{name}`" not in readme)
    assert not missing, f"document these in README.md's Configuration table: {missing}"


def test_the_readme_quick_start_names_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
