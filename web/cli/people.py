"""``crier user`` and ``crier token``: people who use the console and the API, and their API tokens."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from workflow.accounts import tokens as accounts_tokens
from workflow.accounts import twofactor, users
from workflow.notices import duty

from .common import read_secret, runtime, service


@click.group()
def user() -> None:
    """People who use the console and the API."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["officer", "supervisor", "admin"]), required=True)
@click.option("--display-name", default="")
@click.option("--email", default=None, help="Where notices to this person go.")
@with_appcontext
def user_add(name: str, role: str, display_name: str, email: str | None) -> None:
    """Add a user; the password is read from standard input."""
    password = read_secret("Password")
    with service() as session:
        address = users.check_email(email)
        created = users.create_user(session, name, password, role, display_name)
        if address:
            users.update_user(session, None, created.username, email=address)
        click.echo(f"added {created.role} {created.username}")


@user.command("list")
@with_appcontext
def user_list() -> None:
    """One user a line: name, role, active or disabled, email, second factor."""
    with runtime().session() as session:
        for person in users.list_users(session):
            click.echo("\t".join([person.username, str(person.role), "active" if person.active else "disabled",
                                  person.email or "-", "2fa" if person.totp_enabled_at else "no-2fa"]))


def _update_user(name: str, done: str, **change) -> None:
    with service() as session:
        users.update_user(session, None, name, **change)
    click.echo(done)


@user.command("disable")
@click.argument("name")
@with_appcontext
def user_disable(name: str) -> None:
    """Disable NAME at once: console sessions end and API tokens are revoked."""
    _update_user(name, f"disabled {name}; their sessions and API tokens have ended", active=False)


@user.command("enable")
@click.argument("name")
@with_appcontext
def user_enable(name: str) -> None:
    """Let NAME sign in again (old API tokens stay revoked)."""
    _update_user(name, f"enabled {name}", active=True)


@user.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["officer", "supervisor", "admin"]))
@with_appcontext
def user_set_role(name: str, role: str) -> None:
    """Change NAME's role at once: console sessions end and API tokens are revoked."""
    _update_user(name, f"{name} is now {role}; their sessions and API tokens have ended", role=role)


@user.command("set-email")
@click.argument("name")
@click.argument("email")
@with_appcontext
def user_set_email(name: str, email: str) -> None:
    """Set where notices to NAME go."""
    _update_user(name, f"email of {name} set", email=email)


@user.command("duty")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def user_duty(name: str, state: str) -> None:
    """Put supervisor NAME on or off duty: those on duty are told first when a message waits."""
    with service() as session:
        duty.set_duty(session, None, state == "on", username=name)
    click.echo(f"{name} is {state} duty")


@user.command("set-password")
@click.argument("name")
@with_appcontext
def user_set_password(name: str) -> None:
    """Set NAME's password, read from standard input; their console sessions end."""
    password = read_secret("New password")
    with service() as session:
        users.set_password(session, None, name, password)
    click.echo(f"password of {name} set; their console sessions have ended")


@user.command("reset-2fa")
@click.argument("name")
@with_appcontext
def user_reset_2fa(name: str) -> None:
    """Remove NAME's second factor (lost phone): they set it up again at their next sign-in."""
    with service() as session:
        person = users.get_user(session, name)
        twofactor.reset(session, person)
        click.echo(f"second factor of {person.username} reset; their console sessions have ended")


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
@with_appcontext
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is shown only once)."""
    with service() as session:
        owner = users.get_user(session, name)
        click.echo(accounts_tokens.create_token(session, owner, label))


@token.command("list")
@click.argument("name", required=False)
@with_appcontext
def token_list(name: str | None) -> None:
    """One API token a line, its id first (never the token itself); only NAME's if given."""
    with service() as session:
        rows = accounts_tokens.list_tokens(session, name)
        for row in rows:
            state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
            used = row.last_used_at.isoformat() if row.last_used_at else "never used"
            click.echo(f"{row.id}\t{row.user.username}\t{row.name}\t{row.prefix}…\t{state}\t{used}")


@token.command("revoke")
@click.argument("token_id")
@with_appcontext
def token_revoke(token_id: str) -> None:
    """Revoke the API token with id TOKEN_ID (see crier token list): it stops working at once."""
    with service() as session:
        row = accounts_tokens.revoke_token(session, None, token_id)
        click.echo(f"revoked token {row.id} of {row.user.username}")


