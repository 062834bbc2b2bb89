"""Benchmark of Crier's delivery engine on Redis and PostgreSQL.

    .venv/bin/python bench/fanout.py --latency 0.1

It starts its own redis-server (on a free port), makes a throwaway PostgreSQL
database, runs the X and Graph simulators with every platform call delayed by
``--latency`` seconds (L), and one real ``crier worker`` process. It measures

1. approval-to-published latency for one message to X, Facebook and the
   website (from the approval's decision time to the last delivery's sent
   time, both written by Crier): p50 and p99, and their ratio to L;
2. deliveries per second for fan-outs to 1, 50 and 500 accounts, beside a
   no-op Celery task sent the same number of times on the same broker and
   worker, and the ratio of the two;
3. the same fan-outs with one image per post (uploaded once; each X post
   uploads it through the v2 media endpoints and sets its alt text, each
   Facebook post uploads it as an unpublished Page photo first), against the
   same fan-outs with text alone;
4. crash recovery: one message to 51 accounts (X, Facebook, the website)
   while a worker with 4 processes is SIGKILLed mid fan-out and a second one
   and the scheduler take over on the shipped lease settings: seconds from
   the kill, and from the approval, until every channel is live, and that
   each post is on its platform exactly once.

Nothing here is a test: it prints numbers for docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


class Latency:
    """WSGI middleware: every platform call (not the /_sim control) takes ``seconds`` longer."""

    def __init__(self, app, seconds: float):
        self.app = app
        self.seconds = seconds

    def __call__(self, environ, start_response):
        if self.seconds and not environ.get("PATH_INFO", "").startswith("/_sim"):
            time.sleep(self.seconds)
        return self.app(environ, start_response)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="crier-bench-"))
        self.procs: list[subprocess.Popen] = []
        self.db_name = f"crier_bench_{uuid.uuid4().hex[:10]}"
        self.server_url = make_url(args.postgres)

    # Set-up ---------------------------------------------------------------------------
    def start(self) -> None:
        from channels.simulators.graph import GraphSimulator
        from channels.simulators.xapi import XSimulator
        from workflow.core.migrate import upgrade
        from workflow.core.security import derive_fernet_key

        port = free_port()
        self.procs.append(subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.broker = f"redis://127.0.0.1:{port}/0"
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        self.db_url = self.server_url.set(database=self.db_name).render_as_string(hide_password=False)
        upgrade(self.db_url)

        self.x_sim, self.graph_sim = XSimulator(), GraphSimulator()
        for sim in (self.x_sim, self.graph_sim):
            sim.app.wsgi_app = sim.latency = Latency(sim.app.wsgi_app, self.args.latency)
            sim.start()
        self.env = {
            "CRIER_DATABASE_URL": self.db_url,
            "CRIER_BROKER_URL": self.broker,
            "CRIER_SECRET_KEY": "crier-bench",
            "CRIER_CREDENTIAL_KEYS": derive_fernet_key("crier-bench"),
            "CRIER_PUBLIC_BASE_URL": "https://police.example",
            "CRIER_X_API_URL": self.x_sim.url,
            "CRIER_FACEBOOK_GRAPH_URL": self.graph_sim.url,
            "CRIER_INSTANCE_PATH": str(self.tmp / "instance"),
            # The benchmark's fan-outs reach each account once: the default
            # limits never bind, and the app-wide ones are off by default.
        }
        os.environ.update(self.env)
        from web import create_app

        self.app = create_app({"DATABASE_URL": self.db_url, "BROKER_URL": self.broker})
        self.rt = self.app.extensions["crier"]
        self.celery = self.app.extensions["celery"]
        self._people_and_accounts()
        crier = str(ROOT / ".venv" / "bin" / "crier")
        self.worker_name = f"bench-{uuid.uuid4().hex[:6]}@localhost"
        self.main_worker = subprocess.Popen(
            [crier, "worker", "-Q", "incident,routine", "-P", "threads", "-c", str(self.args.concurrency),
             "-n", self.worker_name, "-l", "WARNING"],
            env={**os.environ, **self.env}, cwd=str(ROOT),
            stdout=open(self.tmp / "worker.log", "ab"), stderr=subprocess.STDOUT)
        self.procs.append(self.main_worker)
        self._wait_for_worker()

    def _people_and_accounts(self) -> None:
        from workflow.accounts.channel_accounts import add_account
        from workflow.accounts.users import create_user

        with self.rt.session() as s:
            self.officer = create_user(s, "bench-officer", "bench-password-1", "officer").id
            self.supervisor = create_user(s, "bench-supervisor", "bench-password-2", "supervisor").id
            self.force = [
                add_account(s, "x", "Force X", self.x_sim.add_account("force")).id,
                add_account(s, "facebook", "Force Facebook", self.graph_sim.add_page("Force")).id,
                add_account(s, "website", "Force website", {}).id,
            ]
            self.wards: list[int] = []
            for i in range(max(self.args.sizes + [50])):
                if i % 2 == 0:
                    creds = self.x_sim.add_account(f"ward{i}")
                    self.wards.append(add_account(s, "x", f"Ward {i} X", creds, area=f"Ward {i}").id)
                else:
                    creds = self.graph_sim.add_page(f"Ward {i}")
                    self.wards.append(add_account(s, "facebook", f"Ward {i} Facebook", creds, area=f"Ward {i}").id)

    def _wait_for_worker(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = self.celery.control.ping(destination=[self.worker_name], timeout=0.5)
            if replies:
                return
        raise SystemExit(f"the worker did not start; see {self.tmp / 'worker.log'}")

    # Measurements -------------------------------------------------------------------------
    def approve(self, accounts: list[int], body: str, images: list[dict] | None = None) -> int:
        from workflow.accounts.models import User
        from workflow.messages import drafts, review

        with self.rt.session() as s:
            author, reviewer = s.get(User, self.officer), s.get(User, self.supervisor)
            m = drafts.create_draft(s, author, {"body": body, "accounts": accounts, "incident": None,
                                                  "kind": "incident", "images": images})
            review.submit(s, author, m.id)
            review.approve(s, reviewer, m.id, m.current_version)
            return m.id

    def wait_published(self, message_id: int, count: int) -> float:
        """Seconds from the approval to the last delivery's sent time."""
        from workflow.delivery.models import Delivery
        from workflow.messages.models import Decision

        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with self.rt.session() as s:
                done = s.execute(select(func.count()).select_from(Delivery).where(
                    Delivery.message_id == message_id, Delivery.state.in_(("sent", "failed")))).scalar_one()
                if done >= count:
                    failed = s.execute(select(func.count()).select_from(Delivery).where(
                        Delivery.message_id == message_id, Delivery.state == "failed")).scalar_one()
                    if failed:
                        raise SystemExit(f"{failed} deliveries failed; see {self.tmp / 'worker.log'}")
                    approved = s.execute(select(Decision.created_at).where(
                        Decision.message_id == message_id, Decision.decision == "approved")).scalar_one()
                    last = s.execute(select(func.max(Delivery.sent_at)).where(
                        Delivery.message_id == message_id)).scalar_one()
                    return (last - approved).total_seconds()
            time.sleep(0.01)
        raise SystemExit("deliveries did not settle within 10 minutes")

    def latency_rounds(self) -> list[float]:
        # A first message warms the worker's connections and imports; not counted.
        self.wait_published(self.approve(self.force, "Warm-up: testing the desk."), len(self.force))
        out = []
        for n in range(self.args.rounds):
            m = self.approve(self.force, f"Incident update {n}: the cordon on Station Road remains in place.")
            out.append(self.wait_published(m, len(self.force)))
        return out

    def fan_out(self, size: int, n: int, images: list[dict] | None = None) -> float:
        label = "image " if images else ""
        m = self.approve(self.wards[:size], f"Fan-out {label}{size} run {n}: neighbourhood surgery tonight at 6pm.",
                         images)
        return size / self.wait_published(m, size)

    def image(self) -> list[dict]:
        """One photo (about 60 KB once re-encoded), uploaded once, for the image runs."""
        import io

        from PIL import Image

        from workflow.accounts.models import User
        from workflow.media import service

        pixels = Image.frombytes("RGB", (400, 300), bytes((i * 7919) % 251 for i in range(400 * 300 * 3)))
        out = io.BytesIO()
        pixels.save(out, "JPEG", quality=90)
        with self.rt.session() as s:
            media = service.upload(s, s.get(User, self.officer), out.getvalue())
            self.image_bytes = media.bytes
            return [{"media": media.id, "alt": "A grey bicycle against a brick wall"}]

    def noop(self, size: int) -> float:
        """Tasks per second for ``size`` no-op tasks through the same broker and worker."""
        before = self._pings_done()
        start = time.monotonic()
        with self.celery.producer_or_acquire() as producer:
            for _ in range(size):
                self.celery.send_task("crier.ping", queue="incident", producer=producer)
        while self._pings_done() < before + size:
            time.sleep(0.005)
        return size / (time.monotonic() - start)

    def _pings_done(self) -> int:
        stats = self.celery.control.inspect(destination=[self.worker_name], timeout=1.0, limit=1).stats() or {}
        return int(stats.get(self.worker_name, {}).get("total", {}).get("crier.ping", 0))

    def crash_recovery(self, size: int = 51) -> tuple[float, float, int]:
        """(seconds kill -> all live, seconds approval -> all live, deliveries the dead worker held)."""
        from workflow.delivery.models import Delivery
        from workflow.messages.models import Decision

        accounts = self.wards[:size - 1] + [self.force[2]]
        x_before, fb_before = len(self.x_sim.posts), len(self.graph_sim.posts)
        # The measuring worker steps aside; slow posts keep several in flight at the kill.
        self.main_worker.terminate()
        self.main_worker.wait(timeout=30)
        self.x_sim.latency.seconds = self.graph_sim.latency.seconds = 0.3
        first = self._process(["worker", "-Q", "incident,routine", "-P", "prefork", "-c", "4",
                               "-n", f"crash-a-{uuid.uuid4().hex[:6]}@localhost", "-l", "WARNING"], "crash-a")
        time.sleep(3)  # the processes fork and connect before the approval
        m = self.approve(accounts, "Crash run: have you seen this man near the Quay?")

        def sent() -> int:
            with self.rt.session() as s:
                return s.execute(select(func.count()).select_from(Delivery).where(
                    Delivery.message_id == m, Delivery.state == "sent")).scalar_one()

        while sent() < 10:
            time.sleep(0.01)
        os.killpg(first.pid, 9)
        first.wait()
        killed = time.monotonic()
        with self.rt.session() as s:
            held = s.execute(select(func.count()).select_from(Delivery).where(
                Delivery.message_id == m, Delivery.state == "sending")).scalar_one()
        self._process(["worker", "-Q", "incident,routine", "-P", "prefork", "-c", "4",
                       "-n", f"crash-b-{uuid.uuid4().hex[:6]}@localhost", "-l", "WARNING"], "crash-b")
        self._process(["scheduler"], "scheduler")
        while sent() < size:
            if time.monotonic() - killed > 600:
                raise SystemExit("the crash run did not finish within 10 minutes")
            time.sleep(0.05)
        from_kill = time.monotonic() - killed
        with self.rt.session() as s:
            approved = s.execute(select(Decision.created_at).where(
                Decision.message_id == m, Decision.decision == "approved")).scalar_one()
            last = s.execute(select(func.max(Delivery.sent_at)).where(Delivery.message_id == m)).scalar_one()
        new_x, new_fb = len(self.x_sim.posts) - x_before, len(self.graph_sim.posts) - fb_before
        if new_x + new_fb != size - 1:
            raise SystemExit(f"crash run: {new_x + new_fb} platform posts for {size - 1} deliveries")
        return from_kill, (last - approved).total_seconds(), held

    def _process(self, args: list[str], log: str) -> subprocess.Popen:
        # Its own process group, so that SIGKILL takes the pool's children too.
        p = subprocess.Popen([str(ROOT / ".venv" / "bin" / "crier"), *args], env={**os.environ, **self.env},
                             cwd=str(ROOT), stdout=open(self.tmp / f"{log}.log", "ab"),
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    # Tear-down ------------------------------------------------------------------------------
    def stop(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for sim in (getattr(self, "x_sim", None), getattr(self, "graph_sim", None)):
            if sim is not None:
                sim.stop()
        if hasattr(self, "rt"):
            self.rt.engine.dispose()
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)


def crash(bench: Bench) -> None:
    from_kill, total, held = bench.crash_recovery()
    print("\ncrash recovery, 51 accounts, worker SIGKILLed mid fan-out (shipped lease settings)")
    print(f"  kill -> all live     {from_kill:6.1f} s  ({held} deliveries in the dead worker's hands)")
    print(f"  approval -> all live {total:6.1f} s  (every post exactly once)")


def images(bench: Bench, args: argparse.Namespace) -> None:
    attached = bench.image()
    print(f"\nfan-out with one image per post ({bench.image_bytes:,} bytes, alt text set) against text alone "
          "(median of runs)")
    print(f"  {'accounts':>8}  {'text posts/s':>12}  {'image posts/s':>13}  {'ratio':>6}")
    for size in args.sizes:
        text = statistics.median(bench.fan_out(size, n) for n in range(args.repeats))
        with_image = statistics.median(bench.fan_out(size, n, attached) for n in range(args.repeats))
        print(f"  {size:>8}  {text:>12.1f}  {with_image:>13.1f}  {with_image / text:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.1, help="simulated platform latency L, seconds")
    parser.add_argument("--rounds", type=int, default=40, help="messages for the latency percentiles")
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], default=[1, 50, 500])
    parser.add_argument("--repeats", type=int, default=3, help="runs per fan-out size (the median is shown)")
    parser.add_argument("--concurrency", type=int, default=32, help="worker threads")
    parser.add_argument("--crash-only", action="store_true", help="run only the crash-recovery measurement")
    parser.add_argument("--images-only", action="store_true",
                        help="run only the fan-outs with text alone and with one image per post")
    parser.add_argument("--postgres", default=os.environ.get(
        "CRIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    import logging

    # The simulators' request log would drown the results.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    bench = Bench(args)
    try:
        bench.start()
        L = args.latency
        print(f"platform latency L = {L * 1000:.0f} ms; one worker, {args.concurrency} threads; "
              f"Redis broker; PostgreSQL; {os.cpu_count()} CPUs")
        if args.crash_only:
            crash(bench)
            return
        if args.images_only:
            images(bench, args)
            return
        lat = bench.latency_rounds()
        p50, p99 = statistics.median(lat), percentile(lat, 99)
        print(f"\napproval -> published, one message to X + Facebook + website ({len(lat)} messages)")
        print(f"  p50 {p50 * 1000:7.0f} ms  = {p50 / L:5.1f} L")
        print(f"  p99 {p99 * 1000:7.0f} ms  = {p99 / L:5.1f} L")
        print("\nfan-out throughput (median of runs)")
        print(f"  {'accounts':>8}  {'deliveries/s':>12}  {'no-op tasks/s':>13}  {'ratio':>6}")
        for size in args.sizes:
            rates = [bench.fan_out(size, n) for n in range(args.repeats)]
            noops = [bench.noop(size) for _ in range(args.repeats)]
            rate, noop = statistics.median(rates), statistics.median(noops)
            print(f"  {size:>8}  {rate:>12.1f}  {noop:>13.1f}  {rate / noop:>6.2f}")
        images(bench, args)
        crash(bench)
    finally:
        bench.stop()


if __name__ == "__main__":
    main()
