"""What the check engine reports (a :class:`Finding`) and what it is told about
the case (a :class:`Context`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Mapping

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

    @classmethod
    def recorded(cls, *flags: Mapping[str, bool]) -> Context:
        """The context an officer recorded as ticked flags (an incident's, then a message's own).

        A flag ticked in any of ``flags`` holds. An unticked flag is "not recorded", never "no":
        leaving a box empty must not silence a check that reads the text. The one exception is a
        recorded death: then the family being told and the formal identification count as not
        done until they are ticked, so naming the dead person is flagged as serious.
        """
        ticked = {name for one in flags for name, value in (one or {}).items() if value is True}
        values: dict[str, bool | None] = {name: (True if name in ticked else None) for name in CONTEXT_FIELDS}
        if values["death"]:
            for name in ("family_informed", "formally_identified"):
                values[name] = name in ticked
        return cls(**values)

    def ticked(self) -> list[str]:
        """The flags that hold, in their usual order."""
        return [name for name in CONTEXT_FIELDS if getattr(self, name) is True]


#: The legal context's flags, in the order the desk reads them.
CONTEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Context))


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
