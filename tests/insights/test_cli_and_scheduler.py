"""``crier area import FILE`` and ``crier insights collect`` as an operator runs them, and the scheduler
sending a pass to the routine queue only when one is due."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.conftest import CREDENTIAL_KEY, make_account
from tests.insights.conftest import add_x
from web.cli import cli
from workflow.audit.models import AuditEvent
from workflow.core.config import Settings, SettingsError
from workflow.delivery import sweeper
from workflow.insights import gazetteer, passes
from workflow.insights.models import AreaPlace, AudienceCollection


def crier(database_url, tmp_path, *args, **env):
    environment = {
        "CRIER_DATABASE_URL": database_url,
        "CRIER_SECRET_KEY": "crier-tests",
        "CRIER_INSTANCE_PATH": str(tmp_path / "cli-instance"),
        "CRIER_CREDENTIAL_KEYS": CREDENTIAL_KEY,
        "CRIER_BROKER_URL": "memory://",
        **env,
    }
    return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)


def test_area_import_reads_a_csv_of_area_and_place(database_url, tmp_path, session):
    path = tmp_path / "places.csv"
    path.write_text(
        'area,place\nNorth,Burslem\nNorth,Tunstall\nNorth,ST6\nSouth,"Meir Heath"\nNorth,burslem\n\n',
        encoding="utf-8",
    )
    result = crier(database_url, tmp_path, "area", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 4 place(s) into 2 area(s); 1 already there" in result.output
    rows = session.execute(
        select(AreaPlace.area, AreaPlace.name).order_by(AreaPlace.area, AreaPlace.name)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("North", "Burslem"),
        ("North", "ST6"),
        ("North", "Tunstall"),
        ("South", "Meir Heath"),
    ]
    assert (
        session.execute(select(AuditEvent).where(AuditEvent.action == "gazetteer.imported")).scalars().all()
    )
    session.commit()
    listed = crier(database_url, tmp_path, "area", "list", "North")
    assert listed.output.splitlines() == ["North,Burslem", "North,ST6", "North,Tunstall"]
    again = tmp_path / "replace.csv"
    again.write_text("North,Kidsgrove\n", encoding="utf-8")
    assert crier(database_url, tmp_path, "area", "import", "--replace", str(again)).exit_code == 0
    assert crier(database_url, tmp_path, "area", "list", "North").output.splitlines() == ["North,Kidsgrove"]


def test_area_import_refuses_a_bad_file_naming_the_line_and_adds_nothing(database_url, tmp_path, session):
    cases = {
        "three columns": ("North,Burslem\nNorth,Tunstall,extra\n", "line 2: expected two columns"),
        "an empty place": ("North,Burslem\nSouth,\n", "line 2: The place is empty"),
        "a hidden character": ("North,Burs\u202elem\n", "line 1: The place contains an invisible"),
        "no letters": ("North,---\n", "has no letters or digits"),
    }
    for name, (content, says) in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(content, encoding="utf-8")
        result = crier(database_url, tmp_path, "area", "import", str(path))
        assert result.exit_code == 1 and says in result.output, (name, result.output)
    missing = crier(database_url, tmp_path, "area", "import", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 1 and "cannot read" in missing.output
    assert session.execute(select(AreaPlace)).scalars().all() == []


def test_insights_collect_runs_one_pass_now(database_url, tmp_path, session, x_sim, graph_sim):
    account, _ = add_x(session, x_sim, "North X", area="North", followers=1300)
    account_id = account.id
    gazetteer.ensure_demo(session)
    session.commit()
    env = {"CRIER_X_API_URL": x_sim.url, "CRIER_FACEBOOK_GRAPH_URL": graph_sim.url}
    result = crier(database_url, tmp_path, "insights", "collect", **env)
    assert result.exit_code == 0, result.output
    assert "1 account(s) collected, 0 waiting for a rate-limit window, 0 failed" in result.output
    again = crier(database_url, tmp_path, "insights", "collect", **env)
    assert "1 account(s) collected" in again.output  # one pass now, whatever the interval
    rows = session.execute(
        select(AudienceCollection).where(AudienceCollection.account_id == account_id)
    ).scalars()
    assert [r.followers for r in rows] == [1300, 1300]


class Recorder:
    """A dispatcher that records what the scheduler sends."""

    def __init__(self):
        self.insights = 0
        self.deliveries = []

    def dispatch(self, ids):
        self.deliveries.extend(ids)

    def send_insights(self):
        self.insights += 1


def test_the_scheduler_sends_a_pass_only_when_one_is_due(runtime, session, x_sim, places, monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(passes, "WAKE_EVERY", 0.0)
    monkeypatch.setattr(passes.wake_if_due, "last", float("-inf"))
    sweeper.sweep(runtime, recorder)
    assert recorder.insights == 0  # no audience account: nothing to do
    add_x(session, x_sim, "Force X", followers=50)
    sweeper.sweep(runtime, recorder)
    assert recorder.insights == 1
    passes.collect(runtime)
    session.commit()
    sweeper.sweep(runtime, recorder)
    # Collected within CRIER_INSIGHTS_INTERVAL, no scan waiting and no post due: nothing is sent.
    assert recorder.insights == 1
    with runtime.session() as s:
        assert passes.is_due(
            s,
            runtime.settings.insights_interval,
            now=dt.datetime.now(dt.timezone.utc)
            + dt.timedelta(seconds=runtime.settings.insights_interval + 1),
        )


def test_the_pass_goes_to_the_routine_queue(runtime, monkeypatch):
    from workflow.delivery.workers import INSIGHTS_TASK, ROUTINE, CeleryDispatcher

    sent = []

    class Celery:
        def send_task(self, name, **options):
            sent.append((name, options))

    CeleryDispatcher(Celery(), runtime).send_insights()
    assert sent == [(INSIGHTS_TASK, {"queue": ROUTINE})]


def test_the_interval_is_a_setting_checked_at_start_up(database_url, tmp_path):
    for bad in ("often", "0", "-5", "1.5"):
        with pytest.raises(SettingsError, match="CRIER_INSIGHTS_INTERVAL"):
            crier(database_url, tmp_path, "area", "list", CRIER_INSIGHTS_INTERVAL=bad)
    assert (
        Settings.from_mapping(
            {"DATABASE_URL": "sqlite://", "BROKER_URL": "memory://", "SECRET_KEY": "k"}
        ).insights_interval
        == 21600
    )


def test_an_insights_row_never_names_a_website_or_exercise_account(runtime, session, x_sim, places):
    make_account(session, "website", "Force website")
    sandbox, _ = add_x(session, x_sim, "Exercise X", followers=20)
    sandbox.exercise = True
    session.commit()
    report = passes.collect(runtime, fresh=True)
    assert report.outcomes == ()
