"""The public pages cost a fixed number of queries however many updates they show."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests.public.support import at, correct, publish


@contextmanager
def counting(engine):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def costs(client, runtime, paths) -> dict[str, int]:
    out = {}
    for path in paths:
        with counting(runtime.engine) as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        out[path] = len(statements)
    return out


def test_query_count_does_not_grow_with_the_number_of_updates(client, runtime, session, officer, supervisor,
                                                               site_accounts):
    ids = [site_accounts["website"].id]
    first = publish(session, officer, supervisor, ids, at("2026-05-01T08:00:00"), "First incident update.",
                    incident={"title": "Flooding", "area": "South"})
    incident = first.incident.slug
    publish(session, officer, supervisor, ids, at("2026-05-01T08:05:00"), "A routine post.")
    paths = ["/news", "/feeds/news.atom", "/feeds/cap.atom", "/feeds/cap.xml",
             f"/incidents/{incident}", f"/news/{first.slug}"]
    few = costs(client, runtime, paths)

    for n in range(6):
        message = publish(session, officer, supervisor, ids, at(f"2026-05-01T09:{n:02d}:00"),
                          f"Incident update number {n}.", incident=incident)
        if n % 3 == 0:
            correct(session, officer, supervisor, message, at(f"2026-05-01T10:{n:02d}:00"),
                    f"Incident update number {n}, corrected.", "Fixed the wording.")
    many = costs(client, runtime, paths)
    assert many == few
    # Validators, then at most three queries for the page itself.
    assert all(count <= 4 for count in many.values()), many
    timeline = client.get(f"/incidents/{incident}").get_data(as_text=True)
    assert timeline.count("<article") == 7
    assert timeline.count("Fixed the wording.") == 2
