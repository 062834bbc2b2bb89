"""The force website: Crier's own public pages, and the optional signed webhook to the force CMS.

``adapter`` is the channel; ``address`` decides where a webhook may point
(also used when an account's credentials are checked).
"""
from .adapter import (  # noqa: F401
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebsiteChannel,
    page_url,
    sign,
)
from .address import webhook_url_problem  # noqa: F401
