"""Shared test helpers: where fixtures and ../shared live; loopback replay servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.replay_server import ReplayServer

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


#: Proxy variables: a test's requests go to loopback directly, never through a proxy.
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture()
def replay_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], ReplayServer]]:
    """Start loopback replay servers (`tests/replay_server.py`) on demand: each call gives
    one more, started; all are stopped at the end, and none may have had a handler fail."""
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
    started: list[ReplayServer] = []

    def start() -> ReplayServer:
        started.append(ReplayServer().start())
        return started[-1]

    yield start
    for replay in started:
        replay.stop()
    assert [error for replay in started for error in replay.errors] == []


@pytest.fixture()
def server(replay_servers: Callable[[], ReplayServer]) -> ReplayServer:
    """One loopback replay server, started (see `replay_servers`)."""
    return replay_servers()
