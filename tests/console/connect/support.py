"""Driving the connect flows with test clients: Crier's console on one side, the simulator's
own pages (the platform's sign-in and consent) on the other, following each redirect by hand."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from workflow.accounts.models import ChannelAccount


def fresh(session, model, **where):
    """Rows as they are now, detached: on SQLite an open read would hold the write lock."""
    session.expire_all()
    rows = session.execute(select(model).filter_by(**where)).scalars().all()
    for row in rows:
        session.expunge(row)
    session.rollback()
    return rows


def account_credentials(session, account: ChannelAccount) -> dict:
    return session.info["crier.vault"].decrypt(account.credentials_encrypted)


def local(url: str) -> str:
    """The path and query of ``url``, for a test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def start_x(console, x_sim, data: dict | None = None) -> str:
    """Press "Sign in with X": the address of X's authorize page Crier sends the admin to."""
    response = console.post("/accounts/connect/x", data or {})
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(x_sim.url + "/oauth/authorize?oauth_token=")
    return location


def consent_x(x_sim, authorize_url: str, username: str = "north_beat", decision: str = "allow") -> str:
    """The simulated X user signs in and allows (or cancels) on X's page: X's redirect to Crier's callback."""
    sim = x_sim.app.test_client()
    page = sim.get(local(authorize_url))
    assert page.status_code == 200 and "Authorize" in page.get_data(as_text=True)
    answer = sim.post("/oauth/authorize", data={"oauth_token": query(authorize_url)["oauth_token"],
                                                "username": username, "decision": decision})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def connect_x(console, x_sim, username: str = "north_beat", data: dict | None = None):
    """The whole "Sign in with X": Crier's answer to X's callback."""
    callback = consent_x(x_sim, start_x(console, x_sim, data), username)
    return console.get(local(callback))


def start_facebook(console, graph_sim, data: dict | None = None) -> str:
    """Press "Log in with Facebook": the login dialog's address."""
    response = console.post("/accounts/connect/facebook", data or {})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def consent_facebook(graph_sim, dialog_url: str, page_ids: list[str], decision: str = "allow") -> str:
    """The simulated Facebook user gives the app ``page_ids`` (or cancels): the redirect to Crier's callback."""
    sim = graph_sim.app.test_client()
    page = sim.get(local(dialog_url))
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = sim.post(local(dialog_url), data={**query(dialog_url), "page": page_ids, "user_name": "Comms",
                                               "decision": decision})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]
