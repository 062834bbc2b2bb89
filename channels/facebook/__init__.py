"""Facebook: the Page adapter and the thin Graph API client it posts through.

``adapter`` knows what Graph's answers mean for a Page post; ``graph`` only
speaks Graph's HTTP (see docs/design-notes.md for why it is Crier's own).
"""
from .adapter import MAX_POST_CHARS, FacebookChannel, PostGoneError  # noqa: F401
from .graph import GraphClient, GraphError, appsecret_proof  # noqa: F401
