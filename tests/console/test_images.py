"""Images in the console without the page's script: the file chosen in the compose form is
uploaded with it, alt text is required, the edit form keeps the images, and the verify page
shows each image with its alt text and warns when Facebook's post will be replaced."""
from __future__ import annotations

import io
import re

from tests.media.support import assert_no_metadata, gps_jpeg, png
from tests.public.support import mark_sent
from workflow.core.database import utcnow
from workflow.media import service as media
from workflow.messages import corrections, review
from workflow.messages.models import Message
from workflow.messages.versions import stored_images

TEXT = "Have you seen this bicycle? It was stolen from the station car park."


def compose(client, account_ids, **fields):
    data = {"body": TEXT, "accounts": [str(i) for i in account_ids], "images-present": "1", **fields}
    return client.post("/compose", data=data, content_type="multipart/form-data")


def test_a_file_chosen_in_the_form_is_uploaded_with_it_and_needs_alt_text(console, officer, supervisor, session,
                                                                          channel_accounts):
    client, reviewer = console(officer), console(supervisor)
    ids = [channel_accounts["website"].id, channel_accounts["facebook"].id]
    session.commit()
    refused = compose(client, ids, **{"image-file": (io.BytesIO(gps_jpeg()), "IMG_1.jpg"), "image-file-alt": ""})
    assert refused.status_code == 422
    assert "image 1 needs alt text" in refused.get_data(as_text=True)

    saved = compose(client, ids, **{"image-file": (io.BytesIO(gps_jpeg()), "IMG_1.jpg"),
                                    "image-file-alt": "A red bicycle by a fence"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    message_id = int(re.search(r"/messages/(\d+)", saved.headers["Location"]).group(1))
    session.expire_all()
    [image] = stored_images(session.get(Message, message_id).latest)
    assert image["alt"] == "A red bicycle by a fence"
    session.commit()  # on SQLite an open read would hold the lock the app needs

    edit = client.get(f"/messages/{message_id}/edit").get_data(as_text=True)
    assert f'name="image-media" value="{image["media"]}"' in edit and "A red bicycle by a fence" in edit
    preview = client.get(f"/media/{image['media']}")
    assert preview.status_code == 200
    assert_no_metadata(preview.data)

    # A second image through the form, then the verify page.
    form = {"body": TEXT, "accounts": [str(i) for i in ids], "images-present": "1",
            "image-media": [str(image["media"])], "image-alt": ["A red bicycle by a fence"],
            "image-file": (io.BytesIO(png()), "map.png"), "image-file-alt": "Map of the car park",
            "action": "submit", "version": "1", "message_id": str(message_id)}
    assert client.post(f"/messages/{message_id}/edit", data=form,
                       content_type="multipart/form-data").status_code == 302
    page = reviewer.get(f"/messages/{message_id}").get_data(as_text=True)
    assert 'alt="A red bicycle by a fence"' in page and 'alt="Map of the car park"' in page
    assert "Images and their alt text" in page
    # Nothing is live on Facebook yet: no word of replacing a post.
    assert "Facebook cannot change the images of a live post" not in page

    # Live on Facebook, a correction with another image says the post will be replaced.
    review.approve(session, supervisor, message_id, 2)
    mark_sent(session, message_id, utcnow())
    other = media.upload(session, officer, png(16, 16, (9, 9, 9)))
    corrections.correct(session, officer, message_id, TEXT, "a clearer photo",
                        images=[{"media": other.id, "alt": "The bicycle, closer"}])
    session.commit()
    page = reviewer.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "Facebook cannot change the images of a live post" in page
    assert 'alt="The bicycle, closer"' in page


def test_the_console_upload_refuses_what_is_not_an_image(console, officer):
    client = console(officer)
    response = client.client.post("/media", data={"file": (io.BytesIO(b"plain text"), "a.txt")},
                                  headers={"X-CSRFToken": client.token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "not a JPEG, PNG, GIF or WebP" in response.get_json()["error"]["message"]
    without_csrf = client.client.post("/media", data={"file": (io.BytesIO(png()), "a.png")},
                                      content_type="multipart/form-data")
    assert without_csrf.status_code == 400
