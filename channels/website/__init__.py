"""The force website: Crier's own public pages, and the optional signed webhook to the force CMS.

``adapter`` is the channel; ``address`` decides where a webhook may point
(also used when an account's credentials are checked); ``urls`` builds every
public link.
"""
from .adapter import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebsiteChannel, sign  # noqa: F401
from .address import webhook_url_problem  # noqa: F401
from .urls import page_url  # noqa: F401
