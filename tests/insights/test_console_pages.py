"""The console's insights page (charts, tables beside them, CSV of every table), one account's
places and history, and the gazetteer page that everyone reads and admins edit."""

from __future__ import annotations

import base64
import csv
import io
import re

from sqlalchemy import select

from tests.console.conftest import sign_in
from tests.insights.conftest import add_facebook, add_x, published
from workflow.insights import collection, engagement
from workflow.insights.models import AreaPlace

PNG = re.compile(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"')


def collected(runtime, session, x_sim, graph_sim, officer, supervisor):
    force, _ = add_x(session, x_sim, '=HYPERLINK("evil") X', followers=1400, seed=1)
    north, _ = add_x(session, x_sim, "North X", area="North", followers=800, seed=2)
    page, _ = add_facebook(session, graph_sim, "Force Facebook", followers=500)
    ids = [force.id, north.id, page.id]
    for account_id in ids:
        collection.collect_audience(runtime, account_id)
    published(runtime, session, officer, supervisor, [ids[0], ids[2]])
    engagement.collect_engagement(runtime)
    return ids


def test_the_insights_page_draws_every_chart_beside_its_table(
    app, runtime, session, officer, supervisor, x_sim, graph_sim, places
):
    ids = collected(runtime, session, x_sim, graph_sim, officer, supervisor)
    page = sign_in(app, officer).get("/insights")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    charts = PNG.findall(html)
    assert len(charts) == 5
    for data, alt in charts:
        assert base64.b64decode(data).startswith(b"\x89PNG") and alt
    for heading in (
        "Local share of followers",
        "Followers over time",
        "Engagement and visits per post",
        "Engagement and visits per channel",
        "Best hours to post",
    ):
        assert heading in html
    for name in ("reach", "followers", "posts", "channels", "hours"):
        assert f'href="/insights/{name}.csv"' in html
    assert "North X" in html and f"/insights/accounts/{ids[1]}" in html
    assert 'aria-current="page">Insights' in html
    assert "<script>" not in html and "style=" not in html  # the content policy: no inline script or style


def test_every_table_downloads_as_csv_with_the_page_s_figures(
    app, runtime, session, officer, supervisor, x_sim, graph_sim, places
):
    collected(runtime, session, x_sim, graph_sim, officer, supervisor)
    client = sign_in(app, officer)
    rows = {}
    for name in ("reach", "followers", "posts", "channels", "hours", "gazetteer"):
        response = client.get(f"/insights/{name}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert f'filename="crier-{name}.csv"' in response.headers["Content-Disposition"]
        rows[name] = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    reach = {r[0]: r for r in rows["reach"][1:]}
    assert rows["reach"][0][:4] == ["Account", "Channel", "Area", "Followers"]
    # A name that looks like a formula stays text in a spreadsheet.
    assert '\'=HYPERLINK("evil") X' in reach and reach["North X"][3] == "800"
    assert len(rows["hours"]) == 25
    assert ["North", "Burslem"] in rows["gazetteer"]
    assert client.get("/insights/nothing.csv").status_code == 404


def test_one_account_s_places_and_history(
    app, runtime, session, officer, supervisor, x_sim, graph_sim, places
):
    ids = collected(runtime, session, x_sim, graph_sim, officer, supervisor)
    client = sign_in(app, officer)
    html = client.get(f"/insights/accounts/{ids[1]}").get_data(as_text=True)
    assert "Followers per place" in html and "Burslem" in html and len(PNG.findall(html)) == 1
    places_csv = client.get(f"/insights/places-{ids[1]}.csv").get_data(as_text=True)
    assert places_csv.splitlines()[0] == "Place,Area,Followers" and "North" in places_csv
    assert client.get("/insights/accounts/999999").status_code == 404


def test_the_page_works_before_any_collection(app, officer):
    html = sign_in(app, officer).get("/insights").get_data(as_text=True)
    assert "No figures yet" in html and len(PNG.findall(html)) == 5


def test_admins_edit_the_gazetteer_and_everyone_reads_it(app, session, officer, admin, places):
    officer_client = sign_in(app, officer)
    page = officer_client.get("/insights/areas").get_data(as_text=True)
    assert "City Centre" in page and "Hanley" in page and "Add a place" not in page
    assert officer_client.post("/insights/areas", {"area": "North", "place": "Bradeley"}).status_code == 403
    client = sign_in(app, admin)
    added = client.post("/insights/areas", {"area": "North", "place": "Bradeley"})
    assert added.status_code == 302
    same = client.post("/insights/areas", {"area": "North", "place": "bradeley"})
    assert same.status_code == 422 and "already has" in same.get_data(as_text=True)
    hidden = client.post("/insights/areas", {"area": "North", "place": "Brad\u200beley"})
    assert hidden.status_code == 422 and "invisible" in hidden.get_data(as_text=True)
    row = session.execute(select(AreaPlace).where(AreaPlace.name == "Bradeley")).scalar_one()
    session.commit()
    assert client.post(f"/insights/areas/{row.id}/remove").status_code == 302
    assert session.execute(select(AreaPlace).where(AreaPlace.name == "Bradeley")).scalar_one_or_none() is None
    session.commit()
    upload = client.client.post(
        "/insights/areas/import",
        data={
            "csrf_token": client.token,
            "file": (io.BytesIO(b"area,place\nWest,Cheddleton\nWest,ST13\n"), "p.csv"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    assert "Cheddleton" in client.get("/insights/areas").get_data(as_text=True)
    bad = client.client.post(
        "/insights/areas/import",
        data={"csrf_token": client.token, "file": (io.BytesIO(b"West,a,b\n"), "p.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "line 1" in bad.get_data(as_text=True)
