"""Journey attributes: the segments funnels break down by and friction drivers test."""

from __future__ import annotations

from journeymine.db import Warehouse


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
