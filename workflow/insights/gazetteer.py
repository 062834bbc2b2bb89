"""Each area's gazetteer: its towns, villages, estates, districts and outward postcode districts.

An area is the ``--area`` of its accounts; ``*`` holds places of the force as
a whole that lie in no one neighbourhood (the city's own name). A county named
in the gazetteer is a home county: it confirms a place after it ("Tunstall,
Staffs") and is never a place itself. ``crier area import FILE`` reads a CSV
``area,place``; the console shows and edits the same rows.
"""

from __future__ import annotations

import csv
import io
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.errors import NotFoundError, ValidationError
from workflow.core.text import clean_text, is_id
from workflow.core.unit_of_work import transactional
from workflow.insights.matching import Matcher, place_key
from workflow.insights.models import WHOLE_FORCE, AreaPlace

#: The most rows one import may carry, and the largest file read.
MAX_ROWS = 20_000
MAX_IMPORT_BYTES = 2_000_000

#: The demo force's gazetteer: Stoke-on-Trent's neighbourhoods (the demo accounts' areas).
DEMO_GAZETTEER: dict[str, tuple[str, ...]] = {
    "City Centre": (
        "Hanley",
        "Shelton",
        "Etruria",
        "Cobridge",
        "Birches Head",
        "Northwood",
        "Joiner's Square",
        "ST1",
        "ST4",
    ),
    "North": (
        "Burslem",
        "Tunstall",
        "Kidsgrove",
        "Smallthorne",
        "Goldenhill",
        "Chell",
        "Chell Heath",
        "Norton",
        "Packmoor",
        "Sneyd Green",
        "Middleport",
        "Ball Green",
        "ST6",
        "ST7",
        "ST8",
    ),
    "South": (
        "Longton",
        "Fenton",
        "Meir",
        "Meir Heath",
        "Meir Park",
        "Trentham",
        "Blurton",
        "Normacot",
        "Lightwood",
        "Dresden",
        "Weston Coyney",
        "ST3",
    ),
    WHOLE_FORCE: ("Stoke-on-Trent", "Stoke", "The Potteries", "Staffordshire", "Staffs", "North Staffs"),
}


def _area(value: object) -> str:
    return clean_text(value, "The area", 120, "area")


def _place(value: object) -> str:
    name = clean_text(value, "The place", 120, "place")
    if not place_key(name):
        raise ValidationError(f"{name!r} has no letters or digits to match", field="place")
    return name


def places(session: Session, area: str | None = None) -> list[AreaPlace]:
    """Every place, by area then name (or the places of one area)."""
    query = select(AreaPlace).order_by(AreaPlace.area, AreaPlace.name)
    if area is not None:
        query = query.where(AreaPlace.area == area)
    return list(session.execute(query).scalars())


def by_area(session: Session) -> dict[str, list[AreaPlace]]:
    """The gazetteer grouped by area."""
    out: dict[str, list[AreaPlace]] = {}
    for row in places(session):
        out.setdefault(row.area, []).append(row)
    return out


def matcher(session: Session) -> Matcher:
    """A matcher over the whole gazetteer as it is now."""
    return Matcher((row.area, row.name) for row in places(session))


def _add(session: Session, area: str, name: str, existing: set[tuple[str, str]]) -> bool:
    key = place_key(name)
    if (area, key) in existing:
        return False
    session.add(AreaPlace(area=area, name=name, key=key))
    existing.add((area, key))
    return True


def _existing(session: Session) -> set[tuple[str, str]]:
    return set(session.execute(select(AreaPlace.area, AreaPlace.key)).tuples())


@transactional
def add_place(session: Session, actor: User | None, area: object, place: object) -> AreaPlace:
    """Add one place to an area; a place the area has already (in any spelling) is refused."""
    policy.require_operator(actor, Action.ADMINISTER)
    area_name, name = _area(area), _place(place)
    if not _add(session, area_name, name, _existing(session)):
        raise ValidationError(f"{area_name} already has {name}", field="place")
    audit.record(session, actor, "gazetteer.place_added", area=area_name, place=name)
    return session.execute(
        select(AreaPlace).where(AreaPlace.area == area_name, AreaPlace.key == place_key(name))
    ).scalar_one()


@transactional
def remove_place(session: Session, actor: User | None, place_id: int) -> AreaPlace:
    """Remove one place from its area."""
    policy.require_operator(actor, Action.ADMINISTER)
    row = session.get(AreaPlace, place_id) if is_id(place_id) else None
    if row is None:
        raise NotFoundError("there is no such place in the gazetteer")
    session.delete(row)
    audit.record(session, actor, "gazetteer.place_removed", area=row.area, place=row.name)
    return row


def read_csv(text: str) -> list[tuple[str, str]]:
    """The ``(area, place)`` rows of a CSV ``area,place`` (a header row is optional), checked."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_IMPORT_BYTES:
        raise ValidationError(f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB", field="file")
    rows: list[tuple[str, str]] = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), 1):
            if not row or all(not cell.strip() for cell in row):
                continue
            if number == 1 and [c.strip().lower() for c in row[:2]] == ["area", "place"]:
                continue
            if len(row) != 2:
                raise ValidationError(f"line {number}: expected two columns, area and place", field="file")
            try:
                rows.append((_area(row[0]), _place(row[1])))
            except ValidationError as exc:
                raise ValidationError(f"line {number}: {exc.message}", field="file") from None
            if len(rows) > MAX_ROWS:
                raise ValidationError(f"more than {MAX_ROWS:,} places in one file", field="file")
    except csv.Error as exc:
        raise ValidationError(f"the file is not a CSV of area,place: {exc}", field="file") from None
    return rows


@transactional
def import_places(
    session: Session, actor: User | None, rows: Iterable[tuple[str, str]], *, replace: bool = False
) -> tuple[int, int]:
    """Add ``rows`` to the gazetteer (``replace``: empty the areas named first); returns (added, known)."""
    policy.require_operator(actor, Action.ADMINISTER)
    rows = list(rows)
    if replace:
        areas = sorted({area for area, _ in rows})
        session.execute(delete(AreaPlace).where(AreaPlace.area.in_(areas)))
        session.flush()
    existing = _existing(session)
    added = sum(1 for area, name in rows if _add(session, area, name, existing))
    audit.record(
        session,
        actor,
        "gazetteer.imported",
        added=added,
        rows=len(rows),
        replace=replace,
        areas=sorted({area for area, _ in rows}),
    )
    return added, len(rows) - added


def ensure_demo(session: Session) -> int:
    """Give the demo areas their places (those missing); returns how many were added."""
    rows = [(area, name) for area, names in DEMO_GAZETTEER.items() for name in names]
    existing = _existing(session)
    missing = [(area, name) for area, name in rows if (area, place_key(name)) not in existing]
    if not missing:
        return 0
    return import_places(session, None, missing)[0]
