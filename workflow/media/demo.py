"""The demo's appeal with a picture: a draft with an image and its alt text, waiting for
verification, so that ``crier run`` shows images from the first minute."""
from __future__ import annotations

import io
from typing import Sequence

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts.models import ChannelAccount, User
from workflow.core.unit_of_work import transactional
from workflow.media import service
from workflow.media.models import VersionImage
from workflow.messages import drafts, review

APPEAL = ("Have you seen this bicycle? A red town bike with a black basket was stolen from the racks on "
          "Market Street between 2pm and 4pm on Monday. If you have seen it, call 101.")
ALT = "Drawing of a red town bicycle with a black wicker basket on the handlebars"


def _picture() -> bytes:
    """A simple drawing of a bicycle (made here, so the demo ships no photo)."""
    image = Image.new("RGB", (640, 400), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    for centre in (170, 470):
        draw.ellipse((centre - 95, 185, centre + 95, 375), outline=(40, 40, 40), width=10)
    red = (200, 30, 40)
    for line in (((170, 280), (300, 280)), ((300, 280), (250, 170)), ((250, 170), (420, 170)),
                 ((420, 170), (470, 280)), ((300, 280), (420, 170)), ((250, 170), (235, 130)),
                 ((420, 170), (430, 110))):
        draw.line(line, fill=red, width=12)
    draw.rectangle((205, 115, 270, 130), fill=(30, 30, 30))
    draw.rectangle((425, 60, 520, 115), outline=(30, 30, 30), width=8)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@transactional
def ensure_demo_appeal(session: Session, accounts: Sequence[ChannelAccount]) -> None:
    """Once per demo database: the appeal with a picture, submitted for verification by the demo officer."""
    if session.execute(select(VersionImage.version_id).limit(1)).first() is not None:
        return
    officer = session.execute(select(User).where(User.username == "officer")).scalar_one_or_none()
    targets = [a.id for a in accounts if a.area is None]
    if officer is None or not targets:
        return
    media = service.upload(session, officer, _picture())
    message = drafts.create_draft(session, officer, {"body": APPEAL, "accounts": targets,
                                                     "images": [{"media": media.id, "alt": ALT}]})
    review.submit(session, officer, message.id)
