"""``crier worker`` and ``crier scheduler``: the delivery engine, started from the settings alone.

Neither builds the web app: a worker needs the database, the broker and the
channels, never Flask.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from workflow.delivery import sweeper
from workflow.delivery.workers import QUEUES, engine_from_environment, services_of


@click.command("worker")
@click.option("-Q", "--queues", default="incident,routine", show_default=True,
              help="Queues to consume, most urgent first. In production run one worker per queue.")
@click.option("-c", "--concurrency", type=int, default=None,
              help="Parallel deliveries (default: the number of CPUs; more with --pool threads).")
@click.option("-P", "--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork",
              show_default=True, help="prefork enforces the hard time limit; threads suits slow platforms.")
@click.option("-n", "--hostname", default=None, help="Worker name (default: crier-<queues>@<host>).")
@click.option("-l", "--loglevel", default="INFO", show_default=True)
def worker(queues: str, concurrency: int | None, pool: str, hostname: str | None, loglevel: str) -> None:
    """Run a Celery worker that delivers posts."""
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
    engine_from_environment().worker_main(argv)


@click.command("scheduler")
@click.option("--interval", type=float, default=None,
              help="Seconds between passes (default CRIER_SWEEP_INTERVAL).")
@click.option("--once", is_flag=True, help="Make one pass and exit.")
def scheduler(interval: float | None, once: bool) -> None:
    """Wake due and stranded deliveries and plan recurring posts, in a loop."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = services_of(engine_from_environment()).runtime
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
