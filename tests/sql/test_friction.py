"""Friction findings (src/journeymine/insights/friction.py with sql/journeys/int_friction_events_on_steps.sql,
sql/journeys/int_friction_hits.sql and sql/marts/friction.sql): journeys in → findings out.

Each signal is found where its rule says and not where it does not; scores are in journeys
harmed; conversion with and without leaves open journeys out."""

from __future__ import annotations

from typing import Any

import pytest

from journeymine.config import FrictionConfig, LabelConfig
from journeymine.db import Warehouse
from journeymine.insights.friction import find_friction
from journeymine.journeys.journeys import build_journeys_mart
from journeymine.journeys.labels import build_steps

from .conftest import J

HOUR = 60  # minutes


def friction(wh: Warehouse, back_edges: list[tuple[str, str]] = (), **settings: Any) -> list[dict[str, Any]]:
    """Build marts.journey_graph_edges (counts and times of the journeys' transitions) with the
    given back edges ('channel:activity' pairs), run find_friction (min_journeys 1 unless given)
    and return the findings in rank order."""
    wh.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    wh.execute("ALTER TABLE marts.journey_graph_edges ADD COLUMN is_back_edge BOOLEAN DEFAULT false")
    for source, target in back_edges:
        (source_channel, source_activity), (target_channel, target_activity) = source.split(":", 1), target.split(":", 1)
        wh.execute(
            "UPDATE marts.journey_graph_edges SET is_back_edge = true "
            "WHERE source_channel = $source_channel AND source_activity = $source_activity "
            "AND target_channel = $target_channel AND target_activity = $target_activity",
            {"source_channel": source_channel, "source_activity": source_activity,
             "target_channel": target_channel, "target_activity": target_activity},
        )
    n_findings = find_friction(wh, FrictionConfig(**{"min_journeys": 1, **settings}))
    columns = wh.columns("marts", "friction")
    rows = wh.rows("SELECT * FROM marts.friction ORDER BY friction_rank")
    findings = [dict(zip(columns, row, strict=True)) for row in rows]
    assert n_findings == len(findings)
    return findings


def of_signal(findings: list[dict[str, Any]], signal: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["signal"] == signal]


def found(findings: list[dict[str, Any]], signal: str) -> dict[str, list[str]]:
    """The findings of one signal as {touchpoint: example journey ids}."""
    return {f["touchpoint"]: list(f["example_journey_ids"]) for f in of_signal(findings, signal)}


def call(reason: str) -> str:
    return f"call_center:call: {reason}"


# --- loop --------------------------------------------------------------------------------

LOOPING = [
    J("loop1", "converted", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Order Completed"]),
    J("loop2", "abandoned", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping"]),
    J("loop3", "abandoned", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Cart", "web:Shipping"]),
    J("loop4", "abandoned", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping"]),
]
STRAIGHT = [J(f"ok{i}", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]) for i in range(5)]
STRAIGHT += [J("ok5", "abandoned", ["web:Cart", "web:Shipping"])]


def test_a_return_to_a_touchpoint_is_a_loop_scored_by_lost_journeys(warehouse: Warehouse, given_journeys) -> None:
    """Coming back to a touchpoint first reached before the one the journey comes from (Cart …
    Shipping … Cart) is a loop on the step back, Shipping → Cart, whatever the journey graph's edge
    order (no back edge is given here); the step forward again is not a second loop. Its score is
    n_affected × (conversion without − conversion with), among journeys reaching its source, as it
    never rose in a period; its cost is the steps and time round the loop.

    4 looping journeys convert 1/4; the other 6 reaching Shipping convert 5/6: score 4 × (5/6 − 1/4).
    loop3 goes round twice (4 steps, 4 min), the others once (2 steps, 2 min)."""
    given_journeys(LOOPING + STRAIGHT)
    loops = of_signal(friction(warehouse), "loop")
    assert len(loops) == 1
    loop = loops[0]
    assert (loop["touchpoint"], loop["channel"], loop["activity"], loop["target_channel"], loop["target_activity"]) == (
        "Shipping (web) → Cart (web)", "web", "Shipping", "web", "Cart")
    assert loop["n_journeys_affected"] == 4  # loop3 loops twice but is one journey
    assert list(loop["example_journey_ids"]) == ["loop1", "loop2", "loop3", "loop4"]
    assert loop["n_reference"] == 10
    assert loop["conversion_rate_with"] == pytest.approx(1 / 4)
    assert loop["conversion_rate_without"] == pytest.approx(5 / 6)
    assert loop["conversion_impact"] == pytest.approx(5 / 6 - 1 / 4)
    assert loop["score"] == pytest.approx(4 * (5 / 6 - 1 / 4))
    assert loop["score_basis"] == "journeys lost, and held up where it rose"
    assert (loop["extra_steps"], loop["extra_seconds"]) == (2.0, 120.0)
    assert list(loop["periods_risen"]) == []
    # 5 loops / 4 journeys
    assert loop["evidence"] == (
        "1.2 loops per journey, 2 extra steps and 2 min round the loop (median); converted 25% vs 83% without")
    assert loop["share"] == pytest.approx(0.4)


def test_no_loop_without_a_return(warehouse: Warehouse, given_journeys) -> None:
    """A journey that never comes back to a touchpoint has no loop, even along an edge the journey
    graph calls a back edge; going back and forth between two touchpoints first reached in that
    order is one loop per return, on the step back only."""
    given_journeys([J("fresh", "abandoned", ["web:Shipping", "web:Cart"])] + STRAIGHT)
    assert of_signal(friction(warehouse, [("web:Shipping", "web:Cart")]), "loop") == []
    given_journeys([J("pingpong", "converted", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping",
                                                 "web:Order Completed"])])
    assert found(friction(warehouse), "loop") == {"Shipping (web) → Cart (web)": ["pingpong"]}


def test_score_is_clipped_at_zero(warehouse: Warehouse, given_journeys) -> None:
    """A loop whose journeys convert better than the others costs nothing: score 0, never negative."""
    given_journeys([
        J("loop1", "converted", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Order Completed"]),
        J("loop2", "converted", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Order Completed"]),
        J("self1", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]),
        J("self2", "abandoned", ["web:Cart", "web:Shipping"]),
    ])
    loops = of_signal(friction(warehouse, [("web:Shipping", "web:Cart")]), "loop")
    assert len(loops) == 1
    assert loops[0]["conversion_rate_with"] == 1.0 and loops[0]["conversion_rate_without"] == 0.5
    assert loops[0]["conversion_impact"] == -0.5
    assert loops[0]["score"] == 0.0


# --- digital to call ---------------------------------------------------------------------


def test_digital_to_call_within_the_window_is_found(warehouse: Warehouse, given_journeys) -> None:
    """A call following a web or app step within call_switch_window_hours (inclusive) is a
    digital-to-call switch, keyed on the digital step; a later call, or a call after a store step, is not."""
    given_journeys([
        J("in23h", "abandoned", ["web:Help", call("help")], [0, 23 * HOUR]),
        J("in24h", "abandoned", ["web:Help", call("help")], [0, 24 * HOUR]),
        J("after25h", "abandoned", ["web:Help", call("help")], [0, 25 * HOUR]),
        J("fromapp", "abandoned", ["app:Help", call("help")], [0, 1 * HOUR]),
        J("fromstore", "abandoned", ["store:store: visit", call("help")], [0, 1 * HOUR]),
    ])
    calls = of_signal(friction(warehouse, call_switch_window_hours=24), "digital_to_call")
    got = {(f["channel"], f["activity"], f["target_channel"], f["target_activity"]): list(f["example_journey_ids"])
           for f in calls}
    assert got == {
        ("web", "Help", "call_center", "call: help"): ["in23h", "in24h"],
        ("app", "Help", "call_center", "call: help"): ["fromapp"],
    }
    assert {f["touchpoint"] for f in calls} == {
        "Help (web) → call: help (call_center)", "Help (app) → call: help (call_center)"}
    web = next(f for f in calls if f["channel"] == "web")
    # 23 h and 24 h; 2 of the 3 journeys reaching web Help
    assert web["evidence"] == "called a median 23.5 h later; 67% of journeys at this step"


def test_digital_to_call_window_is_a_parameter(warehouse: Warehouse, given_journeys) -> None:
    """A shorter window leaves out a call that a longer one catches."""
    given_journeys([J("in3h", "abandoned", ["web:Help", call("help")], [0, 180])])
    assert len(of_signal(friction(warehouse, call_switch_window_hours=4), "digital_to_call")) == 1
    assert of_signal(friction(warehouse, call_switch_window_hours=2), "digital_to_call") == []


def test_a_call_after_a_digital_step_counts_even_when_the_journey_converts(
    warehouse: Warehouse, given_journeys
) -> None:
    """Every journey sent to a call is harmed (the contact is the cost): score = n_affected, whatever the conversion."""
    given_journeys([
        J("call1", "converted", ["web:Help", call("help"), "web:Order Completed"]),
        J("call2", "converted", ["web:Help", call("help"), "web:Order Completed"]),
        J("self1", "converted", ["web:Help", "web:Order Completed"]),
        J("self2", "abandoned", ["web:Help"]),
    ])
    calls = of_signal(friction(warehouse), "digital_to_call")
    assert len(calls) == 1
    assert calls[0]["conversion_rate_with"] == 1.0 and calls[0]["conversion_rate_without"] == 0.5
    assert calls[0]["score"] == 2.0 and calls[0]["score_basis"] == "journeys sent to a call"


# --- repeat contact ----------------------------------------------------------------------


def test_repeat_contact_is_a_call_about_the_same_thing_again_within_the_window(
    warehouse: Warehouse, given_journeys
) -> None:
    """A customer calling again about the same thing (the same call touchpoint) within
    repeat_contact_window_days of an earlier call is a repeat contact, found on the journey of
    the repeat call, in the same journey or a later one. A call about something else, another
    customer's call, or a call after the window is not. (Journey k starts k days after the first.)"""
    given_journeys([
        J("a1", "converted", [call("help")], customer_id="ann"),
        J("a2", "converted", [call("help")], customer_id="ann"),  # 1 day after a1: repeat
        J("b1", "converted", [call("help"), "web:Home", call("help")], [0, 10, 60], customer_id="bob"),  # repeat within
        J("c1", "converted", [call("help")], customer_id="cat"),
        J("c2", "converted", [call("billing")], customer_id="cat"),  # another reason
        J("d1", "converted", [call("help")], customer_id="dan"),
        J("e1", "converted", [call("help")], customer_id="eve"),  # another customer's
    ] + [J(f"f{i}", "converted", ["web:Home"]) for i in range(5)] + [
        J("d2", "converted", [call("help")], customer_id="dan"),  # 7 days after d1, inclusive: repeat
        J("d3", "converted", [call("help")], customer_id="dan"),  # 1 day after d2: repeat
        J("g1", "converted", [call("help")], customer_id="gus"),
    ] + [J(f"h{i}", "converted", ["web:Home"]) for i in range(7)] + [
        J("g2", "converted", [call("help")], customer_id="gus"),  # 8 days after g1: too late
    ])
    findings = friction(warehouse, repeat_contact_window_days=7)
    assert found(findings, "repeat_contact") == {"call: help (call_center)": ["a2", "b1", "d2", "d3"]}
    repeat = of_signal(findings, "repeat_contact")[0]
    assert (repeat["target_channel"], repeat["target_activity"]) == (None, None)
    assert repeat["n_reference"] == 10  # journeys with a call about help
    assert repeat["score"] == 4.0 and repeat["score_basis"] == "journeys with a repeat call"
    # since the earlier call: 1 day, 1 h, 7 days, 1 day
    assert repeat["evidence"] == "called again a median 24.0 h after the earlier call; 40% of journeys with this call"
    assert found(friction(warehouse, repeat_contact_window_days=0.5), "repeat_contact") == {
        "call: help (call_center)": ["b1"]}


# --- long wait ---------------------------------------------------------------------------


def test_long_wait_is_above_the_transitions_own_p90_and_the_minimum(
    warehouse: Warehouse, given_journeys
) -> None:
    """A transition slower than its own p90 × long_wait_factor and than long_wait_min_minutes is a
    long wait. Cart → Shipping takes 10 min 9 times and 10 h once (p90 69 min): the 10 h wait is
    long. Home → Search always takes 3 h: no wait is above its usual. Help → FAQ takes 1 min 9
    times and 30 min once: above its p90 but under an hour."""
    given_journeys(
        [J(f"cart{i}", "converted", ["web:Cart", "web:Shipping"], [0, 10]) for i in range(9)]
        + [J("cartslow", "abandoned", ["web:Cart", "web:Shipping"], [0, 10 * HOUR])]
        + [J(f"home{i}", "converted", ["web:Home", "web:Search"], [0, 3 * HOUR]) for i in range(10)]
        + [J(f"help{i}", "converted", ["web:Help", "web:FAQ"], [0, 1]) for i in range(9)]
        + [J("helpslow", "abandoned", ["web:Help", "web:FAQ"], [0, 30])]
    )
    findings = friction(warehouse)
    assert found(findings, "long_wait") == {"Cart (web) → Shipping (web)": ["cartslow"]}
    wait = of_signal(findings, "long_wait")[0]
    assert (wait["conversion_rate_with"], wait["conversion_rate_without"]) == (0.0, 1.0)
    assert wait["score"] == 1.0 and wait["score_basis"] == "journeys lost, and held up where it rose"
    assert wait["evidence"] == "median wait 10.0 h vs 10 min usual on this transition; converted 0% vs 100% without"
    # a factor of 10 puts the bar at 690 min; a minimum of 11 h puts it above 10 h
    assert of_signal(friction(warehouse, long_wait_factor=10.0), "long_wait") == []
    assert of_signal(friction(warehouse, long_wait_min_minutes=11 * HOUR), "long_wait") == []
    assert len(of_signal(friction(warehouse, long_wait_min_minutes=20), "long_wait")) == 2


def test_long_wait_needs_enough_transitions_for_a_distribution(
    warehouse: Warehouse, given_journeys
) -> None:
    """A transition taken fewer than min_journeys times has no usual wait, so no wait on it is long
    (seen in journeys.friction_hits, before findings under min_journeys are dropped)."""
    given_journeys(
        [J(f"cart{i}", "converted", ["web:Cart", "web:Shipping"], [0, 10]) for i in range(9)]
        + [J("cartslow", "abandoned", ["web:Cart", "web:Shipping"], [0, 10 * HOUR])]
    )
    long_waits = (
        "SELECT journey_id FROM journeys.friction_hits JOIN journeys.journey_keys USING (journey_key) "
        "WHERE signal = 'long_wait'"
    )
    friction(warehouse, min_journeys=10)
    assert warehouse.rows(long_waits) == [("cartslow",)]
    friction(warehouse, min_journeys=11)
    assert warehouse.rows(long_waits) == []


# --- negative sentiment ------------------------------------------------------------------


def test_negative_sentiment_or_low_csat_is_scored_above_the_channels_usual_rate(
    warehouse: Warehouse, given_journeys
) -> None:
    """An event with sentiment ≤ negative_sentiment_threshold (inclusive) or CSAT ≤ low_csat is a
    negative experience at its touchpoint. The score counts negative journeys above the channel's
    usual rate among journeys with a sentiment or CSAT there: 4 of the 9 rated call journeys are
    negative, so delay (3 of 4 rated) scores 3 − 4 × 4/9 and orders (1 of 5) scores 0. A positive
    sentiment, a CSAT of 3 and an unrated call are not negative."""
    given_journeys([
        J("d1", "converted", [call("delay")], sentiments=[-0.6]),
        J("d2", "abandoned", [call("delay")], sentiments=[-0.5], attributes=[{"csat": 3}]),
        J("d3", "abandoned", [call("delay")], attributes=[{"csat": 1}]),
        J("d4", "converted", [call("delay")], sentiments=[0.2], attributes=[{"csat": 4}]),
    ] + [
        J(f"o{i}", "converted", [call("orders")], sentiments=[0.5], attributes=[{"csat": 5}]) for i in range(1, 5)
    ] + [
        J("o5", "converted", [call("orders")], sentiments=[-0.3], attributes=[{"csat": 4}]),
        J("o6", "converted", [call("orders")]),
        J("w1", "converted", ["web:Home"], sentiments=[0.9]),
    ])
    findings = friction(warehouse)
    assert found(findings, "negative_sentiment") == {
        "call: delay (call_center)": ["d1", "d2", "d3"], "call: orders (call_center)": ["o5"]}
    delay, orders = sorted(of_signal(findings, "negative_sentiment"), key=lambda f: f["activity"])
    assert delay["score"] == pytest.approx(3 - 4 * 4 / 9)
    assert delay["score_basis"] == "negative experiences above the channel's usual rate"
    assert orders["score"] == 0.0
    # sentiment: delay (−0.6 − 0.5 + 0.2) / 3; elsewhere (4 × 0.5 − 0.3 + 0.9) / 6; CSAT 8/3 vs 24/5
    assert delay["evidence"] == "mean sentiment -0.30 vs +0.43 elsewhere; mean CSAT 2.7 vs 4.8 elsewhere"
    stricter = friction(warehouse, negative_sentiment_threshold=-0.55, low_csat=1)
    assert found(stricter, "negative_sentiment") == {"call: delay (call_center)": ["d1", "d3"]}


# --- error event -------------------------------------------------------------------------


def test_error_event_by_name_or_error_attribute(warehouse: Warehouse, given_journeys) -> None:
    """A step whose activity holds an error word (whole words, any case), or whose event has a
    non-null 'error' attribute, is an error at that touchpoint; a null 'error', or a word merely
    containing one, is not."""
    given_journeys([
        J("e1", "abandoned", ["web:Cart", "web:Payment Failed"]),
        J("e2", "abandoned", ["web:Cart", "web:Payment Failed"]),
        J("e3", "converted", ["app:Card DECLINED", "app:Order Completed"]),
        J("e4", "abandoned", ["web:Cart", "web:Payment"], attributes=[None, {"error": "card_expired"}]),
        J("e5", "abandoned", ["web:Cart", "call_center:call: payment_declined"]),  # snake_case still a word
        J("n1", "converted", ["web:Cart", "web:Payment", "web:Order Completed"],
          attributes=[None, {"error": None}, None]),
        J("n2", "converted", ["web:Cart", "web:Payment", "web:Order Completed"]),
        J("n3", "converted", ["web:Failedness Quiz", "web:Order Completed"]),
    ])
    findings = friction(warehouse)
    assert found(findings, "error_event") == {
        "Payment Failed (web)": ["e1", "e2"], "Card DECLINED (app)": ["e3"], "Payment (web)": ["e4"],
        "call: payment_declined (call_center)": ["e5"]}
    payment = next(f for f in of_signal(findings, "error_event") if f["activity"] == "Payment")
    assert payment["score"] == 1.0 and payment["score_basis"] == "journeys that hit an error"
    assert payment["evidence"] == "33% of journeys at this step; converted 0% vs 100% without"
    # error_pattern matches the label as it is, on top of the words (none here)
    assert found(friction(warehouse, error_words=(), error_pattern="^Card"), "error_event") == {
        "Card DECLINED (app)": ["e3"], "Payment (web)": ["e4"]}


# --- abandonment -------------------------------------------------------------------------


def test_abandonment_findings_name_the_last_touchpoint(warehouse: Warehouse, given_journeys) -> None:
    """Abandoned journeys are a finding at their last touchpoint, compared with the journeys that
    passed it: 3 abandon at Shipping (rate 0) where the other 2 decided ones converted (rate 1).
    Its score is the drop-offs above the channel's usual rate: web journeys reach touchpoints
    15 times and end abandoned 3 times (rate 1/5), so 6 reaching Shipping would lose 1.2."""
    given_journeys([
        J("a3", "abandoned", ["web:Cart", "web:Shipping"]),
        J("a1", "abandoned", ["web:Cart", "web:Shipping"]),
        J("a2", "abandoned", ["web:Cart", "web:Shipping"]),
        J("c1", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]),
        J("c2", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]),
        J("o1", "open", ["web:Cart", "web:Shipping", "web:Payment"]),
    ])
    findings = friction(warehouse, n_examples=2)
    assert [(f["signal"], f["touchpoint"]) for f in findings] == [("abandonment", "Shipping (web)")]
    finding = findings[0]
    assert (finding["target_channel"], finding["target_activity"]) == (None, None)
    assert finding["n_journeys_affected"] == 3
    assert list(finding["example_journey_ids"]) == ["a1", "a2"]  # the smallest ids, n_examples of them
    assert (finding["conversion_rate_with"], finding["conversion_rate_without"]) == (0.0, 1.0)
    assert finding["score"] == pytest.approx(3 - 6 * 3 / 15)
    assert finding["score_basis"] == "drop-offs above the channel's usual rate"
    assert finding["evidence"] == "drop rate 50.0% vs 20.0% usual on web"
    assert finding["share"] == 0.5


# --- call abandoned ----------------------------------------------------------------------


def test_call_abandoned_in_the_queue(warehouse: Warehouse, given_journeys) -> None:
    """A call whose outcome is 'abandoned' was abandoned in the queue, a finding on the call
    touchpoint scored by its journeys; an answered call, or a web event with that outcome, is not."""
    given_journeys([
        J("q1", "abandoned", ["web:Help", call("help")], [0, 30 * 24 * HOUR],
          attributes=[None, {"outcome": "abandoned"}]),
        J("q2", "converted", [call("help"), "web:Order Completed"], attributes=[{"outcome": "abandoned"}, None]),
        J("q3", "converted", [call("help")], attributes=[{"outcome": "resolved", "csat": 4}]),
        J("q4", "converted", [call("billing")], attributes=[{"outcome": "resolved"}]),
        J("w1", "converted", ["web:Help"], attributes=[{"outcome": "abandoned"}]),
    ])
    findings = friction(warehouse)
    assert found(findings, "call_abandoned") == {"call: help (call_center)": ["q1", "q2"]}
    queue = of_signal(findings, "call_abandoned")[0]
    assert queue["score"] == 2.0 and queue["score_basis"] == "journeys with a call abandoned in the queue"
    assert queue["evidence"] == "2 of 3 calls abandoned in the queue (67% vs 0% of other calls)"


# --- comparison, score and rank ----------------------------------------------------------


def test_conversion_with_and_without_leave_open_journeys_out(
    warehouse: Warehouse, given_journeys
) -> None:
    """conversion_rate_with is converted / (converted + abandoned) among affected journeys,
    conversion_rate_without the same among the other journeys reaching the touchpoint; open
    journeys count in n_reference and share but in neither rate."""
    given_journeys([
        J("call1", "converted", ["web:Help", call("help")]),
        J("call2", "abandoned", ["web:Help", call("help")]),
        J("call3", "open", ["web:Help", call("help")]),
        J("self1", "converted", ["web:Help"]),
        J("self2", "converted", ["web:Help"]),
        J("self3", "abandoned", ["web:Help"]),
        J("self4", "open", ["web:Help"]),
    ])
    finding = of_signal(friction(warehouse), "digital_to_call")[0]
    assert finding["n_journeys_affected"] == 3 and finding["n_reference"] == 7
    assert finding["share"] == pytest.approx(3 / 7)
    assert finding["conversion_rate_with"] == 0.5
    assert finding["conversion_rate_without"] == pytest.approx(2 / 3)
    assert finding["conversion_impact"] == pytest.approx(2 / 3 - 1 / 2)


def test_findings_are_ranked_by_score_then_journeys_then_touchpoint(
    warehouse: Warehouse, given_journeys
) -> None:
    """Scores of all signals are journeys harmed and rank together, highest first; equal scores
    rank the finding with more journeys first, then by touchpoint and signal."""
    given_journeys(
        [J(f"x{i}", "converted", ["web:Help", call("help")], attributes=[None, {"outcome": "abandoned"}])
         for i in range(2)]
        + [J(f"y{i}", "converted", ["app:Help", call("help")], sentiments=[None, -0.9]) for i in range(3)]
        + [J("z1", "abandoned", ["app:Help"])]
    )
    got = [(f["friction_rank"], f["signal"], f["touchpoint"], f["score"]) for f in friction(warehouse)]
    assert got == [
        (1, "digital_to_call", "Help (app) → call: help (call_center)", 3.0),
        (2, "digital_to_call", "Help (web) → call: help (call_center)", 2.0),
        (3, "call_abandoned", "call: help (call_center)", 2.0),
        # 3 negative of 3 rated journeys: the channel's usual rate is 1, nothing above it
        (4, "negative_sentiment", "call: help (call_center)", 0.0),
        # the one app touchpoint: its drop rate is the channel's
        (5, "abandonment", "Help (app)", 0.0),
    ]


def test_findings_under_min_journeys_are_not_reported(warehouse: Warehouse, given_journeys) -> None:
    """A finding affecting fewer journeys than min_journeys is left out."""
    given_journeys([J(f"a{i}", "abandoned", ["web:Cart"]) for i in range(3)] + [
        J("c", "converted", ["web:Cart", "web:Order Completed"])])
    assert len(friction(warehouse, min_journeys=3)) == 1
    assert friction(warehouse, min_journeys=4) == []


def test_no_signal_no_finding(warehouse: Warehouse, given_journeys) -> None:
    """Journeys that all convert straight through, on one channel, give no friction finding."""
    given_journeys([J(f"c{i}", "converted", ["web:Home", "web:Cart", "web:Order Completed"]) for i in range(4)])
    assert friction(warehouse, [("web:Cart", "web:Home")]) == []


# --- event-level signals after label hygiene ----------------------------------------------


def test_event_signals_name_the_touchpoint_as_the_steps_do(warehouse: Warehouse, given_journeys) -> None:
    """An event is on the step it was collapsed into by label hygiene: an error on the second of two
    payment pages is on the step '/pay/{id}', and a second call about help in the same step (a
    repeat collapsed into it) is a repeat contact there."""
    given_journeys([
        J("u1", "converted", ["web:/pay/123?x=1", "web:/pay/456"], attributes=[None, {"error": "declined"}]),
        J("u2", "converted", [call("help"), call("help")], [0, 60]),
    ])
    build_steps(warehouse, LabelConfig())
    # the journeys again, on the new steps' codes
    build_journeys_mart(warehouse, ["Order Completed"], window_days=30, labels=LabelConfig())
    warehouse.build("journeys.touchpoint_paths", "journeys/int_touchpoint_paths_counted")
    findings = friction(warehouse)
    assert found(findings, "error_event") == {"/pay/{id} (web)": ["u1"]}
    assert found(findings, "repeat_contact") == {"call: help (call_center)": ["u2"]}
    assert warehouse.rows("SELECT count(*) FROM journeys.steps") == [(2,)]


# --- friction hits -----------------------------------------------------------------------


def test_friction_hits_hold_one_row_per_journey_and_finding(warehouse: Warehouse, given_journeys) -> None:
    """journeys.friction_hits has one row per journey per finding key (on the journey's key and
    touchpoint codes), with how often the journey has it, the step of its first occurrence and,
    for a time-based signal, the time of its first occurrence; for loops, the steps and time
    spent going round them, all occurrences added."""
    given_journeys([
        J("j1", "abandoned", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Cart", "web:Help",
                              call("help")], [0, 1, 2, 3, 4, 5, 125], customer_id="ann"),
    ])
    friction(warehouse)
    got = warehouse.rows(
        "SELECT journey_keys.journey_id, journey_keys.customer_id, hits.signal, source.channel, source.activity, "
        "       target.channel, target.activity, hits.n_occurrences, hits.seconds, hits.step_number, "
        "       hits.extra_steps, hits.extra_seconds "
        "FROM journeys.friction_hits AS hits "
        "JOIN journeys.journey_keys AS journey_keys USING (journey_key) "
        "JOIN journeys.touchpoints AS source ON source.touchpoint = hits.touchpoint "
        "LEFT JOIN journeys.touchpoints AS target ON target.touchpoint = hits.target_touchpoint "
        "ORDER BY hits.signal"
    )
    # loops: Shipping (step 2) → Cart (3), back to step 1, 2 min; Shipping (4) → Cart (5), back to 3
    assert got == [
        ("j1", "ann", "abandonment", "call_center", "call: help", None, None, 1, None, 7, None, None),
        ("j1", "ann", "digital_to_call", "web", "Help", "call_center", "call: help", 1, 7200.0, 6, None, None),
        ("j1", "ann", "loop", "web", "Shipping", "web", "Cart", 2, 120.0, 2, 4, 240.0),
    ]


def test_a_csat_outside_its_scale_is_no_rating(warehouse: Warehouse, given_journeys) -> None:
    """CSAT is 1-5: a 0 (a system's "not asked") or a 7 is neither negative nor a rating."""
    given_journeys([
        J("z1", "converted", [call("orders")], attributes=[{"csat": 0}]),
        J("z2", "converted", [call("orders")], attributes=[{"csat": 7}]),
        J("r1", "converted", [call("orders")], attributes=[{"csat": 1}]),
    ])
    findings = friction(warehouse)
    assert found(findings, "negative_sentiment") == {"call: orders (call_center)": ["r1"]}
    assert of_signal(findings, "negative_sentiment")[0]["evidence"].startswith("mean CSAT 1.0")
