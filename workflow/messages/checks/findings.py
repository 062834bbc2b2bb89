"""What the check engine reports (a :class:`Finding`) and what it is told about
the case (a :class:`Context`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

WARNING = "warning"
SERIOUS = "serious"


@dataclass(frozen=True)
class Context:
    """What is known about the case. ``None`` means not recorded: the checks then
    read what they can from the text; ``True``/``False`` make them quieter or stricter."""

    proceedings_active: bool | None = None
    arrest_made: bool | None = None
    charged: bool | None = None
    sexual_offence: bool | None = None
    child_involved: bool | None = None
    death: bool | None = None
    family_informed: bool | None = None
    formally_identified: bool | None = None
    reporting_restriction: bool | None = None


@dataclass(frozen=True)
class Contacts:
    """The force's own phone numbers and e-mail domains, which a post may carry."""

    phone_numbers: tuple[str, ...] = ()
    email_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One thing in a text the verifier must look at, with its span and guidance."""

    code: str
    severity: str
    start: int
    end: int
    text: str = field(repr=False)
    found: str
    why: str
    action: str

    @property
    def id(self) -> str:
        """Stable for a version's text: the same code, span and words give the same id."""
        digest = hashlib.sha256(f"{self.code}\x00{self.start}\x00{self.end}\x00{self.text}".encode()).hexdigest()
        return "f-" + digest[:10]

    def as_dict(self) -> dict:
        """The JSON shape of a finding; ``message`` and ``level`` keep older consumers working."""
        return {"id": self.id, "code": self.code, "severity": self.severity, "level": WARNING,
                "start": self.start, "end": self.end, "message": f"{self.found}. {self.why}",
                "found": self.found, "why": self.why, "action": self.action}


def finding(code: str, severity: str, start: int, end: int, text: str, found: str, why: str,
            action: str) -> Finding:
    """A finding over ``text[start:end]`` of the post."""
    return Finding(code, severity, start, end, text[start:end], found, why, action)
