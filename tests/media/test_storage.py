"""Where image bytes live: an S3-compatible bucket (moto's server, on loopback) behind the same
interface as the instance folder; and the removal of images no live message needs after the retention period."""
from __future__ import annotations

import datetime as dt
import io

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.conftest import ApiClient, app_config, make_account, make_user
from tests.media.support import assert_no_metadata, gps_jpeg, png
from tests.public.support import mark_sent
from workflow.accounts.tokens import create_token
from workflow.core.database import utcnow
from workflow.core.errors import ValidationError
from workflow.delivery.sweeper import purge_images
from workflow.media.models import Media
from workflow.media.storage import BucketStore, FolderStore, parse_location, store_for
from workflow.messages import corrections, drafts, review

BUCKET = "crier-media"


@pytest.fixture
def s3(monkeypatch):
    """A local S3-compatible server (moto) with an empty bucket; no network."""
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "eu-west-2")):
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"
    # moto keeps its buckets per process: start from none.
    requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    client = boto3.client("s3", endpoint_url=url, region_name="eu-west-2")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    yield url, client
    server.stop()


@pytest.fixture
def bucket_app(database_url, tmp_path, monkeypatch, s3):
    from web import create_app

    url, _client = s3
    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "bucket-instance"))
    app = create_app(app_config(database_url, tmp_path, MEDIA_STORAGE=f"s3://{BUCKET}/uploads",
                                MEDIA_S3_ENDPOINT_URL=url))
    yield app
    app.extensions["crier"].engine.dispose()


def upload(client: ApiClient, data: bytes) -> dict:
    response = client.client.post("/api/v1/media", headers=client.headers, content_type="multipart/form-data",
                                  data={"file": (io.BytesIO(data), "photo.jpg")})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_images_go_to_the_bucket_without_metadata_and_the_website_serves_them_from_there(bucket_app, s3):
    _url, client = s3
    runtime = bucket_app.extensions["crier"]
    assert isinstance(store_for(runtime.settings), BucketStore)
    session = runtime.session()
    officer, supervisor = make_user(session, "olivia"), make_user(session, "sam", "supervisor")
    api = ApiClient(bucket_app.test_client(), create_token(session, officer, "tests"))
    website = make_account(session, "website", "Force website")
    website_id = website.id
    session.commit()
    stored = upload(api, gps_jpeg())
    key = f"uploads/{session.get(Media, stored['id']).storage_key}"
    session.commit()
    data = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert len(data) == stored["bytes"]
    assert_no_metadata(data)
    assert client.head_object(Bucket=BUCKET, Key=key)["ContentType"] == "image/jpeg"
    # Nothing in the instance folder.
    assert not (runtime.settings.media_storage.startswith("/"))

    created = api.post("/messages", json={"body": "Have you seen this bicycle?", "accounts": [website_id],
                                          "images": [{"media": stored["id"], "alt": "A red bicycle"}]})
    message_id = created.get_json()["id"]
    review.submit(session, officer, message_id)
    review.approve(session, supervisor, message_id, 1)
    mark_sent(session, message_id, utcnow())
    session.commit()
    page = bucket_app.test_client().get(f"/news/{created.get_json()['slug']}")
    assert page.status_code == 200 and 'alt="A red bicycle"' in page.get_data(as_text=True)
    src = page.get_data(as_text=True).split('class="update-image">', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    served = bucket_app.test_client().get(src)
    assert served.status_code == 200 and served.data == data

    # Withdrawn: the page and its image are gone at once; the bytes after the retention period.
    corrections.withdraw(session, supervisor, message_id, "found")
    session.commit()
    assert bucket_app.test_client().get(src).status_code == 410
    later = utcnow() + dt.timedelta(days=runtime.settings.media_retention_days + 1)
    assert purge_images(runtime, now=later, force=True) == [stored["id"]]
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket=BUCKET, Key=key)
    session.close()


def test_retention_keeps_what_a_live_message_needs_and_removes_the_rest(app, runtime, session, api, officer,
                                                                       supervisor, website_account):
    client = api(officer)
    live = upload(client, gps_jpeg())
    withdrawn = upload(client, png(10, 10, (1, 1, 1)))
    unused = upload(client, png(12, 12, (2, 2, 2)))
    for image, body in ((live, "A live appeal"), (withdrawn, "An appeal withdrawn")):
        response = client.post("/messages", json={"body": body, "accounts": [website_account.id],
                                                  "images": [{"media": image["id"], "alt": "A photo"}]})
        image["message"] = response.get_json()["id"]
        review.submit(session, officer, image["message"])
        review.approve(session, supervisor, image["message"], 1)
        mark_sent(session, image["message"], utcnow())
    corrections.withdraw(session, supervisor, withdrawn["message"], "resolved")
    session.commit()
    store = store_for(runtime.settings)
    assert isinstance(store, FolderStore)

    # Within the retention period nothing goes.
    assert purge_images(runtime, now=utcnow() + dt.timedelta(days=1), force=True) == []
    later = utcnow() + dt.timedelta(days=runtime.settings.media_retention_days + 1)
    assert sorted(purge_images(runtime, now=later, force=True)) == sorted([withdrawn["id"], unused["id"]])
    session.expire_all()
    for image, kept in ((live, True), (withdrawn, False), (unused, False)):
        media = session.get(Media, image["id"])
        assert (store.get(media.storage_key) is not None) is kept
        assert (media.purged_at is None) is kept
    # A purged image can no longer be attached.
    with pytest.raises(ValidationError, match="no uploaded image"):
        drafts.create_draft(session, officer, {"body": "Again", "accounts": [website_account.id],
                                               "images": [{"media": unused["id"], "alt": "A photo"}]})


def test_storage_locations_are_checked():
    assert parse_location("s3://crier-media/a/b") == ("s3", "crier-media", "a/b")
    assert parse_location("/var/lib/crier/media") == ("folder", "/var/lib/crier/media", "")
    for bad in ("s3://Bad_Bucket", "https://example.org/x", ""):
        with pytest.raises(ValueError):
            parse_location(bad)
    with pytest.raises(ValueError):
        FolderStore("/tmp").get("../etc/passwd")
