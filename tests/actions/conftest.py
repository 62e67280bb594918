"""Fixtures shared by the action tests."""

from __future__ import annotations

import pytest

from tests.conftest import free_port


@pytest.fixture
def services_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Service URLs that nothing listens on."""
    port = free_port()
    for name in ("VERIFICATION_URL", "PAYMENT_URL", "ELIGIBILITY_URL", "HANDOFF_URL"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}/x")
