"""`mypy` is clean on the package (pyproject.toml's [tool.mypy] says how strict, where)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_mypy_is_clean() -> None:
    if shutil.which("mypy") is None and not _importable("mypy"):
        pytest.skip("mypy is not installed (pip install '.[test]' brings it)")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True
