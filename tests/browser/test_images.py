"""Images in the console, in a real browser: drop a phone photo on the compose page, write its
alt text, verify it, and see every channel get the image without its metadata."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_console_flow import _accounts, _deliver
from tests.media.support import assert_no_metadata, gps_jpeg, png

ALT = "A grey mountain bike with a red saddle"


def _drop(page, data: bytes, name: str, mime: str) -> None:
    transfer = page.evaluate_handle(
        """([bytes, name, mime]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, {type: mime}));
            return transfer;
        }""", [list(data), name, mime])
    page.dispatch_event("#image-drop", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("#image-drop", "drop", {"dataTransfer": transfer})


def test_an_officer_drops_a_photo_and_every_channel_gets_it_without_metadata(
        server, users, sign_in, audit_a11y, tmp_path):
    accounts = _accounts(server)
    officer = sign_in(users["officer"])
    officer.get_by_role("link", name="New message", exact=True).click()
    officer.get_by_label("Message text").fill("Have you seen this bike? It was stolen in Castle Street.")
    for name in ("Force website", "Force Facebook", "Force X"):
        officer.get_by_role("checkbox", name=re.compile(f"^{name}")).check()

    _drop(officer, gps_jpeg(60, 40), "IMG_0042.jpg", "image/jpeg")
    expect(officer.locator("#image-status")).to_contain_text("Added image 1")
    expect(officer.locator("#image-list .image-thumb")).to_have_count(1)
    # The preview is the stored image: the console serves it, stripped and upright.
    src = officer.locator("#image-list .image-thumb").get_attribute("src")
    shown = officer.request.get(src)
    assert shown.ok
    assert_no_metadata(shown.body())
    # A second image through the file picker, then removed again.
    picked = tmp_path / "map.png"
    picked.write_bytes(png(30, 20))
    officer.set_input_files("#image-file", str(picked))
    expect(officer.locator("#image-list .image-thumb")).to_have_count(2)
    officer.get_by_role("button", name="Remove image 2").click()
    expect(officer.locator("#image-list .image-thumb")).to_have_count(1)
    # Something that is not an image is refused with a reason.
    _drop(officer, b"%PDF-1.4 a document", "notes.pdf", "application/pdf")
    expect(officer.locator("#image-status")).to_contain_text("Not added: the file is not a JPEG")
    audit_a11y(officer, "compose with an image")

    # Submitting without alt text is refused, naming the image.
    officer.get_by_role("button", name="Submit for verification").click()
    expect(officer.locator(".error-summary, [role=alert]").first).to_contain_text("image 1 needs alt text")
    officer.get_by_label("Alt text for image 1").fill(ALT)
    officer.get_by_role("button", name="Submit for verification").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Awaiting verification")
    message_id = int(re.search(r"/messages/(\d+)", officer.url).group(1))

    supervisor = sign_in(users["supervisor"])
    supervisor.goto(f"/messages/{message_id}")
    images = supervisor.get_by_role("region", name="Images and their alt text")
    expect(images.get_by_role("img", name=ALT)).to_be_visible()
    expect(images).to_contain_text(ALT)
    audit_a11y(supervisor, "verify page with an image")
    supervisor.get_by_role("button", name=re.compile("^Approve version")).click()
    expect(supervisor.get_by_role("heading", level=1)).to_contain_text("Live status")

    for key in ("website", "facebook", "x"):
        delivery = _deliver(server, message_id, accounts[key].id)
        assert delivery.state == "sent", delivery.last_error
    [tweet] = server["x"].posts
    data, alt = server["x"].upload(tweet["media_ids"][0])
    assert alt == ALT
    assert_no_metadata(data)
    [post] = server["graph"].posts
    photo = server["graph"].photo(post["attached_media"][0])
    assert photo["alt_text_custom"] == ALT
    assert_no_metadata(photo["data"])
    # The website's news list shows the image with its alt text, and serves it without metadata.
    public = officer.context.new_page()
    public.goto(f"{server['url']}/news")
    picture = public.get_by_role("img", name=ALT)
    expect(picture).to_be_visible()
    assert_no_metadata(public.request.get(picture.get_attribute("src")).body())
