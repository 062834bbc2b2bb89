"""Crier's channels: one adapter per platform behind one interface.

Adapters take credentials and a :class:`~channels.base.Post`, never database
rows; ``channels`` imports nothing from ``workflow`` or ``web``.

``base``        the interface, the error classes and the adapter registry
``_http``       the HTTP plumbing every adapter shares: bound session, timeouts,
                the transient / permanent / unknown reading of failures
``x/``          X: the tweepy adapter and X's text rules (``x.text``)
``facebook/``   Facebook Pages: the adapter and its thin Graph API client
``website/``    the force website and its signed CMS webhook (``website.address``)
``simulators/`` local X and Graph API servers, for the demo and the tests only
"""
from .base import (  # noqa: F401
    Channel,
    ChannelConfig,
    ChannelError,
    OutcomeUnknownError,
    PermanentError,
    Post,
    Problem,
    PublishResult,
    TransientError,
    channel_class,
    make_channel,
    register,
)
