"""X: the adapter (tweepy, threads, threaded corrections) and X's text rules.

``adapter`` talks to X; ``text`` holds the weighted length and thread
splitting, used by the adapter, the simulator and the console.
"""
from .adapter import CREDENTIAL_KEYS, TWEEPY_HOSTS, DuplicatePostError, XChannel, XSession, classify_error  # noqa: F401
from .text import MAX_WEIGHTED_LENGTH, invalid_characters, split_thread, weighted_length  # noqa: F401
