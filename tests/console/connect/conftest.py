"""Fixtures for connecting accounts: the simulators as X and Facebook, and their apps as Crier's."""
from __future__ import annotations

import pytest

from channels.simulators.graph import GraphSimulator
from channels.simulators.xapi import XSimulator
from tests.conftest import app_config
from web import create_app


@pytest.fixture(scope="module")
def x_simulator():
    with XSimulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def graph_simulator():
    with GraphSimulator() as sim:
        yield sim


@pytest.fixture
def x_sim(x_simulator):
    """The simulated X, without posts or faults; its accounts stay (each test names its own)."""
    x_simulator.reset()
    return x_simulator


@pytest.fixture
def graph_sim(graph_simulator):
    graph_simulator.reset()
    return graph_simulator


@pytest.fixture
def app(database_url, tmp_path, monkeypatch, x_sim, graph_sim):
    """Crier with the simulators as X and Facebook, and their apps as Crier's apps."""
    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(app_config(
        database_url, tmp_path, X_API_URL=x_sim.url, FACEBOOK_GRAPH_URL=graph_sim.url,
        X_CONSUMER_KEY=x_sim.state.consumer_key, X_CONSUMER_SECRET=x_sim.state.consumer_secret,
        FACEBOOK_APP_ID=graph_sim.login.app_id, FACEBOOK_APP_SECRET=graph_sim.login.app_secret,
        CONNECT_TIMEOUT=2, READ_TIMEOUT=5))
    yield application
    application.extensions["crier"].engine.dispose()
