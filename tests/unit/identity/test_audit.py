"""The audit of who is who between published runs (journeymine.identity.audit): a login that
reveals an anonymous visitor merges two customers, a kiosk set aside splits one, and a night
that changes nobody's identity adds no row."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from journeymine.config import IdentityConfig
from journeymine.db import Warehouse
from journeymine.identity.audit import build_identity_history, keep_identity
from journeymine.identity.stitch import StitchResult, stitch_identities
from journeymine.load.source import load_source

IDENTITY = IdentityConfig(salt="s")  # customer_ref: at most 2 per person


def page(message_id: str, anonymous_id: str, user_id: str | None, at: str, name: str = "Home") -> dict[str, Any]:
    return {"messageId": message_id, "type": "page", "anonymousId": anonymous_id, "userId": user_id,
            "timestamp": f"2026-03-{at}Z", "name": name}


@pytest.fixture
def night(warehouse: Warehouse, write_file, source_config) -> Callable[..., StitchResult]:
    """night(run_id, file_name, pages): a file of web pages arrives, is staged and stitched
    against what the previous published night kept; the night is then published (its identity
    kept for the next). Returns the stitch result; the changes stay in stitched.identity_changes."""
    source = source_config("web", "segment", "web/*.jsonl", channel="web")

    def run(run_id: str, file_name: str | None, pages: list[dict[str, Any]] = ()) -> StitchResult:
        if file_name:
            write_file(f"web/{file_name}", "".join(json.dumps(p) + "\n" for p in pages))
        load_source(warehouse, source, IDENTITY, run_id=run_id)
        result = stitch_identities(warehouse, IDENTITY, ["web"])
        warehouse.execute("BEGIN TRANSACTION")
        keep_identity(warehouse, run_id)
        warehouse.execute("COMMIT")
        return result

    return run


def changes(warehouse: Warehouse) -> list[dict[str, Any]]:
    frame = warehouse.df("SELECT * FROM stitched.identity_changes")
    return frame.to_dict("records")


def customers_by_event(warehouse: Warehouse) -> dict[str, str]:
    """event_id → customer_id, as this run stitched them."""
    return dict(warehouse.rows(
        "SELECT staged.event_id, stitched.customer_id FROM stitched.events AS stitched "
        "JOIN staged.events AS staged USING (event_key)"
    ))


def test_a_night_that_changes_nobody_adds_no_row(warehouse: Warehouse, night) -> None:
    """A new visitor and more pages of known ones change no customer: no row, ids unchanged;
    nor does running the night again."""
    night("r1", "d1.jsonl", [page("m1", "a1", None, "02T10:00:00"), page("m2", "k1", "C1", "02T11:00:00")])
    before = customers_by_event(warehouse)
    result = night("r2", "d2.jsonl", [page("m3", "a2", None, "03T10:00:00"), page("m4", "a1", None, "03T10:05:00"),
                                       page("m5", "k1", "C1", "03T11:00:00")])
    assert changes(warehouse) == []
    assert result.identity_changes == {"previous_run_id": "r1", "n_merges": 0, "n_splits": 0, "n_rekeys": 0,
                                       "n_events_rekeyed": 0}
    after = customers_by_event(warehouse)
    assert {event: after[event] for event in before} == before
    assert after["m4"] == after["m1"] and after["m5"] == after["m2"]
    again = night("r3", None)
    assert changes(warehouse) == [] and again.identity_changes["previous_run_id"] == "r2"


def test_a_login_merges_the_anonymous_visitor_into_the_known_customer(warehouse: Warehouse, night) -> None:
    """Visitor a1 browsed anonymously on the first night; customer C1 (device k1) shopped logged
    in. On the second night a1 logs in as C1: one merge of the two previous customers, named
    with the login as its reason, and the events of the customer whose id went re-keyed."""
    first = night("r1", "d1.jsonl", [
        page("m1", "a1", None, "02T10:00:00"), page("m2", "a1", None, "02T10:01:00"),
        page("m3", "a1", None, "02T10:02:00"), page("m4", "k1", "C1", "02T11:00:00"),
    ])
    assert first.identity_changes["previous_run_id"] is None and changes(warehouse) == []
    before = customers_by_event(warehouse)
    visitor, known = before["m1"], before["m4"]
    assert visitor != known
    result = night("r2", "d2.jsonl", [page("m5", "a1", "C1", "03T09:00:00", "Sign In")])
    after = customers_by_event(warehouse)
    merged = after["m5"]
    # the known customer keeps their id (a customer_ref anchors it): the visitor's events move
    assert merged == known and after["m1"] == after["m4"] == merged
    rekeyed = sum(after[event] != customer for event, customer in before.items())
    assert rekeyed == 3
    [change] = changes(warehouse)
    assert change["kind"] == "merge"
    assert list(change["previous_customer_ids"]) == sorted([visitor, known])
    assert list(change["customer_ids"]) == [merged]
    assert change["n_events_rekeyed"] == rekeyed
    assert change["reason"] == "new_link"
    assert change["linking_event_id"] == "m5" and change["linking_source"] == "web"
    assert list(change["linking_identifier_kinds"]) == ["anonymous_id", "customer_ref"]
    assert change["n_linking_records"] == 1 and change["previous_run_id"] == "r1"
    assert result.identity_changes == {"previous_run_id": "r1", "n_merges": 1, "n_splits": 0, "n_rekeys": 0,
                                       "n_events_rekeyed": rekeyed}


def test_a_kiosk_set_aside_splits_the_customer_it_had_joined(warehouse: Warehouse, night) -> None:
    """Two customers who logged in on one kiosk are one customer (two customer_refs are
    plausible); a third login makes the kiosk shared: the previous customer splits into the
    kiosk and each customer. The customer whose customer_ref anchored the merged id keeps it,
    so of the first night's events only the other one's is re-keyed."""
    night("r1", "d1.jsonl", [page("m1", "kiosk", "C1", "02T10:00:00"), page("m2", "kiosk", "C2", "02T11:00:00")])
    before = customers_by_event(warehouse)
    assert before["m1"] == before["m2"]
    result = night("r2", "d2.jsonl", [page("m3", "kiosk", "C3", "03T10:00:00")])
    after = customers_by_event(warehouse)
    assert len({after["m1"], after["m2"], after["m3"]}) == 3
    [change] = changes(warehouse)
    assert change["kind"] == "split" and list(change["previous_customer_ids"]) == [before["m1"]]
    assert {after["m1"], after["m2"]} < set(change["customer_ids"]) and len(change["customer_ids"]) == 3
    assert change["reason"] == "set_aside_as_shared" and change["n_set_aside"] == 1
    assert change["n_events_rekeyed"] == sum(after[e] != c for e, c in before.items()) == 1
    assert (after["m1"] == before["m1"]) != (after["m2"] == before["m2"])
    assert result.identity_changes["n_splits"] == 1 and result.identity_changes["n_events_rekeyed"] == 1


def test_the_published_history_keeps_every_run_and_stamps_this_one(warehouse: Warehouse, night) -> None:
    """marts.identity_changes holds the kept runs' changes and this run's, under their run ids."""
    night("r1", "d1.jsonl", [page("m1", "a1", None, "02T10:00:00"), page("m2", "k1", "C1", "02T11:00:00")])
    night("r2", "d2.jsonl", [page("m3", "a1", "C1", "03T09:00:00")])
    night("r3", "d3.jsonl", [page("m4", "a9", None, "04T09:00:00")])
    assert build_identity_history(warehouse, "r3") == 0
    assert warehouse.rows("SELECT run_id, kind FROM marts.identity_changes ORDER BY run_id") == [("r2", "merge")]
