"""Friction drivers (src/journeymine/insights/drivers.py with sql/journeys/int_driver_cells_counted.sql and
sql/marts/friction_drivers.sql): findings, their affected journeys and journey attributes in →
over-represented attribute values out."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from journeymine.config import DriverConfig
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError
from journeymine.insights.drivers import find_drivers

JOURNEYS = {"journey_id": "VARCHAR", "journey_key": "UBIGINT", "touchpoint_path": "INTEGER[]"}
TOUCHPOINTS = {"touchpoint": "INTEGER", "channel": "VARCHAR", "activity": "VARCHAR"}
FRICTION = {
    "friction_rank": "BIGINT", "touchpoint": "VARCHAR", "signal": "VARCHAR", "channel": "VARCHAR",
    "activity": "VARCHAR", "target_channel": "VARCHAR", "target_activity": "VARCHAR", "score": "DOUBLE",
}
FRICTION_HITS = {"journey_key": "UBIGINT", "signal": "VARCHAR", "touchpoint": "INTEGER", "target_touchpoint": "INTEGER"}
ATTRIBUTES = {"journey_id": "VARCHAR", "attribute": "VARCHAR", "value": "VARCHAR"}

LOOP = ("loop", "app", "Checkout Shipping", "app", "Cart")
DROP = ("abandonment", "app", "Checkout Shipping", None, None)
CODES = {("app", "Cart"): 1, ("app", "Checkout Shipping"): 2, ("web", "Home"): 3, ("app", "Home"): 4, (None, None): None}
FINDINGS = [
    (1, "Checkout Shipping (app) → Cart (app)", *LOOP, 50.0),
    (2, "Checkout Shipping (app)", *DROP, 20.0),
]


def ids(first: int, last: int) -> list[str]:
    return [f"j{k:02d}" for k in range(first, last + 1)]


def key(journey_id: str) -> int:
    """The journey's integer key: its number."""
    return int(journey_id[1:])


@pytest.fixture
def given_findings(make_table):
    """given_findings(population, hits, attributes): the touchpoints of CODES; marts.journeys (each
    journey in `population` went Cart → Checkout Shipping; j21-j25 only web Home), marts.friction
    (the loop Checkout Shipping → Cart ranked 1, the drop-off at Checkout Shipping ranked 2),
    journeys.friction_hits ({finding key: journey ids}, on codes) and journeys.journey_attributes
    ({(attribute, value): journey ids})."""

    def make(population: list[str], hits: dict[tuple, list[str]], attributes: dict[tuple[str, str], list[str]]) -> None:
        make_table("journeys.touchpoints", TOUCHPOINTS,
                   [(code, channel, activity) for (channel, activity), code in CODES.items() if code is not None])
        make_table("marts.journeys", JOURNEYS,
                   [(j, key(j), [1, 2]) for j in population] + [(j, key(j), [3]) for j in ids(21, 25)])
        make_table("marts.friction", FRICTION, FINDINGS)
        make_table("journeys.friction_hits", FRICTION_HITS, [
            (key(j), signal, CODES[(channel, activity)], CODES[(target_channel, target_activity)])
            for (signal, channel, activity, target_channel, target_activity), journeys in hits.items() for j in journeys
        ])
        make_table("journeys.journey_attributes", ATTRIBUTES,
                   [(j, attribute, value) for (attribute, value), journeys in attributes.items() for j in journeys])

    return make


def drivers(wh: Warehouse) -> dict[tuple[int, str, str], dict[str, Any]]:
    """marts.friction_drivers as {(friction_rank, attribute, value): row}."""
    rows = wh.df("SELECT * FROM marts.friction_drivers").to_dict("records")
    return {(r["friction_rank"], r["attribute"], r["value"]): r for r in rows}


# 20 journeys reach app Checkout Shipping; 9 loop back to Cart: 6 of the 10 on Android, 3 of the 10 on
# iOS. Among the 9 'new' customers (j01-j05, j11-j14) 8 loop; only j06 of the other 11 does.
PLANTED = {
    "hits": {
        LOOP: ids(1, 6) + ids(11, 13),
        # another transition from the same touchpoint is another finding: not counted for the loop
        ("loop", "app", "Checkout Shipping", "app", "Home"): ids(7, 10),
        DROP: ["j07", "j08", "j15"],
    },
    "attributes": {
        ("platform", "app/Android"): ids(1, 10) + ids(21, 25),  # j21-j25 never reached the touchpoint
        ("platform", "app/iOS"): ids(11, 20),
        ("segment", "new"): ids(1, 5) + ids(11, 14),
        ("segment", "regular"): ids(6, 10) + ids(15, 20),
        ("device_type", "tablet"): ["j05", "j06"],
        ("country", "GB"): ids(1, 20),
    },
}


def test_an_over_represented_value_is_a_driver_with_fisher_and_bh(warehouse: Warehouse, given_findings) -> None:
    """segment = new: 8 of 9 loop vs 1 of 11 → lift (8/9) / (1/11) = 9.78, odds ratio (8*10) / (1*1) = 80,
    Fisher p = 155 / C(20, 9) = 155/167960. platform = app/Android: 6 of 10 vs 3 of 10 → lift 2, odds
    ratio 3.5, p = 68332 / C(20, 10). app/iOS (lift 0.5) is tested but not a driver; country GB is held
    by the whole population (no test); tablet has 2 affected journeys, below min_support 3. So BH runs
    over 3 tests: q(new) = 3 * 155/167960; q(Android) = q(iOS) = 68332/184756. new is significant, ranked
    first; Android is not."""
    given_findings(ids(1, 20), **PLANTED)
    n = find_drivers(warehouse, DriverConfig(n_findings=1, min_support=3, alpha=0.05))
    got = drivers(warehouse)
    assert n == 2
    assert set(got) == {(1, "segment", "new"), (1, "platform", "app/Android")}

    new = got[(1, "segment", "new")]
    assert (new["n_population"], new["n_affected"], new["n_population_with_value"], new["n_affected_with_value"]) == (
        20, 9, 9, 8)
    assert (new["rate_with_value"], new["rate_without_value"]) == (pytest.approx(8 / 9), pytest.approx(1 / 11))
    assert new["lift"] == pytest.approx(88 / 9)
    assert new["odds_ratio"] == pytest.approx(80.0)
    assert new["p_value"] == pytest.approx(155 / 167960)
    assert new["q_value"] == pytest.approx(3 * 155 / 167960)
    assert new["is_significant"] and new["driver_rank"] == 1
    assert new["statement"] == "segment = new: 9.8x more likely (89% vs 9%, p < 0.001)"
    assert (new["touchpoint"], new["signal"], new["target_activity"]) == ("Checkout Shipping (app) → Cart (app)", "loop", "Cart")

    android = got[(1, "platform", "app/Android")]
    assert (android["n_population_with_value"], android["n_affected_with_value"]) == (10, 6)
    assert (android["lift"], android["odds_ratio"]) == (pytest.approx(2.0), pytest.approx(3.5))
    assert android["p_value"] == pytest.approx(68332 / 184756)
    assert android["q_value"] == pytest.approx(68332 / 184756)
    assert not android["is_significant"] and android["driver_rank"] == 2
    assert android["statement"] == "platform = app/Android: 2.0x more likely (60% vs 30%, p = 0.370; not significant)"

    # the 2x2 counts kept for testing: GB is counted (and left untested), tablet is below min_support
    cells = {(a, v) for a, v in warehouse.rows("SELECT attribute, value FROM journeys.driver_cells")}
    assert cells == {("segment", "new"), ("platform", "app/Android"), ("platform", "app/iOS"), ("country", "GB")}


def test_min_support_decides_which_values_are_tested(warehouse: Warehouse, given_findings) -> None:
    """With min_support 2, tablet (2 of 2 loop vs 7 of the 18 desktop journeys) is tested too: lift
    1 / (7/18), odds ratio infinite (no tablet journey without the loop); regular (1 affected)
    still is not."""
    desktop = {("device_type", "desktop"): ids(1, 4) + ids(7, 20)}
    given_findings(ids(1, 20), hits=PLANTED["hits"], attributes={**PLANTED["attributes"], **desktop})
    find_drivers(warehouse, DriverConfig(n_findings=1, min_support=2))
    got = drivers(warehouse)
    tablet = got[(1, "device_type", "tablet")]
    assert tablet["lift"] == pytest.approx(18 / 7)
    assert math.isinf(tablet["odds_ratio"])
    assert (1, "segment", "regular") not in got


def test_only_the_top_findings_are_explained_and_a_null_target_matches(warehouse: Warehouse, given_findings) -> None:
    """n_findings 2 adds the drop-off at Checkout Shipping (targets NULL in both tables): 3 of the 20
    dropped (j07, j08 on Android, j15 on iOS; all three regular). With min_support 2: app/Android
    2 of 10 vs 1 of 10, lift 2; regular 3 of 11 vs 0 of 9, lift infinite. With n_findings 1 the
    drop-off is not explained."""
    given_findings(ids(1, 20), **PLANTED)
    find_drivers(warehouse, DriverConfig(n_findings=2, min_support=2))
    got = drivers(warehouse)
    assert {key for key in got if key[0] == 2} == {(2, "platform", "app/Android"), (2, "segment", "regular")}
    drop = got[(2, "platform", "app/Android")]
    assert (drop["n_population"], drop["n_affected"], drop["n_affected_with_value"]) == (20, 3, 2)
    assert drop["lift"] == pytest.approx(2.0)
    assert drop["signal"] == "abandonment" and pd.isna(drop["target_channel"])
    assert math.isinf(got[(2, "segment", "regular")]["lift"])
    # the infinite lift ranks first among the drop-off's drivers, as neither is significant
    assert [got[(2, "segment", "regular")]["driver_rank"], drop["driver_rank"]] == [1, 2]

    find_drivers(warehouse, DriverConfig(n_findings=1, min_support=2))
    assert {key[0] for key in drivers(warehouse)} == {1}


def test_a_value_only_the_affected_hold_has_infinite_lift(warehouse: Warehouse, given_findings) -> None:
    """10 journeys, the 4 that loop are all vip, as are 2 others: 4 of 6 vs 0 of 4. Fisher: P(k) =
    C(4,k) C(6,6-k) / 210 = 1, 24, 90, 80, 15 (/210); p = (1 + 15) / 210, the only test, so q = p > 0.05."""
    given_findings(ids(1, 10), hits={LOOP: ids(1, 4)}, attributes={("segment", "vip"): ids(1, 6),
                                                                   ("segment", "regular"): ids(7, 10)})
    find_drivers(warehouse, DriverConfig(n_findings=1, min_support=1))
    [vip] = drivers(warehouse).values()
    assert math.isinf(vip["lift"]) and math.isinf(vip["odds_ratio"])
    assert (vip["p_value"], vip["q_value"]) == (pytest.approx(16 / 210), pytest.approx(16 / 210))
    assert vip["statement"] == "segment = vip: affected only with it (67% vs 0%, p = 0.076; not significant)"


def test_nothing_over_represented_gives_no_drivers(warehouse: Warehouse, given_findings) -> None:
    """The loop hits 3 of 10 Android and 3 of 10 iOS journeys, and 3 of the 10 new customers (j01, j11,
    j12) as of the 10 others: every lift is 1, so the table is empty (but exists), though the values
    were tested."""
    given_findings(
        ids(1, 20),
        hits={LOOP: ["j01", "j02", "j03", "j11", "j12", "j13"]},
        attributes={
            ("platform", "app/Android"): ids(1, 10), ("platform", "app/iOS"): ids(11, 20),
            ("segment", "new"): ["j01", "j11", "j12"] + ids(4, 7) + ids(14, 16),
        },
    )
    assert find_drivers(warehouse, DriverConfig(n_findings=1, min_support=3)) == 0
    assert warehouse.scalar("SELECT count(*) FROM journeys.driver_cells") == 3
    assert "statement" in warehouse.columns("marts", "friction_drivers")


def test_missing_inputs_are_named(warehouse: Warehouse, make_table) -> None:
    make_table("marts.friction", FRICTION, [])
    with pytest.raises(JourneymineError, match="journeys.friction_hits"):
        find_drivers(warehouse, DriverConfig())


def test_unknown_values_are_left_out_of_the_comparison(warehouse: Warehouse, given_findings) -> None:
    """A journey without a value of the attribute, or with one meaning "unknown" ('Unknown', 'n/a',
    'app/unknown'), is in neither group: 'vip' is compared with the other known segments only.
    j01-j10 are vip (6 loop), j11-j14 regular (1 loops), j15-j17 have no CRM record (2 loop) and
    j18-j20 'Unknown' / 'n/a' (all 3 loop): vip 6 of 10 vs 1 of 4, lift 2.4, over 14 journeys, not
    over 20 (6/10 vs 6/10, lift 1). platform: app/unknown is left out like a missing value."""
    given_findings(
        ids(1, 20),
        hits={LOOP: ids(1, 6) + ["j11", "j15", "j16", "j18", "j19", "j20"]},
        attributes={
            ("segment", "vip"): ids(1, 10), ("segment", "regular"): ids(11, 14),
            ("segment", "Unknown"): ["j18", "j19"], ("segment", "n/a"): ["j20"],
            ("platform", "app/iOS"): ids(1, 10), ("platform", "app/unknown"): ids(11, 20),
        },
    )
    find_drivers(warehouse, DriverConfig(n_findings=1, min_support=3))
    got = drivers(warehouse)
    vip = got[(1, "segment", "vip")]
    assert (vip["n_population"], vip["n_affected"], vip["n_population_with_value"], vip["n_affected_with_value"]) == (
        14, 7, 10, 6)
    assert vip["lift"] == pytest.approx((6 / 10) / (1 / 4))
    tested = {(a, v) for a, v in warehouse.rows("SELECT attribute, value FROM journeys.driver_cells")}
    assert ("segment", "Unknown") not in tested and ("platform", "app/unknown") not in tested
    # app/iOS is the only known platform: no contrast, no test, no driver
    assert (1, "platform", "app/iOS") not in got


def test_every_attribute_but_channels_is_tested_by_default(warehouse: Warehouse, given_findings) -> None:
    """drivers.attributes 'all' (None): every attribute the journeys have, custom ones too
    (app_version, from an event attribute), but `channels`, which also records what happened
    after the friction; every finding is explained (n_findings all)."""
    given_findings(
        ids(1, 20),
        hits={LOOP: ids(1, 8), DROP: ids(1, 4)},
        attributes={
            ("app_version", "5.2"): ids(1, 8), ("app_version", "5.1"): ids(9, 20),
            ("channels", "app"): ids(1, 8), ("channels", "app + web"): ids(9, 20),
        },
    )
    find_drivers(warehouse, DriverConfig(min_support=3))
    got = drivers(warehouse)
    assert {(rank, attribute) for rank, attribute, _ in got} == {(1, "app_version"), (2, "app_version")}
    assert got[(1, "app_version", "5.2")]["is_significant"]
