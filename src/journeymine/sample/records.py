"""The rows a simulated person leaves behind, before a writer gives them ids.

A record is a plain tuple `(at_ms, folder, payload, harmless)` — plain because tens of
millions are made and a NamedTuple costs noticeably more to build:
- `at_ms`: its UTC instant in epoch milliseconds (a person's records sort by it);
- `folder`: `web` or `app` (payload: the Segment JSON line after its messageId value),
  `calls` (payload: a `Call`) or `store` (payload: a `StoreRow`);
- `harmless`: the row may take a planted defect without changing any planted story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

Record = tuple[int, str, Any, bool]


class Call(NamedTuple):
    """One call-center contact (the `contacts` preset), without its contact_id."""

    answered_ms: int | None  # None: abandoned in the queue
    ended_ms: int
    caller_phone: str
    customer_ref: str
    queue: str
    reason: str
    outcome: str
    csat: str
    sentiment: str


class StoreRow(NamedTuple):
    """One store transaction or visit (the `pos` preset), without its transaction_id."""

    store_id: str
    loyalty_id: str
    kind: str
    amount: str
    order_ref: str


@dataclass(frozen=True)
class Period:
    """The simulated period in UTC epoch milliseconds, and the payment-outage window."""

    start: date
    days: int
    start_ms: int
    end_ms: int
    outage_start_ms: int
    outage_end_ms: int
