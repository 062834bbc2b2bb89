"""How fast the console renders with a busy database: home, compose and verify.

Fills a fresh database with 1,000 messages in varied states (drafts, several
versions, awaiting verification, approved with deliveries sent, failed or
partially published) through the workflow services, then times the pages
server-side through Flask's test client and prints the median and p95.

    .venv/bin/python bench/console_render.py                 # SQLite in a temp dir
    .venv/bin/python bench/console_render.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/crier_bench

A PostgreSQL database given here is emptied first: use one made for the bench.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402

from workflow.accounts import channel_accounts as accounts
from workflow.accounts.models import User
from workflow.core.database import Base, utcnow
from workflow.core.migrate import upgrade
from workflow.core.runtime import NullDispatcher
from workflow.core.security import hash_password
from workflow.delivery.models import Delivery
from workflow.messages import drafts as messages_drafts
from workflow.messages import review

PASSWORD = "bench password 1234"
AREAS = ["North", "South", "East", "West", "City Centre", "Riverside"]
WORDS = ("road closed collision officers scene appeal witnesses information missing person found safe "
         "thank you sharing diversion junction police patrols reassurance burglary arrested vehicle "
         "stolen community event drop-in session neighbourhood team").split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def fill(session, count: int, seed: int = 7) -> dict:
    """``count`` messages in varied states; returns ids worth timing."""
    rng = random.Random(seed)
    pw = hash_password(PASSWORD)
    people = []
    for name, role in (("olivia", "officer"), ("oscar", "officer"), ("sam", "supervisor"),
                       ("sunita", "supervisor")):
        user = User(username=name, display_name=name.title(), role=role, password_hash=pw)
        session.add(user)
        people.append(user)
    session.commit()
    officers, supervisors = people[:2], people[2:]
    targets = [accounts.add_account(session, "website", "Force website", {}),
               accounts.add_account(session, "facebook", "Force Facebook", {"page_id": "1", "page_access_token": "t"}),
               accounts.add_account(session, "x", "Force X", {"consumer_key": "a", "consumer_secret": "b",
                                                               "access_token": "c", "access_token_secret": "d"})]
    for area in AREAS:
        targets.append(accounts.add_account(session, "x", f"{area} X", {
            "consumer_key": "a", "consumer_secret": "b", "access_token": "c", "access_token_secret": "d"}, area=area))
        targets.append(accounts.add_account(session, "facebook", f"{area} Facebook",
                                            {"page_id": "2", "page_access_token": "t"}, area=area))
    targets[-1].status = "reconnect"
    session.commit()
    usable = targets[:-1]
    verify_ids = []
    for i in range(count):
        author = officers[i % 2]
        chosen = [usable[0]] + rng.sample(usable[1:], rng.randint(1, 4))
        data = {"body": _text(rng, rng.randint(20, 90)), "accounts": [a.id for a in chosen]}
        if i % 10 == 0:
            data["incident"] = {"title": f"Incident {i}", "area": rng.choice(AREAS)}
        message = messages_drafts.create_draft(session, author, data)
        for _ in range(rng.randint(0, 3)):
            messages_drafts.edit_message(session, author, message.id, {"body": _text(rng, rng.randint(20, 90))})
        roll = i % 10
        if roll <= 1:
            continue  # a draft
        review.submit(session, author, message.id)
        if roll <= 3:
            # awaiting verification, one with a supervisor's edit too
            if roll == 3:
                messages_drafts.edit_message(session, supervisors[1], message.id, {"body": _text(rng, 40)})
            verify_ids.append(message.id)
            continue
        if roll == 4:
            review.reject(session, supervisors[0], message.id, "Say which road")
            continue
        review.approve(session, supervisors[0], message.id, message.current_version)
        rows = session.execute(select(Delivery).where(Delivery.message_id == message.id)).scalars().all()
        for n, d in enumerate(rows):
            if roll == 9 and n == 0:
                d.state, d.last_error, d.attempts = "failed", "The platform refused the post", 3
            else:
                d.state, d.url, d.remote_id, d.sent_at, d.attempts = (
                    "sent", f"https://posts.example/{d.id}", str(d.id), utcnow(), 1)
        message.status = "partially_published" if roll == 9 else "published"
        session.commit()
    return {"verify": verify_ids}


def timed(client, path: str, n: int, queries: list[int]) -> tuple[float, float, int]:
    times = []
    client.get(path)  # warm the template cache
    for _ in range(n):
        queries[0] = 0
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95, queries[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp dir")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("-n", "--requests", type=int, default=50)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="crier-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    upgrade(url)
    if url.startswith("postgresql"):
        _empty_postgres(url)
    os.environ["CRIER_INSTANCE_PATH"] = tmp
    from web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "BROKER_URL": "memory://", "PUBLIC_BASE_URL": "https://police.example"})
    runtime = app.extensions["crier"]
    runtime.set_dispatcher(NullDispatcher())  # nothing to wake: the bench only reads
    session = runtime.session()
    start = time.perf_counter()
    ids = fill(session, args.messages)
    print(f"filled {args.messages} messages in {time.perf_counter() - start:.1f} s ({url.split(':')[0]})")
    session.close()

    queries = [0]

    @event.listens_for(runtime.engine, "before_cursor_execute")
    def _count(*_a):
        queries[0] += 1

    client = app.test_client()
    response = client.post("/login", data={"username": "sam", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    pages = [("home", "/"), ("compose", "/compose"), ("verify", f"/messages/{ids['verify'][-1]}")]
    print(f"{'page':10} {'median ms':>10} {'p95 ms':>10} {'queries':>8}   ({args.requests} requests each)")
    worst = 0.0
    for name, path in pages:
        median, p95, count = timed(client, path, args.requests, queries)
        worst = max(worst, p95)
        print(f"{name:10} {median:10.1f} {p95:10.1f} {count:8d}")
    runtime.engine.dispose()
    print("under 100 ms at p95" if worst < 100 else "OVER 100 ms at p95")
    return 0 if worst < 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
