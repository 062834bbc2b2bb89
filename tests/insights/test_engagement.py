"""Engagement per post and visits per channel: read from the simulators on a decaying schedule,
mapped exactly as the API documents, and visits counted through each channel's tagged link."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from sqlalchemy import select

from channels.simulators.xapi.state import XPost
from tests.api.conftest import conforms
from tests.conftest import make_account
from tests.insights.conftest import add_facebook, add_x, published
from workflow.core.database import utcnow
from workflow.delivery.models import Delivery
from workflow.insights import engagement, reports
from workflow.insights.models import PostEngagement
from workflow.insights.visits import account_of, tag_of

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"


def posts_of(session, message_id):
    rows = {
        d.account_id: d
        for d in session.execute(
            select(Delivery)
            .where(Delivery.message_id == message_id)
            .execution_options(populate_existing=True)
        ).scalars()
    }
    session.commit()
    return rows


def reading(session, delivery_id):
    row = session.execute(
        select(PostEngagement)
        .where(PostEngagement.delivery_id == delivery_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    session.commit()
    return row


def visit(client, url: str, agent: str = BROWSER, method: str = "GET"):
    parts = urlsplit(url)
    return client.open(
        f"{parts.path}?{parts.query}",
        method=method,
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )


def test_a_message_s_engagement_per_account_as_the_api_maps_it(
    app, runtime, session, api, officer, supervisor, x_sim, graph_sim
):
    x, _ = add_x(session, x_sim, "North X", area="North")
    fb, _ = add_facebook(session, graph_sim, "North Facebook", area="North")
    web = make_account(session, "website", "Force website")
    ids = (x.id, fb.id, web.id)
    message_id = published(runtime, session, officer, supervisor, list(ids))
    rows = posts_of(session, message_id)
    x_sim.audience.set_metrics(
        rows[ids[0]].remote_id,
        like_count=7,
        retweet_count=3,
        quote_count=2,
        reply_count=4,
        impression_count=900,
    )
    graph_sim.audience.set_figures(rows[ids[1]].remote_id, reactions=11, comments=6, shares=2)
    client = app.test_client()
    x_link = x_sim.posts[-1]["text"].split()[-1]
    fb_link = graph_sim.posts[-1]["link"]
    for _ in range(3):
        assert visit(client, x_link).status_code == 200
    for _ in range(2):
        assert visit(client, fb_link).status_code == 200
    assert engagement.collect_engagement(runtime) == 2
    body = conforms(
        api(officer).get(f"/messages/{message_id}/engagement"), "GET", "/messages/{message_id}/engagement"
    )
    figures = {a["account"]: a for a in body["accounts"]}
    assert body["message"] == message_id and set(figures) == {ids[0], ids[1]}
    assert {k: figures[ids[0]][k] for k in ("reactions", "shares", "replies", "impressions", "visits")} == {
        "reactions": 7,
        "shares": 5,
        "replies": 4,
        "impressions": 900,
        "visits": 3,
    }
    assert {k: figures[ids[1]][k] for k in ("reactions", "shares", "replies", "impressions", "visits")} == {
        "reactions": 11,
        "shares": 2,
        "replies": 6,
        "impressions": None,
        "visits": 2,
    }


def test_each_channel_s_link_carries_its_own_account_tag(
    runtime, session, officer, supervisor, x_sim, graph_sim
):
    x, _ = add_x(session, x_sim, "Force X")
    fb, _ = add_facebook(session, graph_sim, "Force Facebook")
    web = make_account(session, "website", "Force website")
    ids = (x.id, fb.id, web.id)
    message_id = published(runtime, session, officer, supervisor, list(ids))
    x_link = x_sim.posts[-1]["text"].split()[-1]
    fb_link = graph_sim.posts[-1]["link"]
    assert x_link.endswith(f"?via={tag_of(ids[0])}") and fb_link.endswith(f"?via={tag_of(ids[1])}")
    assert account_of(tag_of(ids[0])) == ids[0]
    website = posts_of(session, message_id)[ids[2]]
    assert "via=" not in website.url  # the page itself carries no tag
    assert urlsplit(x_link).path == urlsplit(fb_link).path == urlsplit(website.url).path


def test_readings_follow_a_decaying_schedule_and_stop(runtime, session, officer, supervisor, x_sim):
    x, _ = add_x(session, x_sim, "Force X")
    x_id = x.id
    message_id = published(runtime, session, officer, supervisor, [x_id])
    post = posts_of(session, message_id)[x_id]
    sent = post.sent_at
    assert engagement.collect_engagement(runtime, now=sent + dt.timedelta(minutes=5)) == 1
    first = reading(session, post.id)
    assert first.readings == 1 and first.next_due_at == sent + dt.timedelta(hours=1)
    calls = x_sim.audience.calls["tweets"]
    # Not due: X is not asked.
    assert engagement.collect_engagement(runtime, now=sent + dt.timedelta(minutes=50)) == 0
    assert x_sim.audience.calls["tweets"] == calls
    x_sim.audience.set_metrics(post.remote_id, like_count=40)
    assert engagement.collect_engagement(runtime, now=sent + dt.timedelta(hours=2)) == 1
    second = reading(session, post.id)
    assert (second.readings, second.reactions) == (2, 40)
    assert second.next_due_at == sent + dt.timedelta(hours=6)
    for hours, due in ((30, 48), (100, 168), (400, 720)):
        engagement.collect_engagement(runtime, now=sent + dt.timedelta(hours=hours))
        assert reading(session, post.id).next_due_at == sent + dt.timedelta(hours=due)
    engagement.collect_engagement(runtime, now=sent + dt.timedelta(hours=721))
    assert reading(session, post.id).next_due_at is None  # the schedule is over


def test_x_posts_are_read_a_hundred_to_a_call(runtime, session, officer, supervisor, x_sim):
    x, _ = add_x(session, x_sim, "Force X")
    x_id = x.id
    message_id = published(runtime, session, officer, supervisor, [x_id])
    post = posts_of(session, message_id)[x_id]
    author = x_sim.state.find(post.remote_id).author_id
    now = utcnow()
    for n in range(149):  # 149 more live posts of the same account, each with its delivery
        remote = str(2_000_000_000_000_000_000 + n)
        x_sim.state.posts.append(XPost(remote, author, f"post {n}", now))
        session.add(
            Delivery(
                message_id=message_id,
                version_id=post.version_id,
                account_id=x_id,
                purpose="publish",
                queue="routine",
                state="sent",
                remote_id=remote,
                sent_at=now,
                due_at=now + dt.timedelta(seconds=n + 1),
                posted_parts=[remote],
            )
        )
    session.commit()
    assert engagement.collect_engagement(runtime) == 150
    assert x_sim.audience.calls["tweets"] == 2


def test_a_post_gone_from_the_platform_keeps_its_last_figures_and_is_not_read_again(
    runtime, session, officer, supervisor, x_sim
):
    x, _ = add_x(session, x_sim, "Force X")
    x_id = x.id
    message_id = published(runtime, session, officer, supervisor, [x_id])
    post = posts_of(session, message_id)[x_id]
    x_sim.audience.set_metrics(post.remote_id, like_count=9)
    engagement.collect_engagement(runtime, now=post.sent_at)
    x_sim.state.find(post.remote_id).deleted = True
    engagement.collect_engagement(runtime, now=post.sent_at + dt.timedelta(hours=2))
    row = reading(session, post.id)
    assert (row.reactions, row.readings, row.next_due_at) == (9, 1, None)


def test_visits_are_counted_without_cookies_or_addresses(
    app, runtime, session, officer, supervisor, x_sim, database_dump
):
    x, _ = add_x(session, x_sim, "Force X")
    web = make_account(session, "website", "Force website")
    ids = (x.id, web.id)
    message_id = published(runtime, session, officer, supervisor, list(ids))
    link = x_sim.posts[-1]["text"].split()[-1]
    client = app.test_client()
    page = visit(client, link)
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers and page.cache_control.no_store
    assert visit(client, link, method="HEAD").status_code == 200  # not a visit
    for crawler in ("facebookexternalhit/1.1", "Twitterbot/1.0", "Mozilla/5.0 (compatible; Googlebot/2.1)"):
        assert visit(client, link, agent=crawler).status_code == 200
    path = urlsplit(link).path
    for junk in ("?via=", "?via=%3Cscript%3E", "?via=zzzzzzzzzzzz", f"?via={tag_of(ids[1])}", "?via=zzzz"):
        assert client.get(path + junk, headers={"User-Agent": BROWSER}).status_code == 200
    assert client.get("/news/no-such-update?via=" + tag_of(ids[0])).status_code == 404
    assert client.get(path, headers={"User-Agent": BROWSER}).status_code == 200  # no tag: not counted
    assert reports.visits_by(session, [message_id]) == {(message_id, ids[0]): 1}
    session.commit()
    dump = database_dump()
    assert "203.0.113.77" not in dump and "Chrome/120" not in dump and "facebookexternalhit" not in dump
