"""Measure the planted stories on sample files, from the files alone.

An independent, deliberately simple re-derivation (normalise identifiers, union them,
cut journeys at a goal or after 30 days without events) used to check the generator and
to document data/sample/README.md. It is not the pipeline and does not share its code:
if both agree, the stories are in the data.

    python -m journeymine.sample.measure data/sample
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import mean
from typing import Any
from zoneinfo import ZoneInfo

# The goals and journey window of the sample's config (journeymine.yaml).
GOALS = ("Order Completed", "store: purchase", "store: pickup")
WINDOW_DAYS = 14
ORDERS = ("Order Completed", "Click and Collect Order Placed")
LONDON = ZoneInfo("Europe/London")


def normalise(kind: str, raw: str | None) -> str | None:
    """An identifier as docs/input-formats.md normalises it, prefixed with its kind."""
    if raw is None or not str(raw).strip():
        return None
    value = str(raw)
    if kind == "email":
        value = re.sub(r"\s", "", value).lower()
        return f"email:{value}" if re.fullmatch(r"[^@]+@[^@]+", value) else None
    if kind == "phone":
        digits = re.sub(r"\D", "", value.replace("(0)", ""))
        if value.strip().startswith("+"):
            pass
        elif digits.startswith("00"):
            digits = digits[2:]
        elif digits.startswith("0"):
            digits = "44" + digits[1:]
        return f"phone:+{digits}" if 8 <= len(digits) <= 15 else None
    if kind == "ref":
        return "ref:" + re.sub(r"\s", "", value).upper()
    if kind == "loyalty":
        return "loyalty:" + re.sub(r"[^A-Za-z0-9]", "", value).upper()
    return "anon:" + value.strip().lower()


class Identities:
    """Union-find over identifiers."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def link(self, *nodes: str | None) -> None:
        present = [n for n in nodes if n]
        for other in present[1:]:
            a, b = self.find(present[0]), self.find(other)
            if a != b:
                self.parent[max(a, b)] = min(a, b)


def read_messages(folder: Path) -> tuple[list[dict[str, Any]], int]:
    """All parseable Segment lines of a folder, and the number of unparseable ones."""
    messages, bad = [], 0
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                try:
                    messages.append(json.loads(line))
                except json.JSONDecodeError:
                    bad += 1
    return messages, bad


def read_csvs(paths: list[Path]) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    header: list[str] = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows.extend(reader)
    return rows, header


def parse_local(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=LONDON).astimezone(timezone.utc)
    except ValueError:
        return None


def measure(sample: Path, goals: tuple[str, ...] = GOALS, window_days: int = WINDOW_DAYS) -> dict[str, Any]:
    """Story magnitudes of the sample in `sample`, as a dict of named numbers.

    Journeys end at one of `goals` or after `window_days` without an event; a journey is
    abandoned when its last event is more than `window_days` before the end of the data.
    """
    result: dict[str, Any] = {"goals": goals, "window_days": window_days}
    window = timedelta(days=window_days)
    ids = Identities()
    events: list[tuple[datetime, str, str, dict[str, Any], list[str]]] = []  # (at, channel, activity, attrs, identifiers)

    # --- clickstream -----------------------------------------------------------------
    seen: dict[str, str] = {}
    dup_same = dup_other = 0
    kiosk_users: set[str] = set()
    anon_with_user: dict[str, set[str]] = defaultdict(set)
    for channel in ("web", "app"):
        messages, bad = read_messages(sample / channel)
        result[f"{channel}_unparseable_lines"] = bad
        for m in messages:
            key = json.dumps(m, sort_keys=True)
            if m["messageId"] in seen:
                dup_same += seen[m["messageId"]] == key
                dup_other += seen[m["messageId"]] != key
                continue
            seen[m["messageId"]] = key
            anon, ref = normalise("anon", m.get("anonymousId")), normalise("ref", m.get("userId"))
            if ref and anon:
                anon_with_user[anon].add(ref)
            if m["type"] == "identify":
                traits = m.get("traits") or {}
                ids.link(ref, normalise("email", traits.get("email")), normalise("phone", traits.get("phone")))
                if m["anonymousId"].startswith("kiosk-"):
                    kiosk_users.add(ref or "")
                continue
            at = datetime.fromisoformat(m["timestamp"].replace("Z", "+00:00"))
            activity = m.get("event") or m.get("name")
            events.append((at, channel, activity, m.get("properties") or {}, [i for i in (ref, anon) if i]))
    result["segment_duplicate_same_content"] = dup_same
    result["segment_duplicate_other_content"] = dup_other
    result["kiosk_distinct_users"] = len(kiosk_users)
    # An anonymousId seen with several accounts is a shared device: it must not merge them.
    shared = {a for a, refs in anon_with_user.items() if len(refs) > 1}
    result["shared_anonymous_ids"] = sorted(a.split(":", 1)[1] for a in shared)
    web_devices = {normalise("anon", e[4][-1].split(":", 1)[1]) for e in events if e[1] == "web"} - shared
    result["web_devices_never_signed_in_share"] = round(
        sum(1 for d in web_devices if d not in anon_with_user) / len(web_devices), 3)
    for anon, refs in anon_with_user.items():
        if anon not in shared:
            ids.link(anon, *refs)

    # --- CRM, calls, store ---------------------------------------------------------------
    crm, _ = read_csvs([sample / "crm" / "customers.csv"])
    for ref, email, phone, loyalty, *_ in crm:
        ids.link(normalise("ref", ref), normalise("email", email), normalise("phone", phone), normalise("loyalty", loyalty))
    result["crm_rows"] = len(crm)
    calls, header = read_csvs(sorted((sample / "calls").glob("*.csv")))
    col = {name: i for i, name in enumerate(header)}
    bad_times = no_id = 0
    call_stats: dict[str, list[tuple[float | None, int | None]]] = defaultdict(list)
    for row in calls:
        started = parse_local(row[col["started_at"]], "%Y-%m-%d %H:%M:%S")
        phone, ref = normalise("phone", row[col["caller_phone"]]), normalise("ref", row[col["customer_ref"]])
        ids.link(phone, ref)
        reason = row[col["reason"]]
        sentiment, csat = row[col["sentiment"]], row[col["csat"]]
        call_stats[reason].append((float(sentiment) if sentiment else None, int(csat) if csat else None))
        if started is None:
            bad_times += 1
            continue
        if not phone and not ref:
            no_id += 1
            continue
        events.append((started, "call_center", f"call: {reason}", {"outcome": row[col["outcome"]]}, [i for i in (ref, phone) if i]))
    result["calls_unparseable_started_at"] = bad_times
    result["calls_without_identifier"] = no_id
    result["calls_abandoned"] = sum(1 for r in calls if r[col["outcome"]] == "abandoned")
    for reason, values in sorted(call_stats.items()):
        sentiments = [s for s, _ in values if s is not None]
        csats = [c for _, c in values if c is not None]
        result[f"call_{reason}"] = {
            "n": len(values), "mean_sentiment": round(mean(sentiments), 2) if sentiments else None,
            "mean_csat": round(mean(csats), 2) if csats else None,
            "share_csat_1_2": round(sum(c <= 2 for c in csats) / len(csats), 2) if csats else None,
        }
    stores = sorted((sample / "store").glob("*.csv"))
    wrong_columns, store_rows = 0, []
    for row in read_csvs(stores)[0]:
        if len(row) != 7:
            wrong_columns += 1
        else:
            store_rows.append(row)
    result["store_wrong_column_count"] = wrong_columns
    purchases = [r for r in store_rows if r[4] == "purchase"]
    result["store_purchases_without_loyalty_share"] = round(sum(not r[2] for r in purchases) / len(purchases), 3)
    pickups = {}
    for tx, store, loyalty, occurred, kind, amount, order_ref in store_rows:
        at = parse_local(occurred, "%d/%m/%Y %H:%M")
        if kind == "pickup":
            pickups[order_ref] = at
        if loyalty and at:
            events.append((at, "store", f"store: {kind}", {"order_ref": order_ref}, [normalise("loyalty", loyalty) or ""]))

    # --- stitch, journeys ------------------------------------------------------------------
    data_end = max(e[0] for e in events)
    by_person: dict[str, list[tuple[datetime, str, str, dict[str, Any]]]] = defaultdict(list)
    rank = ("ref", "loyalty", "email", "phone", "anon")
    for at, channel, activity, attrs, identifiers in events:
        if not identifiers:
            continue
        best = min(identifiers, key=lambda i: rank.index(i.split(":")[0]))
        if best in shared:
            continue
        by_person[ids.find(best)].append((at, channel, activity, attrs))
    journeys = []
    for person_events in by_person.values():
        person_events.sort(key=lambda e: e[0])
        current: list[tuple[datetime, str, str, dict[str, Any]]] = []
        for event in person_events:
            if current and event[0] - current[-1][0] > window:
                journeys.append((current, "abandoned"))
                current = []
            current.append(event)
            if event[2] in goals:
                journeys.append((current, "converted"))
                current = []
        if current:
            journeys.append((current, "open" if data_end - current[-1][0] <= window else "abandoned"))
    result["people"] = len(by_person)
    result["journeys"] = Counter(outcome for _, outcome in journeys)
    drop = Counter(j[-1][2] for j, outcome in journeys if outcome == "abandoned")
    result["abandoned_last_touchpoint_top5"] = drop.most_common(5)
    top = drop.most_common(2)
    create = [j for j, _ in journeys if any(e[2] == "Create Account" for e in j)]
    result["journeys_reaching_create_account"] = len(create)
    result["of_which_ending_there"] = sum(1 for j in create if j[-1][2] == "Create Account")
    result["abandoned_top_ratio"] = round(top[0][1] / top[1][1], 2) if len(top) == 2 else None

    # Story 1: Checkout Shipping -> Cart -> Checkout Shipping.
    def has_loop(acts: list[str]) -> bool:
        return any(acts[i:i + 3] == ["Checkout Shipping", "Cart", "Checkout Shipping"] for i in range(len(acts) - 2))

    for channel in ("app", "web"):
        with_loop = [j for j, _ in journeys if has_loop([e[2] for e in j if e[1] == channel])]
        checkout = [j for j, _ in journeys if any(e[1] == channel and e[2] == "Checkout Shipping" for e in j)]
        result[f"{channel}_journeys_with_loop"] = len(with_loop)
        result[f"{channel}_checkout_journeys"] = len(checkout)

    # Story 1, per visit: a loop followed by nothing on that channel for 30 minutes.
    loops = gave_up = 0
    for events_of in by_person.values():
        app = [e for e in events_of if e[1] == "app"]
        for i in range(len(app) - 2):
            if [e[2] for e in app[i:i + 3]] == ["Checkout Shipping", "Cart", "Checkout Shipping"]:
                if i + 3 < len(app) and app[i + 3][2] == "Cart":
                    continue  # a second lap: counted from its last lap
                loops += 1
                gave_up += i + 3 == len(app) or app[i + 3][0] - app[i + 2][0] > timedelta(minutes=30)
    result["app_loop_visits"] = loops
    result["app_loop_visits_ending_at_loop"] = gave_up

    start = min(e[0] for e in events)
    day0 = datetime(start.year, start.month, start.day, tzinfo=LONDON)

    def period_day(at: datetime) -> int:
        return (at.astimezone(LONDON).replace(tzinfo=None) - day0.replace(tzinfo=None)).days

    # Story 2: payment_issue calls, and those 1-6 h after a Checkout Payment with no order.
    in_window = outside = after_failure = 0
    for j, _ in journeys:
        for i, (at, channel, activity, _attrs) in enumerate(j):
            if activity != "call: payment_issue":
                continue
            day = period_day(at)
            in_window += 30 <= day < 36
            outside += not 30 <= day < 36
            before = [e for e in j[:i] if e[1] in ("web", "app") and at - e[0] <= timedelta(hours=7)]
            if before and before[-1][2] == "Checkout Payment":
                after_failure += 1
    failures, reordered, attempts = Counter(), 0, Counter()
    for events_of in by_person.values():
        digital = [e for e in events_of if e[1] in ("web", "app")]
        for i, e in enumerate(digital):
            if e[2] != "Checkout Payment" or (i > 0 and digital[i - 1][2] == "Checkout Payment"):
                continue
            window = "days_30_34" if 30 <= period_day(e[0]) < 35 else "other_days"
            attempts[window] += 1
            following = digital[i + 1] if i + 1 < len(digital) else None
            if following is not None and following[2] == "Checkout Payment":
                following = digital[i + 2] if i + 2 < len(digital) else None
            if following is None or following[0] - e[0] > timedelta(minutes=30):
                failures[window] += 1
                reordered += window == "days_30_34" and any(
                    o[1] == "web" and o[2] in ORDERS and timedelta(hours=20) < o[0] - e[0] < timedelta(days=3, hours=4)
                    for o in digital[i + 1:])
    result["payment_attempts"] = dict(attempts)
    result["payment_attempts_ending_the_visit"] = dict(failures)
    result["of_which_in_window_web_order_1_3_days_later"] = reordered
    result["payment_issue_calls_days_30_35"] = in_window
    result["payment_issue_calls_other_days"] = outside
    result["payment_issue_calls_after_failed_payment"] = after_failure

    # Story 4: click-and-collect orders and their pickups.
    cc = [(e[0], e[3].get("order_id")) for j, _ in journeys for e in j if e[2] == "Click and Collect Order Placed"]
    web_orders = sum(1 for j, _ in journeys for e in j if e[1] == "web" and e[2] in ORDERS)
    picked = [pickups[o] - at for at, o in cc if o in pickups and pickups[o] is not None]
    result["click_and_collect_orders"] = len(cc)
    result["click_and_collect_share_of_web_orders"] = round(len(cc) / web_orders, 3) if web_orders else None
    result["click_and_collect_picked_up"] = len(picked)
    result["click_and_collect_pickup_hours_min_max"] = (
        (round(min(picked).total_seconds() / 3600), round(max(picked).total_seconds() / 3600)) if picked else None
    )
    return result


def main(argv: list[str]) -> None:
    """`python -m journeymine.sample.measure [SAMPLE_DIR [WINDOW_DAYS [GOAL,GOAL...]]]`"""
    sample = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[3] / "data" / "sample"
    window_days = int(argv[2]) if len(argv) > 2 else WINDOW_DAYS
    goals = tuple(argv[3].split(",")) if len(argv) > 3 else GOALS
    for key, value in measure(sample, goals, window_days).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main(sys.argv)
