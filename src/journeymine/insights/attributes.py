"""Journey attributes: the segments funnels break down by and friction drivers test.

The built-in attributes (schema.JOURNEY_ATTRIBUTES: entry_channel, channels, platform,
device_type, segment, country) come from `build_journey_attributes`. Any other name that
`drivers.attributes` or `funnel.breakdown` asks for is a custom attribute, read by
`add_journey_attributes` from the events' attributes (a column of any source that staging kept
in `attributes`, e.g. app_version, store_id, plan) or else from the customer's identity records
(a CRM file's extra columns).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from journeymine.db import Warehouse
from journeymine.schema import JOURNEY_ATTRIBUTES

log = logging.getLogger(__name__)


def build_journey_attributes(wh: Warehouse) -> int:
    """journeys.journey_attributes: each journey's segments in long form (journey_id, attribute,
    value), for funnel breakdowns and friction drivers; returns the number of rows.

    Reads marts.journeys, the events' attributes and, when the run has customers
    (marts.customers), their CRM segment and country.
    """
    with_customers = wh.table_exists("marts", "customers")
    profiles = (
        "SELECT customer_id, segment, country FROM marts.customers" if with_customers
        else "SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS segment, NULL::VARCHAR AS country WHERE false"
    )
    wh.execute(f"CREATE OR REPLACE VIEW journeys.customer_profiles AS {profiles}")
    return wh.build("journeys.journey_attributes", "journeys/int_journey_attributes")


def add_journey_attributes(wh: Warehouse, names: Sequence[str]) -> int:
    """Append to journeys.journey_attributes the custom attributes among `names` (not built in,
    not there yet): per journey, the value of its first event that has the attribute, else its
    customer's identity records' (sql/journeys/int_journey_custom_attributes.sql). A name no
    journey has is logged with the attributes there are. Needs the run's staged layer (nothing is
    added without it: `journeymine funnel` on published outputs). Returns the rows added."""
    if not wh.table_exists("journeys", "journey_attributes"):
        return 0
    present = {row[0] for row in wh.rows("SELECT DISTINCT attribute FROM journeys.journey_attributes")}
    wanted = [name for name in dict.fromkeys(names) if name not in JOURNEY_ATTRIBUTES and name not in present]
    if not wanted or not _has_staged_attributes(wh):
        return 0
    paths = ['$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"' for name in wanted]
    wh.build("journeys.journey_custom_attributes", "journeys/int_journey_custom_attributes",
             {"names": wanted, "paths": paths})
    found = {row[0] for row in wh.rows("SELECT DISTINCT attribute FROM journeys.journey_custom_attributes")}
    for name in wanted:
        if name not in found:
            log.warning("journey attribute %r: no event or identity record of these journeys has it; the journeys "
                        "have %s", name, ", ".join(sorted(present | found)) or "none")
    wh.execute("INSERT INTO journeys.journey_attributes BY NAME SELECT journey_id, attribute, value "
               "FROM journeys.journey_custom_attributes ORDER BY journey_id, attribute")
    return int(wh.scalar("SELECT count(*) FROM journeys.journey_custom_attributes"))


def _has_staged_attributes(wh: Warehouse) -> bool:
    """Whether the run's events can be traced to their staged attributes and customers."""
    return (
        wh.table_exists("staged", "events") and wh.table_exists("staged", "identity_records")
        and wh.table_exists("stitched", "identity_map") and wh.table_exists("journeys", "events_in_journeys")
        and "event_key" in wh.columns("journeys", "events_in_journeys")
    )
