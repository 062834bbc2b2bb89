"""Find anything: GET /api/v1/messages?q=... with filters and pages, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_error, conforms
from tests.conftest import make_account
from workflow.messages import drafts, review


@pytest.fixture
def desk(session, officer, officer2, supervisor, website_account):
    """A few messages: two authors, an incident, an area account, an edited text, one submitted."""
    north = make_account(session, "x", "North X", area="North")

    def draft(author, body, accounts, **fields):
        return drafts.create_draft(session, author, {"body": body, "accounts": accounts, **fields})

    flood = draft(officer, "The A38 is closed at Junction 4 because of flooding.", [website_account.id],
                  incident={"title": "Flooding on the A38", "area": "North"})
    fair = draft(officer2, "The summer fair at Victoria Park is on Saturday: come and meet your team.",
                 [north.id])
    scam = draft(officer, "Beware of callers who say they are from your bank and ask for your PIN.",
                 [website_account.id, north.id])
    drafts.edit_message(session, officer, scam.id, {"body": "Beware of courier fraud: your bank never sends "
                                                            "a courier to collect your card."})
    review.submit(session, officer, scam.id)
    session.commit()
    return {"flood": flood.id, "fair": fair.id, "scam": scam.id, "north": north.id,
            "incident": flood.incident_id, "website": website_account.id}


def found(client, query: str) -> list[int]:
    response = client.get(f"/messages?{query}")
    assert response.status_code == 200, response.get_json()
    return sorted(m["id"] for m in conforms(response, "GET", "/messages")["messages"])


def test_words_find_messages_in_any_version_whatever_the_case(api, officer, desk):
    client = api(officer)
    assert found(client, "q=closed") == [desk["flood"]]
    assert found(client, "q=FLOODING%20junction") == [desk["flood"]]
    assert found(client, "q=PIN") == [desk["scam"]]  # said only in version 1
    assert found(client, "q=courier") == [desk["scam"]]
    assert found(client, "q=nowhere%20to%20be%20found") == []


def test_filters_narrow_the_search(api, officer, desk):
    client = api(officer)
    assert found(client, "status=awaiting_verification") == [desk["scam"]]
    assert found(client, f"account={desk['north']}") == sorted([desk["fair"], desk["scam"]])
    assert found(client, "area=North") == sorted([desk["flood"], desk["fair"], desk["scam"]])
    assert found(client, f"incident={desk['incident']}") == [desk["flood"]]
    assert found(client, "author=olivia") == sorted([desk["flood"], desk["scam"]])
    assert found(client, f"author=olivia&account={desk['website']}&q=courier") == [desk["scam"]]
    assert found(client, "from=2000-01-01&to=2999-12-31") == sorted(desk[k] for k in ("flood", "fair", "scam"))
    assert found(client, "to=2000-01-01") == []


def test_pages_follow_one_another(api, officer, desk):
    client = api(officer)
    first = client.get("/messages?limit=2").get_json()
    second = client.get("/messages?limit=2&page=2").get_json()
    assert (first["page"], first["limit"], first["more"]) == (1, 2, True)
    assert (second["page"], second["more"]) == (2, False)
    ids = [m["id"] for m in first["messages"] + second["messages"]]
    assert sorted(ids) == sorted(desk[k] for k in ("flood", "fair", "scam")) and len(set(ids)) == 3


@pytest.mark.parametrize("query,field", [
    ("status=sent", "status"), ("account=abc", "account"), ("incident=-1", "incident"), ("page=0", "page"),
    ("limit=x", "limit"), ("from=yesterday", "from"), ("to=2026-13-40", "to"), ("q=" + "a" * 201, "q"),
])
def test_bad_search_input_is_refused_naming_it(api, officer, desk, query, field):
    assert_error(api(officer).get(f"/messages?{query}"), 422, "invalid", field=field)


@pytest.mark.parametrize("q", ["%", "_", "'", '"', "a' OR '1'='1", "\\", "-", "or", "(", "&", "!"])
def test_hostile_words_are_only_words(api, officer, desk, q):
    response = api(officer).get("/messages", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    assert all(m["id"] in desk.values() for m in response.get_json()["messages"])
