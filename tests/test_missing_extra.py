"""require_extra: the message names the extra to install, or what the installed module lacks."""

import sys

import pytest

from tunelab._errors import MissingExtraError, require_extra


def test_an_absent_module_names_the_extra():
    with pytest.raises(MissingExtraError, match=r"'no_such_module_xyz' is not installed.*tunelab\[xyz\]"):
        require_extra("no_such_module_xyz", "xyz")


def test_an_installed_module_missing_a_dependency_says_so(tmp_path, monkeypatch):
    # a package that imports a dependency which is not installed, as Keras does without its backend
    (tmp_path / "fake_frontend_xyz").mkdir()
    (tmp_path / "fake_frontend_xyz" / "__init__.py").write_text("import fake_backend_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fake_frontend_xyz", raising=False)
    with pytest.raises(MissingExtraError) as info:
        require_extra("fake_frontend_xyz", "xyz", hint="install a backend")
    message = str(info.value)
    assert "is installed but cannot be imported" in message and "fake_backend_xyz" in message
    assert message.endswith("(install a backend)")
    assert "pip install 'tunelab[xyz]'" not in message


def test_a_missing_parent_package_names_the_extra():
    with pytest.raises(MissingExtraError, match=r"tunelab\[xyz\]"):
        require_extra("no_such_package_xyz.sub", "xyz")
