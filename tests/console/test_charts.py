"""The console's charts: real PNG images, described in words, on the console's content policy."""
from __future__ import annotations

import base64
from datetime import date

from web.console.charts import bar_chart, line_chart


def _png_bytes(src: str) -> bytes:
    assert src.startswith("data:image/png;base64,")
    return base64.b64decode(src.split(",", 1)[1])


def test_line_chart_is_a_png_described_by_its_figures():
    chart = line_chart("Time to verify", {"median": [(date(2026, 12, 1), 120.0), (date(2026, 12, 2), 90.0)]},
                       ylabel="seconds")
    assert _png_bytes(chart.src)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "from 90 to 120" in chart.description and "latest 90" in chart.description


def test_bar_chart_names_every_category_in_its_description():
    chart = bar_chart("Failures by channel", ["x", "facebook", "website"], {"failed": [2, 0, 1]})
    assert _png_bytes(chart.src)[:4] == b"\x89PNG"
    assert chart.description == "Failures by channel. x 2, facebook 0, website 1."


def test_an_empty_chart_says_so():
    assert "No data yet" in line_chart("Followers", {"a": []}).description
    assert "no data yet" in bar_chart("Visits", [], {}).description
