"""``crier run`` and ``crier simulate``: everything on one machine with demo data, or the simulators alone."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import click
from werkzeug.serving import run_simple

from channels.simulators.graph import GraphSimulator
from channels.simulators.xapi import XSimulator
from workflow.accounts import demo
from workflow.core.migrate import upgrade as migrate_upgrade
from workflow.insights import gazetteer
from workflow.media import demo as media_demo
from workflow.messages import demo as messages_demo
from workflow.messages import library
from workflow.messages.checks import learned

from .. import create_app


def _start_simulators(host: str, x_port: int, graph_port: int):
    x_sim = XSimulator(host=host, port=x_port).start()
    graph_sim = GraphSimulator(host=host, port=graph_port).start()
    return x_sim, graph_sim


@click.command("simulate")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--x-port", type=int, default=5010, show_default=True)
@click.option("--graph-port", type=int, default=5011, show_default=True)
def simulate(host: str, x_port: int, graph_port: int) -> None:
    """Run only the local X and Facebook simulators, printing their URLs and demo credentials."""
    x_sim, graph_sim = _start_simulators(host, x_port, graph_port)
    click.echo(f"X API simulator:     {x_sim.url}   (CRIER_X_API_URL)")
    click.echo(f"Graph API simulator: {graph_sim.url}   (CRIER_FACEBOOK_GRAPH_URL)")
    click.echo(f"Sign in with X:      CRIER_X_CONSUMER_KEY={x_sim.state.consumer_key} "
               f"CRIER_X_CONSUMER_SECRET={x_sim.state.consumer_secret}")
    click.echo(f"Facebook Login:      CRIER_FACEBOOK_APP_ID={graph_sim.login.app_id} "
               f"CRIER_FACEBOOK_APP_SECRET={graph_sim.login.app_secret}")
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


@click.command("run")
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
        # The simulators' own X and Facebook apps, so that accounts connect by signing in.
        os.environ["CRIER_X_CONSUMER_KEY"] = x_sim.state.consumer_key
        os.environ["CRIER_X_CONSUMER_SECRET"] = x_sim.state.consumer_secret
        os.environ["CRIER_FACEBOOK_APP_ID"] = graph_sim.login.app_id
        os.environ["CRIER_FACEBOOK_APP_SECRET"] = graph_sim.login.app_secret
        os.environ.setdefault("CRIER_PUBLIC_BASE_URL", f"http://{host}:{port}")
        os.environ.setdefault("CRIER_CONSOLE_URL", f"http://{host}:{port}")
        # Incident messages of the demo are escalated after two minutes, so the escalation can be seen.
        os.environ.setdefault("CRIER_VERIFY_ESCALATE_AFTER_INCIDENT", "120")
        os.environ["CRIER_DEMO"] = "1"
        # A CMS webhook of the demo may point at a receiver on this machine.
        os.environ.setdefault("CRIER_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1,localhost")
        app = create_app()
        learned.warm()  # the checks' learnt reading, fitted while the demo is set up
        os.environ["CRIER_INSTANCE_PATH"] = app.instance_path
        crier = app.extensions["crier"]
        migrate_upgrade(crier.settings.database_url)
        with crier.session() as session:
            people = demo.ensure_people(session)
            registered = demo.simulator_accounts(x_sim, graph_sim)
            made = demo.ensure_accounts(session, registered)
            templates = library.ensure_library(session)
            demo.populate_audiences(x_sim, graph_sim, registered)
            gazetteer.ensure_demo(session)
            messages_demo.ensure_legal_example(session)
            media_demo.ensure_demo_appeal(session, made)
        exe = [sys.executable, "-m", "web.cli"]
        children.append(subprocess.Popen([*exe, "worker", "--pool", "threads", "--concurrency", str(concurrency),
                                          "--loglevel", "INFO"]))
        children.append(subprocess.Popen([*exe, "scheduler"]))
        click.echo("")
        click.echo(f"Crier is running: http://{host}:{port}/")
        click.echo(f"  database {crier.settings.database_url}; broker {crier.settings.broker_url}")
        click.echo(f"  X simulator {x_sim.url}; Graph simulator {graph_sim.url}")
        click.echo(f"  {len(made)} demo channel accounts"
                   + (f", {templates} templates in the library" if templates else "") + ". Sign in as:")
        for username, role, password in people:
            click.echo(f"    {username:<11} {password}   ({role})")
        if crier.settings.require_2fa:
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


