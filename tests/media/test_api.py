"""Images through /api/v1: upload (made safe), images on messages, alt text, the content hash."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.api.conftest import assert_error, conforms
from tests.conftest import ApiClient, app_config, make_account, make_user
from tests.media.support import animated_gif, assert_no_metadata, gps_jpeg, png
from workflow.media.models import Media
from workflow.media.storage import store_for

TEXT = "Have you seen this bicycle? It was stolen from Market Street on Monday."


def upload(client, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return client.client.post("/api/v1/media", headers=client.headers,
                              data={"file": (io.BytesIO(data), name, content_type)},
                              content_type="multipart/form-data")


@pytest.fixture
def officer_api(api, officer):
    return api(officer)


def test_an_upload_is_stored_oriented_and_without_any_metadata(officer_api, runtime, session):
    response = upload(officer_api, gps_jpeg(40, 20, orientation=6))
    body = conforms(response, "POST", "/media")
    assert response.status_code == 201
    assert set(body) == {"id", "width", "height", "bytes", "content_type"}
    # Orientation 6 turns the 40x20 photo upright: 20 wide, 40 high.
    assert (body["width"], body["height"], body["content_type"]) == (20, 40, "image/jpeg")
    media = session.get(Media, body["id"])
    stored = store_for(runtime.settings).get(media.storage_key)
    assert len(stored) == body["bytes"] == media.bytes
    assert_no_metadata(stored)
    # The default store is the instance folder.
    assert Path(runtime.settings.media_storage, media.storage_key).read_bytes() == stored


@pytest.mark.parametrize("data,reason", [
    (b"%PDF-1.4 not an image", "not a JPEG, PNG, GIF or WebP"),
    (b"", "empty"),
    (gps_jpeg()[:200], "damaged"),
])
def test_what_is_not_an_image_is_refused_with_a_reason_and_nothing_is_stored(officer_api, session, data, reason):
    error = assert_error(upload(officer_api, data), 400, "invalid_media", "file")
    assert reason in error["message"]
    assert session.query(Media).count() == 0


def test_an_animated_gif_is_refused(officer_api):
    error = assert_error(upload(officer_api, animated_gif(), "a.gif", "image/gif"), 400, "invalid_media")
    assert "animated" in error["message"]


@pytest.fixture
def small_limit_api(database_url, tmp_path, monkeypatch):
    from web import create_app
    from workflow.accounts.tokens import create_token

    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "small"))
    app = create_app(app_config(database_url, tmp_path, MEDIA_MAX_BYTES=20_000))
    session = app.extensions["crier"].session()
    token = create_token(session, make_user(session, "olga"), "tests")
    session.commit()
    yield ApiClient(app.test_client(), token), session
    session.close()
    app.extensions["crier"].engine.dispose()


@pytest.mark.parametrize("size", [30, 400])
def test_an_upload_over_the_limit_answers_413_and_stores_nothing(small_limit_api, size):
    client, session = small_limit_api
    big = gps_jpeg(size * 10, size * 10, noise=True)
    assert len(big) > 20_000
    error = assert_error(upload(client, big), 413, "media_too_large", "file")
    assert "20,000" in error["message"]
    assert session.query(Media).count() == 0
    session.rollback()
    assert upload(client, png()).status_code == 201


def test_no_file_field_is_a_400(officer_api):
    response = officer_api.client.post("/api/v1/media", headers=officer_api.headers,
                                       data={"other": (io.BytesIO(png()), "a.png")},
                                       content_type="multipart/form-data")
    assert_error(response, 400, "bad_request", "file")
    assert_error(officer_api.post("/media", json={"file": "x"}), 400, "bad_request")


def test_images_need_alt_text_naming_the_image(officer_api, website_account):
    first = upload(officer_api, png()).get_json()["id"]
    second = upload(officer_api, png(colour=(1, 2, 3))).get_json()["id"]
    for alt in ("", "   "):
        response = officer_api.post("/messages", json={"body": TEXT, "accounts": [website_account.id],
                                                       "images": [{"media": first, "alt": "A red bicycle"},
                                                                  {"media": second, "alt": alt}]})
        error = assert_error(response, 422, field="images")
        assert "image 2" in error["message"] and "alt text" in error["message"]
    response = officer_api.post("/messages", json={"body": TEXT, "accounts": [website_account.id],
                                                   "images": [{"media": first}]})
    assert response.status_code in (400, 422)
    assert "alt" in response.get_json()["error"]["message"] or "images" in str(response.get_json())
    too_long = officer_api.post("/messages", json={"body": TEXT, "accounts": [website_account.id],
                                                   "images": [{"media": first, "alt": "a" * 1001}]})
    assert_error(too_long, 422, field="images")
    unknown = officer_api.post("/messages", json={"body": TEXT, "accounts": [website_account.id],
                                                  "images": [{"media": 999999, "alt": "x"}]})
    assert "no uploaded image 999999" in assert_error(unknown, 422, field="images")["message"]
    five = [{"media": first, "alt": f"view {i}"} for i in range(5)]
    assert_error(officer_api.post("/messages", json={"body": TEXT, "accounts": [website_account.id],
                                                     "images": five}), 422)


def test_long_alt_text_is_accepted_with_a_gentle_warning(officer_api, website_account):
    media = upload(officer_api, png()).get_json()["id"]
    response = officer_api.post("/messages", json={"body": TEXT, "accounts": [website_account.id],
                                                   "images": [{"media": media, "alt": "A bicycle. " * 30}]})
    created = conforms(response, "POST", "/messages")
    warnings = [p for p in created["checks"]["all"] if p["code"] == "long_alt_text"]
    assert warnings and warnings[0]["level"] == "warning" and "image 1" in warnings[0]["message"]


def test_images_and_alt_texts_are_in_the_content_hash_and_voids_approval(api, officer, supervisor, session):
    website = make_account(session, "website", "Force website")
    officer_api, supervisor_api = api(officer), api(supervisor)
    bike = upload(officer_api, gps_jpeg()).get_json()
    other = upload(officer_api, png()).get_json()
    created = conforms(officer_api.post("/messages", json={
        "body": TEXT, "accounts": [website.id], "images": [{"media": bike["id"], "alt": "A red bicycle"}]}),
        "POST", "/messages")
    mid = created["id"]
    shown = conforms(officer_api.get(f"/messages/{mid}"), "GET", "/messages/{message_id}")
    image = shown["versions"][0]["images"][0]
    assert image["media"] == bike["id"] and image["alt"] == "A red bicycle" and len(image["sha256"]) == 64

    officer_api.post(f"/messages/{mid}/submit")
    approved = supervisor_api.post(f"/messages/{mid}/approve", json={"version": 1})
    assert approved.status_code == 200
    # A new alt text alone: a new version, a new hash, the approval voided.
    edited = officer_api.patch(f"/messages/{mid}", json={"images": [{"media": bike["id"], "alt": "A blue bicycle"}]})
    body = conforms(edited, "PATCH", "/messages/{message_id}")
    assert body["content_hash"] != created["content_hash"] and body["status"] == "awaiting_verification"
    replaced = conforms(officer_api.patch(f"/messages/{mid}", json={
        "images": [{"media": other["id"], "alt": "A blue bicycle"}]}), "PATCH", "/messages/{message_id}")
    assert replaced["content_hash"] not in (body["content_hash"], created["content_hash"])
    same_text_no_images = conforms(officer_api.patch(f"/messages/{mid}", json={"images": []}),
                                   "PATCH", "/messages/{message_id}")
    assert same_text_no_images["content_hash"] not in (replaced["content_hash"], body["content_hash"])
    shown = officer_api.get(f"/messages/{mid}").get_json()
    assert [d["voided"] for d in shown["decisions"]] == [True]
    assert shown["versions"][-1]["images"] == []
    assert stale_approval_refused(supervisor_api, mid, created)


def stale_approval_refused(supervisor_api, mid: int, created: dict) -> bool:
    response = supervisor_api.post(f"/messages/{mid}/approve",
                                   json={"version": 1, "content_hash": created["content_hash"]})
    return response.status_code == 409


def test_the_same_picture_uploaded_twice_is_one_stored_image(officer_api, session):
    first = upload(officer_api, gps_jpeg()).get_json()
    second = upload(officer_api, gps_jpeg()).get_json()
    assert first["id"] == second["id"]
    assert session.query(Media).count() == 1


def test_a_webp_and_png_keep_their_type(officer_api):
    out = io.BytesIO()
    Image.new("RGB", (12, 6), (9, 9, 9)).save(out, "WEBP")
    body = upload(officer_api, out.getvalue(), "a.webp", "image/webp").get_json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/webp", 12, 6)
    assert upload(officer_api, png(), "a.png", "image/png").get_json()["content_type"] == "image/png"


def test_a_phone_sized_photo_over_the_json_request_limit_is_accepted(officer_api):
    # The app refuses JSON bodies over 1 MB; an image may be up to CRIER_MEDIA_MAX_BYTES.
    photo = gps_jpeg(1400, 1000, noise=True)
    assert 1024 * 1024 < len(photo) < 5 * 1024 * 1024
    response = upload(officer_api, photo)
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["width"], response.get_json()["height"]) == (1000, 1400)
