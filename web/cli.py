"""The ``crier`` command: a Flask CLI group over Crier's app factory."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from workflow import accounts, audit
from workflow.errors import CrierError
from workflow.migrate import upgrade as migrate_upgrade

from . import create_app


def _runtime():
    return current_app.extensions["crier"]


def _fail(exc: CrierError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def cli() -> None:
    """Crier: draft once, verify, publish everywhere."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the migrations to the configured database."""
    migrate_upgrade(_runtime().settings.database_url, revision)
    click.echo("database is up to date")


@cli.group()
def user() -> None:
    """People who use the console and the API."""


def _read_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["officer", "supervisor", "admin"]), required=True)
@click.option("--display-name", default="")
@with_appcontext
def user_add(name: str, role: str, display_name: str) -> None:
    """Add a user; the password is read from standard input."""
    password = _read_secret("Password")
    with _runtime().session() as session:
        try:
            created = accounts.create_user(session, name, password, role, display_name)
        except CrierError as exc:
            _fail(exc)
        click.echo(f"added {created.role} {created.username}")


@cli.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
@with_appcontext
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is shown only once)."""
    with _runtime().session() as session:
        try:
            owner = accounts.get_user(session, name)
        except CrierError as exc:
            _fail(exc)
        click.echo(accounts.create_token(session, owner, label))


@cli.group()
def account() -> None:
    """Channel accounts."""


@account.command("add")
@click.argument("kind", type=click.Choice(["x", "facebook", "website"]))
@click.option("--name", required=True)
@click.option("--area", default=None, help="Neighbourhood area; omit for a force-wide account.")
@with_appcontext
def account_add(kind: str, name: str, area: str | None) -> None:
    """Add a channel account; its credentials are read as JSON from standard input."""
    raw = sys.stdin.read() if not sys.stdin.isatty() else click.prompt("Credentials JSON", hide_input=True)
    try:
        credentials = json.loads(raw or "{}")
    except ValueError:
        click.echo("error: credentials must be a JSON object on standard input", err=True)
        sys.exit(1)
    with _runtime().session() as session:
        try:
            created = accounts.add_account(session, kind, name, credentials, area=area)
        except CrierError as exc:
            _fail(exc)
        click.echo(f"added {created.kind} account {created.name} (id {created.id})")


@account.command("list")
@with_appcontext
def account_list() -> None:
    """List channel accounts (never their credentials)."""
    with _runtime().session() as session:
        for a in accounts.list_accounts(session):
            click.echo(f"{a.id}\t{a.kind}\t{a.name}\t{a.area or 'force-wide'}\t{a.status}")


@cli.group()
def keys() -> None:
    """Credentials encryption keys."""


@keys.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Re-encrypt every account's credentials with the first key of CRIER_CREDENTIAL_KEYS."""
    with _runtime().session() as session:
        click.echo(f"re-encrypted {accounts.rotate_credentials(session)} account(s)")


@keys.command("generate")
def keys_generate() -> None:
    """Print a new credentials key to put first in CRIER_CREDENTIAL_KEYS."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode("ascii"))


@cli.group(name="audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the hash chain; report the first broken link."""
    with _runtime().session() as session:
        count, broken = audit.verify_chain(session)
    if broken:
        click.echo(f"audit chain BROKEN at event {broken.event_id}: {broken.reason} "
                   f"({count} event(s) checked)", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {count} event(s)")


# The delivery engine ------------------------------------------------------------

def _celery():
    return current_app.extensions["celery"]


@cli.command("worker")
@click.option("-Q", "--queues", default="incident,routine", show_default=True,
              help="Queues to consume, most urgent first. In production run one worker per queue.")
@click.option("-c", "--concurrency", type=int, default=None,
              help="Parallel deliveries (default: the number of CPUs; more with --pool threads).")
@click.option("-P", "--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork",
              show_default=True, help="prefork enforces the hard time limit; threads suits slow platforms.")
@click.option("-n", "--hostname", default=None, help="Worker name (default: crier-<queues>@<host>).")
@click.option("-l", "--loglevel", default="INFO", show_default=True)
@with_appcontext
def worker(queues: str, concurrency: int | None, pool: str, hostname: str | None, loglevel: str) -> None:
    """Run a Celery worker that delivers posts."""
    from workflow.celery_app import QUEUES

    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in names if q not in QUEUES]
    if not names or unknown:
        click.echo(f"error: queues are {', '.join(QUEUES)}; not {', '.join(unknown) or 'none'}", err=True)
        sys.exit(2)
    argv = ["worker", "--queues", ",".join(names), "--pool", pool, "--loglevel", loglevel,
            "--hostname", hostname or f"crier-{'-'.join(names)}@%h",
            # Workers need not know each other: the database coordinates them.
            "--without-gossip", "--without-mingle"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    _celery().worker_main(argv)


@cli.command("scheduler")
@click.option("--interval", type=float, default=None,
              help="Seconds between passes (default CRIER_SWEEP_INTERVAL).")
@click.option("--once", is_flag=True, help="Make one pass and exit.")
@with_appcontext
def scheduler(interval: float | None, once: bool) -> None:
    """Wake due and stranded deliveries and plan recurring posts, in a loop."""
    import logging
    import signal
    import threading

    from workflow import sweeper

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = _runtime()
    if once:
        report = sweeper.sweep(runtime)
        click.echo(f"planned {report.planned} occurrence delivery(ies), woke {report.woken} delivery(ies)")
        return
    stop = threading.Event()

    def _stop(_signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sweeper.run_scheduler(runtime, stop=stop, interval=interval)


def main() -> None:
    cli(prog_name="crier")
