"""The ``crier`` command: a Flask CLI group over Crier's app factory."""
from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Iterator

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.orm import Session

from workflow.accounts import channel_accounts, users
from workflow.accounts import tokens as accounts_tokens
from workflow.audit import chain as audit
from workflow.audit import checkpoints as audit_checkpoints
from workflow.core.config import SettingsError
from workflow.core.errors import CrierError
from workflow.core.migrate import upgrade as migrate_upgrade
from workflow.core.runtime import audit_key

from . import create_app


def _runtime():
    return current_app.extensions["crier"]


def _fail(exc: CrierError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


@contextlib.contextmanager
def _service() -> Iterator[Session]:
    """A session for one command; a domain error ends the command with its message."""
    with _runtime().session() as session:
        try:
            yield session
        except CrierError as exc:
            _fail(exc)


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
@click.option("--email", default=None, help="Where notices to this person go.")
@with_appcontext
def user_add(name: str, role: str, display_name: str, email: str | None) -> None:
    """Add a user; the password is read from standard input."""
    password = _read_secret("Password")
    with _service() as session:
        address = users.check_email(email)
        created = users.create_user(session, name, password, role, display_name)
        if address:
            users.update_user(session, None, created.username, email=address)
        click.echo(f"added {created.role} {created.username}")


@user.command("list")
@with_appcontext
def user_list() -> None:
    """One user a line: name, role, active or disabled, email, second factor."""
    with _runtime().session() as session:
        for person in users.list_users(session):
            click.echo("\t".join([person.username, str(person.role), "active" if person.active else "disabled",
                                  person.email or "-", "2fa" if person.totp_enabled_at else "no-2fa"]))


def _update_user(name: str, done: str, **change) -> None:
    with _service() as session:
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


@user.command("set-password")
@click.argument("name")
@with_appcontext
def user_set_password(name: str) -> None:
    """Set NAME's password, read from standard input; their console sessions end."""
    password = _read_secret("New password")
    with _service() as session:
        users.set_password(session, None, name, password)
    click.echo(f"password of {name} set; their console sessions have ended")


@user.command("reset-2fa")
@click.argument("name")
@with_appcontext
def user_reset_2fa(name: str) -> None:
    """Remove NAME's second factor (lost phone): they set it up again at their next sign-in."""
    from workflow.accounts import twofactor

    with _service() as session:
        person = users.get_user(session, name)
        twofactor.reset(session, person)
        click.echo(f"second factor of {person.username} reset; their console sessions have ended")


@cli.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
@with_appcontext
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is shown only once)."""
    with _service() as session:
        owner = users.get_user(session, name)
        click.echo(accounts_tokens.create_token(session, owner, label))


@token.command("list")
@click.argument("name", required=False)
@with_appcontext
def token_list(name: str | None) -> None:
    """One API token a line, its id first (never the token itself); only NAME's if given."""
    with _service() as session:
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
    with _service() as session:
        row = accounts_tokens.revoke_token(session, None, token_id)
        click.echo(f"revoked token {row.id} of {row.user.username}")


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
    with _service() as session:
        opened = channel_accounts.verify_credentials(session, kind, credentials)
        created = channel_accounts.add_account(session, kind, name, credentials, area=area)
        click.echo(f"added {created.kind} account {created.name} (id {created.id})"
                   + (f": {opened}" if opened else ""))


@account.command("list")
@with_appcontext
def account_list() -> None:
    """List channel accounts (never their credentials)."""
    with _runtime().session() as session:
        for a in channel_accounts.list_accounts(session):
            click.echo(f"{a.id}\t{a.kind}\t{a.name}\t{a.area or 'force-wide'}\t{a.status}")


def _account_change(action, done: str, *args) -> None:
    with _service() as session:
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
    raw = sys.stdin.read() if not sys.stdin.isatty() else click.prompt("Credentials JSON", hide_input=True)
    try:
        credentials = json.loads(raw or "{}")
    except ValueError:
        click.echo("error: credentials must be a JSON object on standard input", err=True)
        sys.exit(1)
    _account_change(channel_accounts.set_account_credentials, "credentials of {account.name} replaced", account_id,
                    credentials)


@account.command("remove")
@click.argument("account_id")
@with_appcontext
def account_remove(account_id: str) -> None:
    """Remove an account; refused while it has unsettled deliveries."""
    with _service() as session:
        channel_accounts.remove_account(session, None, account_id)
    click.echo(f"removed account {account_id}")


@cli.group()
def keys() -> None:
    """Credentials encryption keys."""


@keys.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Re-encrypt every account's credentials with the first key of CRIER_CREDENTIAL_KEYS."""
    with _runtime().session() as session:
        click.echo(f"re-encrypted {channel_accounts.rotate_credentials(session)} account(s)")


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
    """Check the chain, its seals, the newest checkpoint, and every version and decision row.

    Names the first bad event or row and exits 1; on success writes a new checkpoint.
    """
    runtime = _runtime()
    key, folder = audit_key(runtime.settings), runtime.settings.audit_checkpoints
    with runtime.session() as session:
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
        with runtime.session() as session:
            audit_checkpoints.write_checkpoint(session, key, folder)
    click.echo(f"audit chain intact: {count} event(s), every version and decision recorded")


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
    from workflow.delivery.workers import QUEUES

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

    from workflow.delivery import sweeper

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


def _start_simulators(host: str, x_port: int, graph_port: int):
    from channels.simulators.graph import GraphSimulator
    from channels.simulators.xapi import XSimulator

    x_sim = XSimulator(host=host, port=x_port).start()
    graph_sim = GraphSimulator(host=host, port=graph_port).start()
    return x_sim, graph_sim


@cli.command("simulate")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--x-port", type=int, default=5010, show_default=True)
@click.option("--graph-port", type=int, default=5011, show_default=True)
def simulate(host: str, x_port: int, graph_port: int) -> None:
    """Run only the local X and Facebook simulators, printing their URLs and demo credentials."""
    import threading

    from workflow.accounts import demo

    x_sim, graph_sim = _start_simulators(host, x_port, graph_port)
    click.echo(f"X API simulator:     {x_sim.url}   (CRIER_X_API_URL)")
    click.echo(f"Graph API simulator: {graph_sim.url}   (CRIER_FACEBOOK_GRAPH_URL)")
    click.echo("Demo accounts (add one with: crier account add KIND --name NAME [--area AREA] < creds.json):")
    for item in demo.simulator_accounts(x_sim, graph_sim):
        if item.kind == "website":
            continue
        click.echo(f"  {item.kind:<9} {item.name!r} area={item.area or 'force-wide'}: "
                   f"{json.dumps(item.credentials)}")
    click.echo("Fault injection: POST <simulator>/_sim/faults {\"kind\": \"429\", \"count\": 3}; "
               "state: GET <simulator>/_sim/state. Ctrl-C stops.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        x_sim.stop()
        graph_sim.stop()


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the console listens.")
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--x-port", type=int, default=0, help="X simulator port (default: any free port).")
@click.option("--graph-port", type=int, default=0, help="Graph simulator port (default: any free port).")
@click.option("--concurrency", type=int, default=4, show_default=True, help="Parallel deliveries.")
def run(host: str, port: int, x_port: int, graph_port: int, concurrency: int) -> None:
    """Run everything on this machine: console, worker, scheduler and simulators, with demo data.

    Uses CRIER_DATABASE_URL and CRIER_BROKER_URL if set; by default a SQLite
    file and a filesystem broker in the instance folder. Ctrl-C stops it all.
    """
    import logging
    import os
    import signal
    import subprocess

    from werkzeug.serving import run_simple

    from workflow.accounts import demo

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def stop_on_sigterm(signum: int, frame: Any) -> None:
        # SIGTERM (a service manager, `kill`) stops everything as Ctrl-C does.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    x_sim, graph_sim = _start_simulators("127.0.0.1", x_port, graph_port)
    children: list[subprocess.Popen] = []
    try:
        # The worker and the scheduler are separate processes: they share the
        # settings (and the instance folder) through the environment.
        os.environ["CRIER_X_API_URL"] = x_sim.url
        os.environ["CRIER_FACEBOOK_GRAPH_URL"] = graph_sim.url
        os.environ.setdefault("CRIER_PUBLIC_BASE_URL", f"http://{host}:{port}")
        os.environ["CRIER_DEMO"] = "1"
        # A CMS webhook of the demo may point at a receiver on this machine.
        os.environ.setdefault("CRIER_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1,localhost")
        app = create_app()
        os.environ["CRIER_INSTANCE_PATH"] = app.instance_path
        runtime = app.extensions["crier"]
        migrate_upgrade(runtime.settings.database_url)
        with runtime.session() as session:
            people = demo.ensure_people(session)
            made = demo.ensure_accounts(session, demo.simulator_accounts(x_sim, graph_sim))
        exe = [sys.executable, "-m", "web.cli"]
        children.append(subprocess.Popen([*exe, "worker", "--pool", "threads", "--concurrency", str(concurrency),
                                          "--loglevel", "INFO"]))
        children.append(subprocess.Popen([*exe, "scheduler"]))
        click.echo("")
        click.echo(f"Crier is running: http://{host}:{port}/")
        click.echo(f"  database {runtime.settings.database_url}; broker {runtime.settings.broker_url}")
        click.echo(f"  X simulator {x_sim.url}; Graph simulator {graph_sim.url}")
        click.echo(f"  {len(made)} demo channel accounts. Sign in as:")
        for username, role, password in people:
            click.echo(f"    {username:<11} {password}   ({role})")
        if runtime.settings.require_2fa:
            click.echo("  Supervisors and admins set up an authenticator app at their first sign-in")
            click.echo("  (lost it? crier user reset-2fa NAME).")
        click.echo("  Ctrl-C stops everything.")
        click.echo("")
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        _stop_children(children)
        x_sim.stop()
        graph_sim.stop()
        click.echo("Crier stopped.")


#: How long the worker and scheduler get to finish after SIGTERM before they are killed.
#: A worker in a warm shutdown finishes the sends it has started; one killed after
#: this leaves short leases that another worker takes over and reconciles.
STOP_GRACE_SECONDS = 8.0


def _stop_children(children: list) -> None:
    """SIGTERM every child, wait up to STOP_GRACE_SECONDS in all, then SIGKILL what is left."""
    import signal
    import subprocess
    import time

    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


def main() -> None:
    """The ``crier`` command. A malformed ``CRIER_*`` setting stops it with one clear line."""
    try:
        cli(prog_name="crier")
    except SettingsError as exc:
        click.echo(f"crier: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
