"""The verify page and the API show exactly the posts stored with the version, never a fresh rendering."""
from __future__ import annotations

from channels.x import XChannel
from tests.console.conftest import sign_in
from workflow.messages import drafts, review
from workflow.messages import versions as messages_versions

TEXT = "Road closed on the A1 after a collision. Please avoid the area."


def test_the_verifier_sees_the_stored_posts(app, api, session, officer, supervisor, channel_accounts,
                                            monkeypatch):
    x, website = channel_accounts["x"], channel_accounts["website"]
    ids = [x.id, website.id]
    message = drafts.create_draft(session, officer, {"body": TEXT, "accounts": ids})
    review.submit(session, officer, message.id)
    stored = messages_versions.stored_rendering(message.latest)
    [x_post] = stored.posts[str(x.id)]
    assert stored.link in x_post
    message_id = message.id
    session.commit()
    console = sign_in(app, supervisor)
    # The rendering rules change after the version was made (a template or library upgrade).
    monkeypatch.setattr(XChannel, "render", classmethod(lambda cls, text, link=None: [f"NEW RULES: {text}"]))

    page = console.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "NEW RULES" not in page
    assert stored.link in page

    shown = api(supervisor).get(f"/messages/{message_id}").get_json()["versions"][0]
    assert shown["posts"] == {str(x.id): [x_post], str(website.id): [TEXT]}
    assert shown["link"] == stored.link
