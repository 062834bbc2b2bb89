"""Pytest fixtures around the Graph API simulator, for any test that posts to Facebook.

Import the fixtures you use by name into your test module, e.g.
``from tests.channels.graph_fixtures import graph_sim, facebook_page, facebook_channel``.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from channels.base import ChannelConfig
from channels.facebook import FacebookChannel
from channels.simulators.graph import GraphSimulator

#: Generous enough for a loopback answer on a loaded machine; hang tests use HANG_TIMEOUT.
READ_TIMEOUT = 10.0
#: Read timeout for tests that make the simulator hang.
HANG_TIMEOUT = 0.5
#: How long a hung simulator request holds its thread; above HANG_TIMEOUT, and short so
#: that no test leaves threads behind for long.
HANG_SECONDS = 2.0


@pytest.fixture(scope="session")
def graph_server() -> Iterator[GraphSimulator]:
    """One Graph simulator for the whole run, on a loopback port."""
    sim = GraphSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def graph_sim(graph_server: GraphSimulator) -> Iterator[GraphSimulator]:
    """The Graph simulator with no posts and no faults pending."""
    graph_server.reset()
    yield graph_server
    graph_server.reset()


def graph_config(sim: GraphSimulator, **overrides) -> ChannelConfig:
    """Channel config pointing at ``sim``, with short timeouts."""
    values = {
        "facebook_graph_url": sim.url,
        "facebook_graph_version": "v21.0",
        "connect_timeout": 2.0,
        "read_timeout": READ_TIMEOUT,
    }
    values.update(overrides)
    return ChannelConfig(**values)


@pytest.fixture
def facebook_page(graph_sim: GraphSimulator) -> dict[str, str]:
    """Credentials of a fresh Page on the simulator, with every permission granted."""
    return graph_sim.add_page("Anytown Neighbourhood Policing")


@pytest.fixture
def facebook_channel(graph_sim: GraphSimulator, facebook_page: dict[str, str]) -> Iterator[FacebookChannel]:
    """A Facebook channel posting to ``facebook_page`` through the simulator."""
    channel = FacebookChannel(facebook_page, graph_config(graph_sim))
    yield channel
    channel.close()
