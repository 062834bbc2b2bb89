"""Message history in the console: the API's search behind an accessible form, filters kept in the
address from page to page, results linking to each message, bad filters pointed at."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import make_account
from workflow.messages import drafts, review, search
from workflow.messages.models import Message


@pytest.fixture
def desk(session, officer, officer2, website_account):
    north = make_account(session, "x", "North X", area="North")

    def draft(author, body, accounts, **fields):
        return drafts.create_draft(session, author, {"body": body, "accounts": accounts, **fields}).id

    ids = {
        "flood": draft(officer, "The A38 is closed at Junction 4 because of flooding.", [website_account.id],
                       incident={"title": "Flooding on the A38", "area": "North"}),
        "fair": draft(officer2, "The summer fair at Victoria Park is on Saturday.", [north.id]),
        "scam": draft(officer, "Beware of callers who ask for your PIN: your bank never does.",
                      [website_account.id, north.id]),
        "road": draft(officer, "Flooding has closed Mill Road; use the bypass.", [website_account.id]),
    }
    review.submit(session, officer, ids["scam"])
    incident = session.get(Message, ids["flood"]).incident_id
    # SQLite takes its write lock at BEGIN: end the test's transaction before the console works.
    session.commit()
    return {**ids, "north": north.id, "website": website_account.id, "incident": incident}


def found_ids(html: str) -> list[int]:
    results = re.search(r'<ol class="message-list" id="results"[^>]*>(.*?)</ol>', html, re.S)
    return [int(i) for i in re.findall(r'href="/messages/(\d+)"', results.group(1))] if results else []


def links(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return unescape(found.group(1)) if found else None


def test_history_lists_every_message_and_finds_by_words(console, officer, desk):
    client = console(officer)
    page = client.get("/history")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert sorted(found_ids(html)) == sorted(desk[k] for k in ("flood", "fair", "scam", "road"))
    assert 'role="search"' in html and '<label for="q">' in html
    html = client.get("/history?q=flooding").get_data(as_text=True)
    assert sorted(found_ids(html)) == sorted([desk["flood"], desk["road"]])
    assert f'href="/messages/{desk["flood"]}">Message {desk["flood"]}: The A38 is closed' in html


def test_filters_narrow_the_history_as_the_api_does(console, session, officer, desk):
    client = console(officer)
    cases = [
        "status=awaiting_verification",
        f"account={desk['north']}",
        "area=North",
        "author=oscar",
        "q=flooding&author=olivia&area=North",
        "from=2000-01-01&to=2999-12-31&q=bank",
        "to=2000-01-01",
        f"incident={desk['incident']}",
    ]
    for query in cases:
        html = client.get(f"/history?{query}").get_data(as_text=True)
        args = {k: v[0] for k, v in parse_qs(query).items()}
        expected = [m.id for m in search.search_messages(session, search.parse_filters(args)).messages]
        session.rollback()
        assert found_ids(html) == expected, query
    assert found_ids(client.get("/history?status=awaiting_verification").get_data(as_text=True)) == [desk["scam"]]
    assert found_ids(client.get(f"/history?incident={desk['incident']}").get_data(as_text=True)) == [desk["flood"]]


def test_pages_keep_the_filters(console, officer, desk):
    client = console(officer)
    first = client.get("/history?q=&area=North&limit=1").get_data(as_text=True)
    assert links(first, "prev") is None
    following = links(first, "next")
    query = parse_qs(urlsplit(following).query)
    assert query == {"area": ["North"], "limit": ["1"], "page": ["2"]}
    second = client.get(following).get_data(as_text=True)
    assert found_ids(second) and found_ids(second) != found_ids(first)
    assert parse_qs(urlsplit(links(second, "prev")).query) == {"area": ["North"], "limit": ["1"], "page": ["1"]}
    # The form shows the filters it was given.
    assert '<option value="North" selected>North</option>' in second
    seen = set(found_ids(first))
    page = second
    while links(page, "next"):
        seen |= set(found_ids(page))
        page = client.get(links(page, "next")).get_data(as_text=True)
    seen |= set(found_ids(page))
    assert seen == {desk["flood"], desk["fair"], desk["scam"]}


@pytest.mark.parametrize("query,anchor,invalid", [
    ("from=2026-13-45", "from", "from"), ("to=9999-12-31", "to", "to"), ("account=abc", "account", "account"),
    ("status=lost", "status", "status"), ("q=" + "x" * 201, "q", "q"), ("page=0", "q", None)])
def test_bad_filters_are_pointed_at(console, officer, desk, query, anchor, invalid):
    response = console(officer).get(f"/history?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in html and f'href="#{anchor}"' in html
    assert found_ids(html) == []
    if invalid:
        assert re.search(rf'id="{invalid}"[^>]*aria-invalid="true"', html)


def test_history_needs_a_signed_in_user(app, desk):
    assert app.test_client().get("/history").status_code in (302, 401)
