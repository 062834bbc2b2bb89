"""The audit chain under the delivery engine's load, on SQLite and PostgreSQL.

On PostgreSQL an event is locked, linked, hashed and appended in one round
trip with the hash computed by the database; these tests hold that hash to
the one ``verify_chain`` recomputes in Python, for any text, and check that
appenders racing each other still form one unbroken chain.
"""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from workflow.audit import chain as audit
from workflow.audit.models import AuditEvent

AWKWARD = [
    "plain",
    'quotes " and \\ backslashes and "prev":"<prev>" inside a value',
    "Ünïcödé, 中文, emoji 🚓 and a flag 🇬🇧",
    "control\ncharacters\tand \u2028 separators",
    "per cent %s %(x)s {} and ' apostrophes '' doubled",
    "",
]


def test_events_with_any_text_verify(runtime):
    with runtime.session() as s:
        for n, text in enumerate(AWKWARD):
            audit.record(s, None, "test.awkward", message_id=None, version_number=n, content_hash=None,
                         text=text, nested={"text": text, "list": [text, n]})
        s.commit()
        # An event whose own fields carry the text, not only its details.
        audit.record(s, AWKWARD[1], AWKWARD[2][:60], text=AWKWARD[3])
        s.commit()
    with runtime.session() as s:
        count, broken = audit.verify_chain(s)
        assert broken is None
        assert count == len(AWKWARD) + 1
        stored = [audit.details_of(e)["text"] for e in s.execute(
            select(AuditEvent).where(AuditEvent.action == "test.awkward").order_by(AuditEvent.id)).scalars()]
        assert stored == AWKWARD


def test_two_events_in_one_transaction_chain_to_each_other(runtime):
    with runtime.session() as s:
        first = audit.record(s, None, "test.first", n=1)
        second = audit.record(s, None, "test.second", n=2)
        assert second.prev_hash == first.hash
        s.commit()
    with runtime.session() as s:
        assert audit.verify_chain(s) == (2, None)


def test_a_rolled_back_append_leaves_no_link(runtime):
    with runtime.session() as s:
        audit.record(s, None, "test.kept", n=1)
        s.commit()
        audit.record(s, None, "test.dropped", n=2)
        s.rollback()
        audit.record(s, None, "test.kept", n=3)
        s.commit()
    with runtime.session() as s:
        assert audit.verify_chain(s) == (2, None)


def test_racing_appenders_form_one_chain(runtime):
    threads, each = 8, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def append(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with runtime.session() as s:
                    audit.record(s, None, "test.race", writer=n, i=i)
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors
    with runtime.session() as s:
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == threads * each
        assert audit.verify_chain(s) == (threads * each, None)
