"""``crier audit verify`` and ``crier db upgrade``: the audit trail and the database schema."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from workflow.audit import chain as audit
from workflow.audit import checkpoints as audit_checkpoints
from workflow.core.migrate import upgrade as migrate_upgrade
from workflow.core.runtime import audit_key

from .common import runtime


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the migrations to the configured database."""
    migrate_upgrade(runtime().settings.database_url, revision)
    click.echo("database is up to date")


@click.group(name="audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the chain, its seals, the newest checkpoint, and every version and decision row.

    Names the first bad event or row and exits 1; on success writes a new checkpoint.
    """
    crier = runtime()
    key, folder = audit_key(crier.settings), crier.settings.audit_checkpoints
    with crier.session() as session:
        count, broken = audit.verify_chain(session, key)
        if broken is None and folder:
            broken = audit_checkpoints.check_against_checkpoint(session, key, folder)
        bad_row = audit_checkpoints.check_rows(session) if broken is None else None
    if broken:
        where = f"event {broken.event_id}" if broken.event_id else "the checkpoints"
        click.echo(f"audit chain BROKEN at {where}: {broken.reason} ({count} event(s) checked)", err=True)
        sys.exit(1)
    if bad_row:
        kind, row_id, why = bad_row
        click.echo(f"audit BROKEN at {kind} {row_id}: {why}", err=True)
        sys.exit(1)
    if folder:
        with crier.session() as session:
            audit_checkpoints.write_checkpoint(session, key, folder)
    click.echo(f"audit chain intact: {count} event(s), every version and decision recorded")


