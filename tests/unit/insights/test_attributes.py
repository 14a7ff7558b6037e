"""Journey attributes (src/journeymine/insights/attributes.py with sql/journeys/int_journey_attributes.sql):
journeys, their steps and events in → one row per journey and attribute out, in journey order.

platform and device_type come from the journey's first web or app event with an OS (its
device type: the first one given from there on); the first web or app event is found through
the steps, and the other events of a journey are read only when it lacks an OS or a device type.
"""

from __future__ import annotations

from typing import Any

from journeymine.db import Warehouse
from journeymine.insights.attributes import build_journey_attributes

TOUCHPOINTS = {"touchpoint": "INTEGER", "channel": "VARCHAR", "activity": "VARCHAR"}
CODES = {"web": 1, "app": 2, "call_center": 3}  # one activity per channel here
JOURNEYS = {
    "journey_id": "VARCHAR", "journey_key": "UBIGINT", "customer_id": "VARCHAR", "first_channel": "VARCHAR",
    "channels": "VARCHAR[]", "touchpoint_path": "INTEGER[]",
}
STEPS = {"journey_key": "UBIGINT", "step_number": "INTEGER", "touchpoint": "INTEGER", "event_seq": "BIGINT"}
EVENTS = {"journey_id": "VARCHAR", "channel": "VARCHAR", "event_seq": "BIGINT", "os_name": "VARCHAR",
          "device_type": "VARCHAR"}
CUSTOMERS = {"customer_id": "VARCHAR", "segment": "VARCHAR", "country": "VARCHAR"}


def given(make_table, journeys: dict[str, list[tuple[str, dict[str, Any] | None]]],
          customers: list[tuple[str, str | None, str | None]] = ()) -> None:
    """Journeys as {journey_id: [(channel, event attributes), ...]}, one event per step, event_seq in
    order across journeys; journey k has customer 'cu-<journey_id>'."""
    journey_rows, steps, events, seq = [], [], [], 0
    for key, (journey_id, path) in enumerate(journeys.items(), start=1):
        channels = list(dict.fromkeys(channel for channel, _ in path))
        journey_rows.append((journey_id, key, f"cu-{journey_id}", path[0][0], channels,
                             [CODES[channel] for channel, _ in path]))
        for step_number, (channel, attributes) in enumerate(path, start=1):
            seq += 1
            steps.append((key, step_number, CODES[channel], seq))
            events.append((journey_id, channel, seq, *((attributes or {}).get(k) for k in ("os_name", "device_type"))))
    make_table("journeys.touchpoints", TOUCHPOINTS, [(code, channel, "visit") for channel, code in CODES.items()])
    make_table("marts.journeys", JOURNEYS, journey_rows)
    make_table("journeys.step_codes", STEPS, steps)
    make_table("journeys.events_in_journeys", EVENTS, events)
    make_table("marts.customers", CUSTOMERS, list(customers))


def attributes(wh: Warehouse) -> list[tuple[str, str, str]]:
    return wh.rows("SELECT journey_id, attribute, value FROM journeys.journey_attributes")


def test_platform_and_device_of_the_first_web_or_app_event_with_an_os(warehouse: Warehouse, make_table) -> None:
    """j1's first web or app event (after a call) has both. j2's first has no OS: its second gives the
    platform and device. j3's first has an OS but no device type: the device type is the next one
    given. j4 has no OS at all, j5 no web or app event: no platform, no device type."""
    android = {"os_name": "Android", "device_type": "mobile"}
    given(make_table, {
        "j1": [("call_center", None), ("app", android), ("web", {"os_name": "Windows", "device_type": "desktop"})],
        "j2": [("web", {"device_type": "desktop"}), ("app", android), ("web", {"os_name": "Mac"})],
        "j3": [("web", {"os_name": "Linux"}), ("app", {"os_name": "iOS"}), ("app", {"device_type": "tablet"}),
               ("app", {"os_name": "iOS", "device_type": "ios"})],
        "j4": [("web", {"device_type": "kiosk"}), ("web", None)],
        "j5": [("call_center", {"os_name": "Android"})],
    })
    assert build_journey_attributes(warehouse) == 5 * 2 + 3 * 2  # channels, entry_channel; platform, device_type
    got = attributes(warehouse)
    assert [row for row in got if row[1] in ("platform", "device_type")] == [
        ("j1", "device_type", "mobile"), ("j1", "platform", "app/Android"),
        ("j2", "device_type", "mobile"), ("j2", "platform", "app/Android"),
        ("j3", "device_type", "ios"), ("j3", "platform", "web/Linux"),
    ]


def test_rows_come_in_journey_then_attribute_order(warehouse: Warehouse, make_table) -> None:
    """One row per journey and attribute that has a value, sorted by journey_id, then attribute;
    channels are listed alphabetically; a customer without a CRM record has no segment or country."""
    given(make_table, {
        "j2": [("web", {"os_name": "Mac", "device_type": "desktop"}), ("call_center", None)],
        "j10": [("call_center", None)],
        "j1": [("app", {"os_name": "iOS", "device_type": "ios"})],
    }, customers=[("cu-j2", "new", "GB"), ("cu-j10", None, "FR")])
    build_journey_attributes(warehouse)
    assert attributes(warehouse) == [
        ("j1", "channels", "app"), ("j1", "device_type", "ios"), ("j1", "entry_channel", "app"),
        ("j1", "platform", "app/iOS"),
        ("j10", "channels", "call_center"), ("j10", "country", "FR"), ("j10", "entry_channel", "call_center"),
        ("j2", "channels", "call_center + web"), ("j2", "country", "GB"), ("j2", "device_type", "desktop"),
        ("j2", "entry_channel", "web"), ("j2", "platform", "web/Mac"), ("j2", "segment", "new"),
    ]
