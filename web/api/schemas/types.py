"""Field types shared by the request and response models."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, StrictStr, WithJsonSchema

#: Marks the text of a post: its maxLength follows ``CRIER_MAX_BODY_CHARS`` and is
#: filled in when the OpenAPI document is assembled.
POST_TEXT_MARK = "x-crier-post-text"

#: A time as ``datetime.isoformat()`` writes it (naive where the database keeps it so).
Timestamp = Annotated[dt.datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str),
                      WithJsonSchema({"type": "string", "format": "date-time"})]

#: A lowercase hex SHA-256 digest.
Sha256 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]


#: The text of a post: at least one character, at most the configured limit.
PostText = Annotated[StrictStr, WithJsonSchema({"type": "string", "minLength": 1, POST_TEXT_MARK: True})]


def documented(description: str | None = None, *, default: Any = ..., **schema: Any) -> Any:
    """A field with its description and, for the document only, the limits the workflow
    services enforce: they check them, with their own messages, for the console and the API."""
    return Field(default=default, description=description, json_schema_extra=schema or None)
