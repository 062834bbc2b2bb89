"""X fixtures: a simulated X on loopback, an account on it and an X channel for that account."""
from __future__ import annotations

import itertools
from typing import Iterator

import pytest

from channels.base import ChannelConfig
from channels.simulators.xapi import XSimulator
from channels.x import XChannel

# Short, so that a hanging X costs a test half a second.
X_TIMEOUT = 0.5
_usernames = (f"neighbourhood{n}" for n in itertools.count(1))


@pytest.fixture(scope="session")
def x_simulator() -> Iterator[XSimulator]:
    """One simulated X for the whole run."""
    with XSimulator() as simulator:
        yield simulator


@pytest.fixture
def x_sim(x_simulator: XSimulator) -> Iterator[XSimulator]:
    """The simulated X, emptied of posts and faults before and after the test."""
    x_simulator.reset()
    yield x_simulator
    x_simulator.reset()


@pytest.fixture
def x_credentials(x_sim: XSimulator) -> dict[str, str]:
    """Credentials of a fresh account on the simulated X."""
    return x_sim.add_account(next(_usernames))


@pytest.fixture
def x_config(x_sim: XSimulator) -> ChannelConfig:
    """Channel settings pointing at the simulated X, with short timeouts."""
    return ChannelConfig(x_api_url=x_sim.url, connect_timeout=X_TIMEOUT, read_timeout=X_TIMEOUT)


@pytest.fixture
def x_channel(x_credentials: dict[str, str], x_config: ChannelConfig) -> Iterator[XChannel]:
    """An X channel for the fresh account."""
    channel = XChannel(x_credentials, x_config)
    yield channel
    channel.close()
