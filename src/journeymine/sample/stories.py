"""One person's life over the period: their visits, calls and store rows, in time order.

`live` is the only entry point: it takes a freshly drawn `Person` and returns every record
they leave behind. Everything a person does after an event (the call after a failed
payment, the pickup after a click-and-collect order, a return) is decided here, so a
person's whole timeline is produced at once and nothing about them needs to be kept after
they are written.
"""

from __future__ import annotations

import heapq
import random
from typing import Any

from .clock import DAY_MS, HOUR_MS, London, ms_to_day
from .records import Call, Period, Record, StoreRow
from .visits import LANDING_PAGES, Visit, browse, check_out, choose, fill_cart
from .world import (
    KIOSK_STORE, Device, Person, give_loyalty, make_app_device, make_kiosk, make_web_device, register,
    render_loyalty, render_phone, render_ref,
)

QUEUES = {
    "order_status": "orders", "delivery_delay": "orders", "returns": "returns",
    "account_help": "accounts", "product_question": "sales", "payment_issue": "payments",
}
# Story 2: what failed payers do next.
FAILED_PAYER_CALL_SHARE = 0.65
FAILED_PAYER_REORDER_SHARE = 0.30
# Story 1: share of customers who give up after the app checkout loop and stay away for weeks.
LOOP_STAY_AWAY_SHARE = 0.8
# Story 4: click-and-collect orders never picked up.
NO_PICKUP_SHARE = 0.08
# Rates per day of things that happen regardless of visits.
STORE_PURCHASE_RATE = {True: 0.035, False: 0.006}  # loyalty holder or not
STORE_VISIT_RATE = 0.012
ACCOUNT_HELP_RATE = 0.002
PRODUCT_QUESTION_RATE = 0.002


class Life:
    """Simulates one person; `records` collects what they leave behind."""

    def __init__(self, person: Person, rng: random.Random, period: Period, clock: London, total: int) -> None:
        self.person = person
        self.rng = rng
        self.period = period
        self.clock = clock
        self.total = total
        self.records: list[Record] = []
        self.free_at = period.start_ms  # no visit may start before the previous one ended + 1 h
        self.planned: list[tuple[int, int, str]] = []  # heap of (at_ms, seq, intent)
        self._n_planned = 0
        self.n_orders_placed = 0

    # --- time helpers -------------------------------------------------------------------

    def in_outage(self, at_ms: int) -> bool:
        return self.period.outage_start_ms <= at_ms < self.period.outage_end_ms

    def within_hours(self, at_ms: int, open_hour: int, close_hour: int) -> int:
        """`at_ms` moved into London opening hours (same day if possible, else the next)."""
        local = self.clock.local_ms(at_ms)
        day, rest = divmod(local, DAY_MS)
        if rest < open_hour * HOUR_MS:
            rest = open_hour * HOUR_MS + self.rng.randrange(3 * HOUR_MS)
        elif rest >= close_hour * HOUR_MS:
            day += 1
            rest = open_hour * HOUR_MS + self.rng.randrange(3 * HOUR_MS)
        return self.clock.local_to_utc(day * DAY_MS + rest)

    def poisson_times(self, rate_per_day: float, from_ms: int) -> list[int]:
        """Instants of a Poisson process with `rate_per_day` from `from_ms` to the period end."""
        times, at = [], from_ms
        while True:
            at += int(self.rng.expovariate(rate_per_day) * DAY_MS)
            if at >= self.period.end_ms:
                return times
            times.append(at)

    def next_visit_at(self, rate_per_day: float) -> int:
        """When the next visit starts: days apart on average, rarely more than two weeks."""
        # Gamma-distributed gaps (shape 3) are more regular than exponential ones: a regular
        # customer who vanishes for weeks would blur the drop-off story with noise.
        gap = max(HOUR_MS, int(self.rng.gammavariate(3.0, 1 / (3 * rate_per_day)) * DAY_MS))
        return self.within_hours(self.free_at + gap, 7, 23)

    def plan(self, at_ms: int, intent: str) -> None:
        self._n_planned += 1
        heapq.heappush(self.planned, (at_ms, self._n_planned, intent))

    # --- records other than visits --------------------------------------------------------

    def call(self, at_ms: int, reason: str, quoting: tuple[float, float] = (0.45, 0.15)) -> None:
        """A call about `reason`; `quoting` = shares calling with phone+ref and ref only."""
        if at_ms >= self.period.end_ms:
            return
        rng, person = self.rng, self.person
        roll = rng.random()
        phone = render_phone(person.phone, rng) if roll < quoting[0] or roll >= sum(quoting) else ""
        ref = render_ref(person.ref or "", rng.random() < 0.3) if roll < sum(quoting) else ""
        wait = rng.randint(15, 900) * 1000
        harmless = reason in ("account_help", "product_question", "order_status")
        if rng.random() < 0.1:
            call = Call(None, at_ms + wait, phone, ref, QUEUES[reason], reason, "abandoned", "", "")
            self.records.append((at_ms, "calls", call, harmless))
            return
        ended = at_ms + wait + rng.randint(90, 1500) * 1000
        outcome = "resolved" if rng.random() < 0.75 else rng.choice(("transferred", "callback"))
        if reason == "delivery_delay":
            unhappy = rng.random() < 0.88
        else:
            unhappy = rng.random() < 0.08
        if unhappy:
            sentiment, csat = rng.uniform(-0.9, -0.3), rng.randint(1, 2)
        else:
            sentiment, csat = rng.uniform(-0.1, 0.8), rng.randint(3, 5)
        call = Call(
            at_ms + wait, ended, phone, ref, QUEUES[reason], reason, outcome,
            str(csat) if rng.random() < 0.7 else "",
            f"{sentiment:.2f}" if rng.random() < 0.92 else "",
        )
        self.records.append((at_ms, "calls", call, harmless))

    def store(self, at_ms: int, kind: str, amount: str = "", order_ref: str = "",
              store_id: str | None = None, card: bool = True) -> None:
        """A store row during opening hours; `card` = the loyalty card was scanned."""
        at_ms = self.within_hours(at_ms, 9, 20)
        if at_ms >= self.period.end_ms:
            return
        loyalty = render_loyalty(self.person.loyalty, self.rng) if card and self.person.loyalty else ""
        row = StoreRow(store_id or self.person.home_store, loyalty, kind, amount, order_ref)
        self.records.append((at_ms, "store", row, kind == "purchase" and loyalty != ""))

    def after_order(self, at_ms: int, order: dict[str, Any]) -> None:
        """What follows an order: pickup, status/delay calls, a return."""
        rng, person = self.rng, self.person
        if order["fulfilment"] == "click_and_collect":
            if rng.random() >= NO_PICKUP_SHARE:
                # Collected on one of the next three days, during opening hours.
                local_day = self.clock.local_ms(at_ms) // DAY_MS + rng.randint(1, 3)
                local_at = local_day * DAY_MS + rng.randrange(10 * HOUR_MS, 19 * HOUR_MS)
                self.store(self.clock.local_to_utc(local_at), "pickup", order_ref=order["order_id"],
                           store_id=order["store_id"])
        else:
            if rng.random() < 0.06:
                self.call(self.within_hours(at_ms + rng.randint(3 * DAY_MS, 7 * DAY_MS), 8, 20), "delivery_delay")
            elif rng.random() < 0.07:
                self.call(self.within_hours(at_ms + rng.randint(DAY_MS, 4 * DAY_MS), 8, 20), "order_status")
        if rng.random() < 0.08:
            refund = f"-{order['revenue'] * rng.choice((0.5, 1.0)):.2f}"
            if person.loyalty:
                self.store(at_ms + rng.randint(3 * DAY_MS, 10 * DAY_MS), "return", refund, order["order_id"])
            else:
                self.call(self.within_hours(at_ms + rng.randint(2 * DAY_MS, 8 * DAY_MS), 8, 20), "returns")

    def everyday(self, from_ms: int) -> None:
        """Store trips and calls that happen independently of web/app visits."""
        rng, person = self.rng, self.person
        holder = person.loyalty is not None
        for at in self.poisson_times(STORE_PURCHASE_RATE[holder], from_ms):
            self.store(at, "purchase", f"{rng.uniform(3, 180):.2f}", card=rng.random() < 0.9)
        if holder:
            for at in self.poisson_times(STORE_VISIT_RATE, from_ms):
                self.store(at, "visit")
        for at in self.poisson_times(ACCOUNT_HELP_RATE, from_ms):
            self.call(self.within_hours(at, 8, 20), "account_help")
        for at in self.poisson_times(PRODUCT_QUESTION_RATE, from_ms):
            self.call(self.within_hours(at, 8, 20), "product_question")

    # --- visits -------------------------------------------------------------------------

    def visit(self, device: Device, at_ms: int, intent: str) -> str:
        """Run one visit with an intent (bounce, browse, cart, buy, reorder); returns its outcome.

        The outcome is `left` when the visit ends without checking out, else that of `check_out`.
        """
        visit = Visit(self.person, device, at_ms, self.rng, self.clock)
        if device.is_kiosk:
            outcome, order = self.use_kiosk(visit, intent)
        else:
            outcome, order = self.use_own_device(visit, intent)
        self.records.extend(visit.finish())
        self.free_at = visit.at_ms + HOUR_MS
        if order is not None:
            self.after_order(visit.at_ms, order)
        elif outcome == "payment_failed":
            self.after_failed_payment(visit.at_ms)
        return outcome

    def use_kiosk(self, visit: Visit, intent: str) -> tuple[str, dict[str, Any] | None]:
        """Story 5: sign in on the shared kiosk, browse, sometimes order (home delivery)."""
        visit.device.signed_in = False  # the previous user's session is gone
        visit.land("Home")
        visit.view("Sign In", "/account/sign-in")
        visit.identify()
        browse(visit)
        if intent != "buy":
            return "left", None
        fill_cart(visit)
        return self.check_out(visit, may_loop=False)

    def use_own_device(self, visit: Visit, intent: str) -> tuple[str, dict[str, Any] | None]:
        rng, device = self.rng, visit.device
        if device.channel == "app" and not device.identified:
            visit.identify()  # the app re-identifies its signed-in user on launch
        elif device.channel == "web" and self.person.ref and not device.signed_in and rng.random() < 0.3:
            visit.land("Home")
            visit.view("Sign In", "/account/sign-in")
            visit.identify()
        if intent == "bounce":
            visit.land(choose(rng, LANDING_PAGES))
        elif intent == "browse":
            # Ending on any of the four browsing pages alike keeps anonymous drop-offs spread out.
            browse(visit, choose(rng, LANDING_PAGES))
        elif intent == "reorder":
            visit.land("Home")
            visit.view("Cart", "/cart")
            return self.check_out(visit, may_fail=False, may_loop=False)
        else:
            browse(visit)
            fill_cart(visit)
            if intent == "buy":
                return self.check_out(visit)
        return "left", None

    def check_out(self, visit: Visit, may_fail: bool = True, may_loop: bool = True) -> tuple[str, dict[str, Any] | None]:
        return check_out(visit, in_outage=self.in_outage, next_order_id=self.next_order_id,
                         on_register=self.on_register, may_fail=may_fail, may_loop=may_loop)

    def next_order_id(self) -> str:
        """A new order id, unique because it carries the person's number."""
        self.n_orders_placed += 1
        return f"o-{self.person.index:08d}-{self.n_orders_placed:02d}"

    def on_register(self, at_ms: int) -> None:
        """A prospect created an account: they get a customer_ref and appear in the CRM."""
        register(self.person, self.rng, ms_to_day(self.clock.local_ms(at_ms)))
        if self.rng.random() < 0.1:
            give_loyalty(self.person, self.total)

    def after_failed_payment(self, at_ms: int) -> None:
        """Story 2: call within 1–6 h (mostly quoting the ref), and/or re-order on the web."""
        rng = self.rng
        if rng.random() < FAILED_PAYER_CALL_SHARE:
            self.call(at_ms + rng.randint(HOUR_MS, 6 * HOUR_MS), "payment_issue", quoting=(0.4, 0.35))
        if rng.random() < FAILED_PAYER_REORDER_SHARE:
            self.plan(at_ms + rng.randint(DAY_MS, 3 * DAY_MS), "reorder")

    def web_device(self) -> Device:
        """A browser of this person, adding one if they only had the app."""
        for device in self.person.devices:
            if device.channel == "web":
                return device
        device = make_web_device(self.rng)
        self.person.devices.append(device)
        return device

    def shop(self, rate_per_day: float) -> None:
        """Visits of a registered person until the period ends (random ones and planned ones)."""
        rng, person = self.rng, self.person
        next_random = self.next_visit_at(rate_per_day)
        last_start = self.period.end_ms - 2 * HOUR_MS
        while True:
            if self.planned and self.planned[0][0] <= next_random:
                at, _, intent = heapq.heappop(self.planned)
                at = max(at, self.free_at)
                if intent == "kiosk":
                    at = self.within_hours(at, 10, 19)
                if at >= last_start:
                    continue
                device = make_kiosk() if intent == "kiosk" else self.web_device()
                self.visit(device, at, "buy" if intent == "kiosk" and rng.random() < 0.4 else intent)
                if intent == "kiosk" and person.loyalty and rng.random() < 0.5:
                    self.store(self.free_at - HOUR_MS, "visit", store_id=KIOSK_STORE)
                next_random = max(next_random, self.free_at)
                continue
            if next_random >= last_start:
                return
            device = person.devices[rng.randrange(len(person.devices))]
            if device.channel == "web" and rng.random() < 0.1:
                device.signed_in = False  # the session expired
            roll = rng.random()
            outcome = self.visit(device, next_random, "browse" if roll < 0.5 else "cart" if roll < 0.63 else "buy")
            next_random = self.next_visit_at(rate_per_day)
            if outcome == "loop_gave_up" and rng.random() < LOOP_STAY_AWAY_SHARE:
                # Story 1: most who give up after the checkout loop stay away for weeks
                next_random = max(next_random, self.free_at + rng.randint(20, 45) * DAY_MS)


def live(person: Person, rng: random.Random, period: Period, clock: London, total: int) -> list[Record]:
    """Every record one person leaves during the period, sorted by time."""
    life = Life(person, rng, period, clock, total)
    if person.kind == "registered":
        if person.uses_kiosk:
            for _ in range(rng.choice((1, 1, 2))):
                life.plan(life.within_hours(period.start_ms + rng.randrange(period.end_ms - period.start_ms), 10, 19), "kiosk")
        life.everyday(period.start_ms)
        life.shop(person.visits_per_day)
    else:
        first = life.within_hours(period.start_ms + rng.randrange(period.end_ms - period.start_ms), 7, 23)
        life_of_visitor(life, first)
    life.records.sort(key=_at)
    return life.records


def life_of_visitor(life: Life, first_ms: int) -> None:
    """An anonymous browser, or a prospect who browses and then checks out."""
    rng, person, period = life.rng, life.person, life.period
    device = person.devices[0]
    n_browse = rng.choice((1, 1, 1, 2, 2, 3)) if person.kind == "browser" else rng.choice((0, 1, 1, 2))
    at = first_ms
    for _ in range(n_browse):
        if at >= period.end_ms - 2 * HOUR_MS:
            return
        roll = rng.random()
        life.visit(device, at, "bounce" if roll < 0.45 else "browse" if roll < 0.9 else "cart")
        at = life.within_hours(life.free_at + rng.randint(0, 8 * DAY_MS), 7, 23)
    if person.kind == "browser" or at >= period.end_ms - 2 * HOUR_MS:
        return
    if life.visit(device, at, "buy") == "dropped_at_account" or person.ref is None:
        return
    if rng.random() < 0.2:
        person.devices.append(make_app_device(rng))
        person.devices[-1].signed_in = True
    life.everyday(life.free_at)
    life.shop(person.visits_per_day)


def _at(record: Record) -> int:
    return record[0]
