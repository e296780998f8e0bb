"""The test OpenID provider as a fixture, for the modules that sign in through it.

A module imports `provider_fixture`; its tests then ask for `provider`. One provider runs per
module that uses it for the whole session (Node starts in well under a second).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .oidc_provider import LoopbackProvider, running_provider


@pytest.fixture(scope="session", name="provider")
def provider_fixture() -> Iterator[LoopbackProvider]:
    """oidc-provider on a loopback port; skips the test where Node.js is not installed."""
    with running_provider() as running:
        yield running
