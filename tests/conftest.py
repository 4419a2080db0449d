"""Fixtures shared by the Telegram tests."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_bot_api import FakeBotApi


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fresh fake Bot API server on 127.0.0.1 for one test."""
    with FakeBotApi() as fake:
        yield fake
