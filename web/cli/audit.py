"""``crier audit verify`` and ``crier db upgrade``: the audit trail and the database schema."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from workflow.audit import checkpoints as audit_checkpoints
from workflow.audit import verification
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
        found = verification.check_trail(session, key, folder)
    if not found.intact:
        if found.in_chain:
            click.echo(f"audit chain BROKEN at {found.where}: {found.reason} ({found.events} event(s) checked)",
                       err=True)
        else:
            click.echo(f"audit BROKEN at {found.where}: {found.reason}", err=True)
        sys.exit(1)
    if folder:
        with crier.session() as session:
            audit_checkpoints.write_checkpoint(session, key, folder)
    click.echo(f"audit chain intact: {found.events} event(s), every version and decision recorded")
