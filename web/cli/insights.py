"""``crier area`` (the gazetteer) and ``crier insights collect`` (one insights pass now)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from workflow.delivery.workers import services_of
from workflow.insights import gazetteer, passes

from .common import fail, runtime, service


@click.group()
def area() -> None:
    """Areas and their gazetteers (places and postcode districts)."""


@area.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Empty the areas named in the file first.")
@with_appcontext
def area_import(file: Path, replace: bool) -> None:
    """Add the places of a CSV ``area,place`` (a header row is optional) to the gazetteer."""
    try:
        if file.stat().st_size > gazetteer.MAX_IMPORT_BYTES:
            fail(f"{file} is larger than {gazetteer.MAX_IMPORT_BYTES // 1_000_000} MB")
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    with service() as session:
        rows = gazetteer.read_csv(text)
        added, known = gazetteer.import_places(session, None, rows, replace=replace)
        areas = sorted({a for a, _ in rows})
        click.echo(
            f"imported {added} place(s) into {len(areas)} area(s)"
            + (f"; {known} already there" if known else "")
        )


@area.command("list")
@click.argument("name", required=False)
@with_appcontext
def area_list(name: str | None) -> None:
    """Print the gazetteer as CSV ``area,place`` (one area with NAME)."""
    with runtime().session() as session:
        for row in gazetteer.places(session, name):
            click.echo(f"{row.area},{row.name}")


@click.group()
def insights() -> None:
    """Audience insight: followers, local share, engagement and visits."""


@insights.command("collect")
@with_appcontext
def insights_collect() -> None:
    """Run one insights pass now: collect every account's audience and read the posts due a reading."""
    # The same rate-limit windows as the workers' posting (Redis, or the instance folder's file).
    limiter = services_of(current_app.extensions["celery"]).limiter
    report = passes.collect(runtime(), limiter, fresh=True)
    click.echo(report.summary())
    for outcome in report.outcomes:
        if outcome.status in ("waiting", "failed") and outcome.note:
            click.echo(f"  account {outcome.account_id}: {outcome.status}: {outcome.note}")
