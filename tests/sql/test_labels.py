"""Label hygiene before mining: URL templating, rare labels grouped, repeats collapsed
(sql/macros.sql jm_template_label, sql/journeys/int_activity_touchpoints.sql, build_steps)."""

from __future__ import annotations

from typing import Any

import pytest

from journeymine.config import LabelConfig
from journeymine.db import Warehouse
from journeymine.journeys.labels import NO_LABEL_HYGIENE, build_journey_keys, build_steps

EVENTS = {
    "journey_id": "VARCHAR", "journey_key": "UBIGINT", "customer_id": "VARCHAR", "session_id": "VARCHAR", "channel": "VARCHAR",
    "activity": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "ended_at": "TIMESTAMPTZ", "sentiment": "DOUBLE",
    "value": "DOUBLE", "event_seq": "BIGINT",
}


def given_events(make_table, events: list[tuple[str, str, str, int, float | None]]) -> None:
    """journeys.events_in_journeys from (journey, channel, activity, minute, value) rows, in order."""
    rows = [
        (journey, None, f"cu-{journey}", f"s-{journey}", channel, activity, f"2026-03-02 10:{minute:02d}:00", None, None,
         value, seq)
        for seq, (journey, channel, activity, minute, value) in enumerate(events, start=1)
    ]
    make_table("journeys.events_in_journeys", EVENTS, rows)


def steps(wh: Warehouse) -> list[dict[str, Any]]:
    columns = ("journey_id", "step_number", "channel", "activity", "n_repeats", "value", "last_at")
    rows = wh.rows(
        "SELECT journey_id, step_number, channel, activity, n_repeats, value, "
        "strftime(last_at, '%H:%M') AS last_at FROM journeys.steps ORDER BY journey_id, step_number"
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


@pytest.mark.parametrize(("label", "template"), [
    ("/product/123", "/product/{id}"),
    ("/product/456?ref=mail#reviews", "/product/{id}"),
    ("https://shop.example/product/red-shoes-12345/", "/product/{id}"),
    ("/order/3f2c9a1e-1b2c-4d5e-8f90-123456789abc/status", "/order/{id}/status"),
    ("/u/deadbeefcafe12", "/u/{id}"),
    ("/cart/", "/cart"),
    ("/", "/"),
    ("/category/shoes", "/category/shoes"),
    ("Checkout Started", "Checkout Started"),
])
def test_url_labels_become_templates(warehouse: Warehouse, label: str, template: str) -> None:
    """A URL or path loses scheme, host, query, fragment and trailing '/', and id-like segments
    become {id}; a label that is not a URL is unchanged."""
    assert warehouse.scalar("SELECT jm_template_label($label)", {"label": label}) == template


def test_templating_makes_product_pages_one_activity(warehouse: Warehouse, make_table) -> None:
    """/product/1 and /product/2 are one activity; activity_touchpoints keeps each original label."""
    given_events(make_table, [("j1", "web", "/product/1", 0, None), ("j2", "web", "/product/2?x=1", 0, None)])
    build_steps(warehouse, LabelConfig(template_urls=True, collapse_repeats=False))
    assert [s["activity"] for s in steps(warehouse)] == ["/product/{id}", "/product/{id}"]
    assert warehouse.rows("SELECT label, activity FROM journeys.activity_touchpoints ORDER BY activity") == [
        ("/product/{id}", "/product/1"), ("/product/{id}", "/product/2?x=1")]


def test_consecutive_repeats_collapse_into_one_step_that_counts_them(warehouse: Warehouse, make_table) -> None:
    """A A A B is two steps: A with 2 repeats, ending when its last repeat did, with the repeats'
    values summed. The same activity on another channel is not a repeat."""
    given_events(make_table, [
        ("j1", "web", "A", 0, 1.0), ("j1", "web", "A", 1, 2.0), ("j1", "web", "A", 2, None),
        ("j1", "app", "A", 3, None), ("j1", "app", "B", 4, None),
    ])
    result = build_steps(warehouse, LabelConfig(template_urls=False, collapse_repeats=True))
    assert [(s["step_number"], s["channel"], s["activity"], s["n_repeats"], s["value"], s["last_at"])
            for s in steps(warehouse)] == [
        (1, "web", "A", 2, 3.0, "10:02"), (2, "app", "A", 0, None, "10:03"), (3, "app", "B", 0, None, "10:04")]
    assert (result.n_events, result.n_steps, result.n_repeats_collapsed) == (5, 3, 2)


def test_rare_labels_become_other_but_goals_never_do(warehouse: Warehouse, make_table) -> None:
    """Labels under the share threshold become 'Other'; a goal activity stays itself however rare,
    since it decides journey outcomes."""
    events = [("j1", "web", "Home", m, None) for m in range(8)] + [
        ("j1", "web", "Help", 8, None), ("j1", "web", "Order Completed", 9, None)]
    given_events(make_table, events)
    labels = LabelConfig(template_urls=False, collapse_repeats=False, rare_activity_share=0.15, other_label="Other")
    result = build_steps(warehouse, labels, goal_activities=["Order Completed"])
    assert result.rare_labels == ("Help",)
    assert [s["activity"] for s in steps(warehouse)][-2:] == ["Other", "Order Completed"]


def test_with_hygiene_off_steps_are_the_events(warehouse: Warehouse, make_table) -> None:
    """No templating, no collapsing, no grouping: one step per event, labels untouched."""
    given_events(make_table, [("j1", "web", "/p/1", 0, None), ("j1", "web", "/p/1", 1, None)])
    build_steps(warehouse, NO_LABEL_HYGIENE)
    assert [(s["activity"], s["n_repeats"]) for s in steps(warehouse)] == [("/p/1", 0), ("/p/1", 0)]


def test_journeys_sharing_a_hash_key_are_keyed_again_with_another_salt(
    warehouse: Warehouse, make_table, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If two journeys ever got the same 64-bit key, the keys are rebuilt with another salt
    (the clash is simulated: the first uniqueness check reports one key fewer)."""
    given_events(make_table, [("j1", "web", "A", 0, None), ("j2", "web", "B", 1, None)])
    build_steps(warehouse, NO_LABEL_HYGIENE)
    real_scalar = Warehouse.scalar
    checks: list[str] = []

    def clashing_once(self: Warehouse, sql: str, params: Any = None) -> Any:
        value = real_scalar(self, sql, params)
        if "DISTINCT journey_key" in sql:
            checks.append(sql)
            return value - 1 if len(checks) == 1 else value
        return value

    monkeypatch.setattr(Warehouse, "scalar", clashing_once)
    assert build_journey_keys(warehouse) == "journeymine-1"
    assert len(checks) == 2
