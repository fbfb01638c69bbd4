"""The README's examples run as written."""

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_doctests_pass():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3
    assert result.failed == 0


def test_readme_names_the_two_quick_start_commands():
    text = README.read_text()
    assert "bash scripts/example.sh" in text and "bash scripts/test.sh" in text
    for script in ("example.sh", "test.sh"):
        assert (README.parent / "scripts" / script).exists()
