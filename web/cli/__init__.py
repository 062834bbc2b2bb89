"""The ``crier`` command: a Flask CLI group over Crier's app factory.

One module per command group; the worker and the scheduler start without the
web app (``engine``).
"""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from workflow.core.config import SettingsError

from .. import create_app
from . import accounts, audit, engine, insights, people, run


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def cli() -> None:
    """Crier: draft once, verify, publish everywhere."""


for command in (audit.db, people.user, people.token, accounts.account, accounts.keys, audit.audit_group,
                engine.worker, engine.scheduler, run.simulate, run.run, insights.area, insights.insights):
    cli.add_command(command)


def main() -> None:
    """The ``crier`` command. A malformed ``CRIER_*`` setting stops it with one clear line."""
    try:
        cli(prog_name="crier")
    except SettingsError as exc:
        click.echo(f"crier: {exc}", err=True)
        sys.exit(2)
