"""Shared test helpers: where fixtures and the team's shared folder live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
PEER_DATA = SHARED / "peer-data"
EXAMPLES = SHARED / "reference" / "examples"


def need_shared(path: Path) -> Path:
    """Skip the calling test, saying why, when ../shared is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared (peer data, reference examples) is not "
                    "beside this checkout")
    return path
