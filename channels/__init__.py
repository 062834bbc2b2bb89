"""Crier's channels: one adapter per platform behind one interface.

Adapters take credentials and a :class:`~channels.base.Post`, never database
rows; ``channels`` imports nothing from ``workflow`` or ``web``.
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
