"""The friction report: the Sankey's layout keeps every journey, the page escapes what the
data says, says why a section is empty, and loads nothing from elsewhere."""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import pairwise

import pandas as pd
import pytest

from journeymine.outputs.report.charts import sankey_layout
from journeymine.outputs.report.format import esc, fmt_pct
from journeymine.outputs.report.page import ReportData, render_report
from journeymine.outputs.report.sections import WHY_EMPTY

RUN = {"run_id": "r1", "started_at": "2026-04-03T02:00:00Z", "period_start": "2026-02-02T07:31:36Z",
       "period_end": "2026-04-02T21:00:01Z", "n_events": 12_345, "n_customers": 1_001, "n_journeys": 1_900,
       "n_converted": 1_000, "n_abandoned": 500, "n_open": 400, "n_read": 13_000, "n_rejected": 655}


def variants_table(*rows: tuple[list[str], int, int, int, int]) -> pd.DataFrame:
    """variants_table((path, n_journeys, n_converted, n_abandoned, n_open), ...)."""
    frame = pd.DataFrame(rows, columns=["variant", "n_journeys", "n_converted", "n_abandoned", "n_open"])
    frame["share"] = frame["n_journeys"] / frame["n_journeys"].sum()
    frame["conversion_rate"] = frame["n_converted"] / (frame["n_converted"] + frame["n_abandoned"])
    return frame


VARIANTS = variants_table(
    (["Home", "Product", "Cart", "Checkout", "Pay", "Done"], 500, 450, 30, 20),
    (["Home", "Search", "Product", "Cart"], 300, 0, 200, 100),
    (["Store purchase"], 250, 250, 0, 0),
    (["Search", "Product"], 150, 0, 100, 50),
    (["Home"], 100, 0, 60, 40),
    (["Search", "Home", "Product", "Cart", "Pay"], 90, 80, 10, 0),
    (["Product"], 60, 0, 40, 20),
)


def test_every_column_holds_all_journeys() -> None:
    """Flow conservation: each column's nodes (paths that ended earlier pass through it) add
    up to all journeys, other paths included, in journeys and in pixels."""
    layout = sankey_layout(VARIANTS, top_k=4, max_steps=3)
    total = VARIANTS["n_journeys"].sum()
    assert layout.total == total
    assert layout.column_values() == [total] * len(layout.columns)
    for column in layout.columns:
        pixels = sum(layout.nodes[k].y1 - layout.nodes[k].y0 for k in column)
        assert pixels == pytest.approx(total * layout.scale)


def test_journeys_in_equal_journeys_out_at_every_inner_node() -> None:
    """No node makes or loses journeys: what comes in goes on (only first steps and other
    paths start flows, only outcomes end them)."""
    layout = sankey_layout(VARIANTS, top_k=4, max_steps=3)
    inflow, outflow = defaultdict(float), defaultdict(float)
    for link in layout.links:
        for a, b in pairwise(link.route):
            outflow[a] += link.value
            inflow[b] += link.value
    for key, node in layout.nodes.items():
        if node.column == 0:
            assert key not in inflow and outflow[key] == node.value
        elif node.kind == "outcome":
            assert key not in outflow and inflow[key] == node.value
        else:
            assert inflow[key] == outflow[key] == node.value


def test_other_bucket_carries_exactly_the_journeys_outside_the_top_paths() -> None:
    """'other paths' = all journeys − the top k paths' journeys, and the coverage says so."""
    layout = sankey_layout(VARIANTS, top_k=3, max_steps=6)
    assert layout.n_paths == 3
    assert layout.n_top == 500 + 300 + 250
    assert layout.nodes[("other",)].value == VARIANTS["n_journeys"].sum() - (500 + 300 + 250)
    assert layout.coverage == pytest.approx(1050 / 1450)


def test_total_of_the_run_counts_journeys_missing_from_the_table_as_other() -> None:
    """With a run total larger than the table, the difference goes through other paths too."""
    layout = sankey_layout(VARIANTS, top_k=7, total=2000)
    assert layout.nodes[("other",)].value == 2000 - 1450
    assert layout.column_values() == [2000] * len(layout.columns)


def test_paths_longer_than_the_step_limit_continue_into_one_more_node() -> None:
    """Truncation: with 3 steps, the 6-, 4- and 5-step paths go on into '…', and no node sits
    beyond step 3."""
    layout = sankey_layout(VARIANTS, top_k=7, max_steps=3)
    more = layout.nodes[("more",)]
    assert more.value == 500 + 300 + 90
    assert more.column == 3
    assert layout.column_titles == ["step 1", "step 2", "step 3", "later steps", "outcome"]
    assert max(k[1] for k in layout.nodes if k[0] == "step") == 2


def test_outcomes_add_up_the_paths_outcomes() -> None:
    """Outcome nodes hold each outcome's journeys, top paths and other paths together."""
    layout = sankey_layout(VARIANTS, top_k=2, max_steps=6)
    for outcome in ("converted", "abandoned", "open"):
        assert layout.nodes[("outcome", outcome)].value == VARIANTS[f"n_{outcome}"].sum()


def test_without_outcome_counts_every_path_just_ends() -> None:
    """A plain event log has no outcomes: every journey ends in one 'ended' node."""
    layout = sankey_layout(VARIANTS[["variant", "n_journeys"]], top_k=3)
    outcomes = [k for k in layout.nodes if k[0] == "outcome"]
    assert outcomes == [("outcome", "ended")]
    assert layout.nodes[outcomes[0]].value == 1450


def test_nodes_of_a_column_do_not_overlap() -> None:
    """Nodes keep at least the padding between them and stay inside the drawing."""
    layout = sankey_layout(VARIANTS, top_k=7, max_steps=4, padding=12)
    for column in layout.columns:
        nodes = [layout.nodes[k] for k in column]
        assert nodes[0].y0 >= -1e-6 and nodes[-1].y1 <= layout.height + 1e-6
        for upper, lower in pairwise(nodes):
            assert lower.y0 >= upper.y1 + 12 - 1e-6


def test_a_path_that_ends_early_runs_as_one_band_to_its_outcomes() -> None:
    """'Home' alone (step 1) passes through one pass node per column to the outcome column and
    splits only there."""
    layout = sankey_layout(VARIANTS, top_k=5, max_steps=3)
    home = ("step", 0, "Home")
    trunk = [link for link in layout.links if link.source == home and link.target[0] == "pass"]
    assert len(trunk) == 1
    assert [k[1] for k in trunk[0].route[1:]] == [1, 2, 3]
    assert trunk[0].value == 100
    ends = {link.target: link.value for link in layout.links if link.source == trunk[0].target}
    assert ends == {("outcome", "abandoned"): 60, ("outcome", "open"): 40}


def report(**tables: pd.DataFrame) -> ReportData:
    return ReportData(run=dict(RUN), **tables)


HOSTILE = '<script>alert("x")</script>'


def test_hostile_names_are_escaped_everywhere() -> None:
    """An activity, touchpoint, evidence or note holding markup is shown as text."""
    friction = pd.DataFrame([{
        "friction_rank": 1, "touchpoint": f"{HOSTILE} (web)", "signal": "loop", "n_journeys_affected": 50,
        "share": 0.05, "conversion_rate_with": 0.2, "conversion_rate_without": 0.6, "conversion_impact": -0.4,
        "score": 20.0, "score_basis": "journeys lost", "evidence": f'went back to "{HOSTILE}"',
        "example_journey_ids": ['j1"><img src=x onerror=alert(1)>'],
    }])
    page = render_report(ReportData(run=dict(RUN), variants=variants_table(([HOSTILE, "Cart"], 10, 5, 5, 0)),
                                    friction=friction, notes=[HOSTILE]))
    assert "<script" not in page.lower()
    assert "<img" not in page
    assert esc(HOSTILE) in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


@pytest.mark.parametrize("table", ["variants", "funnel", "dropoff_paths", "friction", "drivers", "emotion", "changes"])
def test_an_empty_table_renders_why_instead_of_failing(table: str) -> None:
    """Every table may be empty (a plain event log has no funnel or emotion): its section
    says why, briefly."""
    page = render_report(report())
    assert esc(WHY_EMPTY[table]) in page


def test_first_run_has_no_alerts_and_says_so() -> None:
    """Without changes, the header says it is the first run and lists the largest friction."""
    friction = pd.DataFrame([{
        "friction_rank": 1, "touchpoint": "Create Account (web)", "signal": "abandonment",
        "n_journeys_affected": 221, "share": 0.0285, "conversion_rate_with": 0.0, "conversion_rate_without": 0.98,
        "conversion_impact": -0.98, "score": 207.6, "score_basis": "drop-offs above the channel's usual rate",
        "evidence": "", "example_journey_ids": []}])
    page = render_report(report(friction=friction))
    header = page[page.index("<header"):page.index("</header>")]
    assert "No alerts" in header and WHY_EMPTY["changes"] in header
    assert "Create Account (web): 221 journeys (2.9%)" in header


def test_nothing_is_loaded_from_elsewhere() -> None:
    """Offline: no external scripts, styles, fonts or images, and a policy forbidding them."""
    page = render_report(report(variants=VARIANTS))
    for pattern in (r'src="http', r'href="http', r"@import", r"url\(", r"<link\b", r"<script\b", r"<img\b"):
        assert not re.search(pattern, page, re.IGNORECASE), pattern
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_headline_numbers_are_readable() -> None:
    """Thousands separators, conversion of decided journeys (open left out), the coverage."""
    page = render_report(report(variants=VARIANTS))
    assert "12,345" in page and "1,900" in page and "1,001" in page
    assert "66.7%" in page  # 1,000 converted / (1,000 + 500)
    assert "Top 7 paths = 76% of journeys" in page  # 1,450 of the run's 1,900


@pytest.mark.parametrize(("share", "text"), [(0.384, "38%"), (0.0231, "2.3%"), (0.997, "99.7%"), (1.0, "100%"),
                                             (0.0, "0%"), (None, "–")])
def test_percentages_keep_the_difference_visible(share: float | None, text: str) -> None:
    """Small shares and shares near 100% get a decimal, so 99.7% is not shown as 100%."""
    assert fmt_pct(share) == text


def test_the_last_funnel_stage_without_a_next_stage_renders() -> None:
    """The last stage has no next one (continued, dropped and drop rate are NULL): its bar
    is drawn whole, with no drop line."""
    funnel = pd.DataFrame([
        {"dimension": "all", "segment": "all", "stage_number": 1, "stage": "browse", "n_reached": 100,
         "n_continued": 60, "n_dropped": 30, "drop_rate": 0.3, "conversion_from_start": 1.0,
         "median_seconds_to_next": 300.0},
        {"dimension": "all", "segment": "all", "stage_number": 2, "stage": "purchase", "n_reached": 60,
         "n_continued": pd.NA, "n_dropped": pd.NA, "drop_rate": float("nan"), "conversion_from_start": 0.6,
         "median_seconds_to_next": float("nan")},
    ]).astype({"n_continued": "Int64", "n_dropped": "Int64"})
    page = render_report(report(funnel=funnel))
    assert "60 reached · 60% of start" in page
    assert "▼ 30% dropped (30) · median 5 min to the next stage" in page
    assert page.count("dropped (") == 1


def test_a_segment_found_only_with_the_finding_says_so() -> None:
    """An infinite lift (the finding happens only with the value) reads 'only with it'; a
    finding without a significant segment is named in one line."""
    columns = ["friction_rank", "touchpoint", "signal", "attribute", "value", "lift", "p_value", "q_value",
               "is_significant", "statement"]
    drivers = pd.DataFrame([
        (1, "Create Account (web)", "abandonment", "segment", "unknown", float("inf"), 1e-9, 1e-8, True,
         "segment = unknown: affected only with it"),
        (2, "Home (web)", "abandonment", "segment", "new", 1.2, 0.2, 0.4, False, "segment = new: 1.2x more likely"),
    ], columns=columns)
    page = render_report(report(drivers=drivers))
    assert "only with it" in page
    assert "No segment stands out significantly for finding #2." in page
    assert "segment = new: 1.2x more likely" not in page


def test_channel_switches_are_listed_most_journeys_first_and_escaped() -> None:
    """The flow section lists moves between channels by journeys, with the median time, names escaped."""
    switches = pd.DataFrame([
        {"source_activity": "Checkout Payment", "source_channel": "web", "target_activity": "call: payment_issue",
         "target_channel": "call_center", "n_journeys": 40, "n_transitions": 41, "median_seconds": 3 * 3600},
        {"source_activity": HOSTILE, "source_channel": "web", "target_activity": "store: pickup",
         "target_channel": "store", "n_journeys": 90, "n_transitions": 90, "median_seconds": 40 * 3600},
    ])
    page = render_report(ReportData(run=dict(RUN), variants=VARIANTS, channel_switches=switches))
    table = page.split("Channel switches", 1)[1].split("</table>", 1)[0]
    assert table.index("store: pickup") < table.index("call: payment_issue")
    assert esc(HOSTILE) in table and "<script" not in table
    assert "Channel switches" not in render_report(ReportData(run=dict(RUN), variants=VARIANTS))


def test_a_rerun_without_changes_says_nothing_moved_not_first_run() -> None:
    """With a previous run and no change beyond noise, the report says so; only without one is it a first run."""
    rerun = render_report(ReportData(run={**RUN, "previous_run_id": "r0"}, variants=VARIANTS))
    assert "Nothing moved beyond noise since the previous run (r0)." in rerun
    assert WHY_EMPTY["changes"] not in rerun
    assert WHY_EMPTY["changes"] in render_report(ReportData(run=dict(RUN), variants=VARIANTS))
