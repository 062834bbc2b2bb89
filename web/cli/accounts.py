"""``crier account`` and ``crier keys``: channel accounts and the keys that encrypt their credentials."""
from __future__ import annotations

import click
from cryptography.fernet import Fernet
from flask.cli import with_appcontext

from workflow.accounts import channel_accounts

from .common import read_credentials, runtime, service


@click.group()
def account() -> None:
    """Channel accounts."""


@account.command("add")
@click.argument("kind", type=click.Choice(["x", "facebook", "website"]))
@click.option("--name", required=True)
@click.option("--area", default=None, help="Neighbourhood area; omit for a force-wide account.")
@click.option("--exercise", is_flag=True, help="A sandbox account: it carries exercise messages only.")
@with_appcontext
def account_add(kind: str, name: str, area: str | None, exercise: bool) -> None:
    """Add a channel account; its credentials are read as JSON from standard input."""
    credentials = read_credentials()
    with service() as session:
        opened = channel_accounts.verify_credentials(session, kind, credentials)
        created = channel_accounts.add_account(session, kind, name, credentials, area=area, exercise=exercise)
        click.echo(f"added {created.kind} account {created.name} (id {created.id})"
                   + (f": {opened}" if opened else ""))


@account.command("list")
@with_appcontext
def account_list() -> None:
    """List channel accounts (never their credentials)."""
    with runtime().session() as session:
        for a in channel_accounts.list_accounts(session):
            click.echo(f"{a.id}\t{a.kind}\t{a.name}\t{a.area or 'force-wide'}\t{a.status}"
                       + ("\texercise" if a.exercise else ""))


def _account_change(action, done: str, *args) -> None:
    with service() as session:
        account = action(session, None, *args)
        click.echo(done.format(account=account))


@account.command("disable")
@click.argument("account_id")
@with_appcontext
def account_disable(account_id: str) -> None:
    """Disable an account: nothing new targets it and its unsent posts fail with the reason."""
    _account_change(channel_accounts.set_account_enabled, "disabled {account.name}", account_id, False)


@account.command("enable")
@click.argument("account_id")
@with_appcontext
def account_enable(account_id: str) -> None:
    """Enable a disabled account."""
    _account_change(channel_accounts.set_account_enabled, "enabled {account.name}", account_id, True)


@account.command("set-credentials")
@click.argument("account_id")
@with_appcontext
def account_set_credentials(account_id: str) -> None:
    """Replace an account's credentials with JSON from standard input, checked against the platform."""
    credentials = read_credentials()
    _account_change(channel_accounts.set_account_credentials, "credentials of {account.name} replaced", account_id,
                    credentials)


@account.command("remove")
@click.argument("account_id")
@with_appcontext
def account_remove(account_id: str) -> None:
    """Remove an account; refused while it has unsettled deliveries."""
    with service() as session:
        channel_accounts.remove_account(session, None, account_id)
    click.echo(f"removed account {account_id}")


@click.group()
def keys() -> None:
    """Credentials encryption keys."""


@keys.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Re-encrypt every account's credentials with the first key of CRIER_CREDENTIAL_KEYS."""
    with runtime().session() as session:
        click.echo(f"re-encrypted {channel_accounts.rotate_credentials(session)} account(s)")


@keys.command("generate")
def keys_generate() -> None:
    """Print a new credentials key to put first in CRIER_CREDENTIAL_KEYS."""
    click.echo(Fernet.generate_key().decode("ascii"))


