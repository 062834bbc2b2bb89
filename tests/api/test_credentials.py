"""Channel credentials are never shown back by any endpoint nor written to any log."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from channels.simulators.graph import GraphSimulator
from channels.simulators.xapi import XSimulator
from tests.api.conftest import assert_error, conforms
from tests.conftest import app_config

SECRETS = {
    "consumer_key": "ck-SECRET-4f1d9a7e",
    "consumer_secret": "cs-SECRET-0b8c2e51",
    "access_token": "at-SECRET-77aa13c9",
    "access_token_secret": "ats-SECRET-5d02e6bf",
}
PAGE_TOKEN = "EAAG-SECRET-page-token-93c1"


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    """The app talking to local X and Graph simulators that know these credentials (they are checked)."""
    from web import create_app

    with XSimulator(consumer_key=SECRETS["consumer_key"], consumer_secret=SECRETS["consumer_secret"]) as x_sim, \
            GraphSimulator() as graph_sim:
        x_sim.add_account("ExamplePolice", access_token=SECRETS["access_token"],
                          access_token_secret=SECRETS["access_token_secret"])
        page = graph_sim.add_page("Force Facebook", access_token=PAGE_TOKEN)
        monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
        application = create_app(app_config(database_url, tmp_path, X_API_URL=x_sim.url,
                                            FACEBOOK_GRAPH_URL=graph_sim.url))
        application.config["TEST_PAGE_ID"] = page["page_id"]
        yield application
        application.extensions["crier"].engine.dispose()


def assert_no_secret(where: str, *haystacks: str) -> None:
    for haystack in haystacks:
        for secret in (*SECRETS.values(), PAGE_TOKEN):
            assert secret not in haystack, f"{where} shows a credential"
            assert secret[:10] not in haystack, f"{where} shows part of a credential"


def test_no_endpoint_shows_or_logs_credentials(app, api, admin, officer, supervisor, runtime, caplog, session):
    caplog.set_level(logging.DEBUG)
    client = api(admin)
    seen: list[str] = []

    def keep(response) -> dict:
        seen.append(response.get_data(as_text=True))
        seen.append(str(dict(response.headers)))
        return response.get_json()

    x = client.post("/accounts", json={"kind": "x", "name": "Force X", "credentials": {
        **SECRETS, "username": "ExamplePolice"}})
    assert x.status_code == 201
    x_account = conforms(x, "POST", "/accounts")
    keep(x)
    assert x_account["settings"] == {"username": "ExamplePolice"}

    fb = client.post("/accounts", json={"kind": "facebook", "name": "Force Facebook", "area": "North",
                                         "credentials": {"page_id": app.config["TEST_PAGE_ID"],
                                                         "page_access_token": PAGE_TOKEN}})
    assert fb.status_code == 201
    keep(fb)
    site = keep(client.post("/accounts", json={"kind": "website", "name": "Force website"}))

    # Refusals must not echo what they were sent either.
    duplicate = client.post("/accounts", json={"kind": "x", "name": "Force X", "credentials": SECRETS})
    assert_error(duplicate, 409, "conflict", "name")
    keep(duplicate)
    incomplete = client.post("/accounts", json={"kind": "x", "name": "Other X",
                                                 "credentials": {"consumer_key": SECRETS["consumer_key"]}})
    assert_error(incomplete, 422, "invalid", "credentials")
    keep(incomplete)
    wrong_type = client.post("/accounts", json={"kind": "facebook", "name": "FB 2", "credentials": PAGE_TOKEN})
    assert wrong_type.status_code == 422
    keep(wrong_type)
    assert_error(api(officer).post("/accounts", json={"kind": "x", "name": "Sneaky", "credentials": SECRETS}),
                 403, "forbidden")

    listed = keep(api(officer).get("/accounts"))
    assert {a["name"] for a in listed["accounts"]} == {"Force X", "Force Facebook", "Force website"}
    conforms(api(officer).get("/accounts"), "GET", "/accounts")

    # A message to every account, approved: its views carry the accounts too.
    officer_client, supervisor_client = api(officer), api(supervisor)
    ids = [x_account["id"], fb.get_json()["id"], site["id"]]
    created = keep(officer_client.post("/messages", json={"body": "Road closed on the A1.", "accounts": ids}))
    keep(officer_client.post(f"/messages/{created['id']}/submit"))
    keep(supervisor_client.post(f"/messages/{created['id']}/approve", json={"version": 1}))
    keep(officer_client.get(f"/messages/{created['id']}"))
    keep(officer_client.get("/messages"))

    assert_no_secret("an API response", *seen)
    assert_no_secret("a log line", caplog.text, *(str(r.args) for r in caplog.records))

    # Encrypted at rest: the stored bytes do not contain them either.
    session.rollback()
    stored = session.execute(text("SELECT credentials_encrypted, settings FROM channel_accounts")).all()
    assert len(stored) == 3
    for blob, settings in stored:
        assert_no_secret("the database", bytes(blob).decode("latin-1"), str(settings))


def test_the_secret_check_itself_notices_a_secret():
    with pytest.raises(AssertionError):
        assert_no_secret("a sample", f"token={SECRETS['access_token_secret']}")
