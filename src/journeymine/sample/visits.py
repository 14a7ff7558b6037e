"""One web or app visit: the pages/screens and track events of a single session.

A `Visit` appends Segment messages 5–120 s apart; the flow functions below walk it through
the shop (land, browse, add to cart, check out) and return how the visit ended. Planted
stories that live inside a visit are decided here: the app checkout loop (story 1), the
silent payment failures during the outage window (story 2), the account-creation drop-off
of new visitors (story 3) and click-and-collect orders (story 4).

Messages are formatted straight into JSON text (all values are plain ASCII without quotes
or backslashes, except traits, which go through `json.dumps`): this is the generator's hot
path and a dict plus `json.dumps` per event would double its run time.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from .clock import London
from .records import Record
from .world import Device, Person, render_email, render_phone, render_ref

LANDING_PAGES = ("Home", "Search Results", "Product Listing", "Product Detail")
SEARCH_TERMS = ("red+dress", "trainers", "rain+jacket", "kids+shoes", "linen+shirt", "backpack", "sofa+cover")
CATEGORIES = ("women", "men", "kids", "home", "shoes", "sale", "accessories")
REFS = ("home", "search", "listing", "email", "ad")
UTM_SOURCES = ("newsletter", "google", "meta")

# Story parameters (described in data/sample/README.md).
APP_LOOP_SHARE = 0.45  # app checkouts sent back from Checkout Shipping to Cart
WEB_LOOP_SHARE = 0.01
LOOP_GIVE_UP_SHARE = 0.4
OUTAGE_FAIL_SHARE = 0.85  # payment attempts that fail silently inside the outage window
NORMAL_FAIL_SHARE = 0.003
PAYMENT_RETRY_SHARE = 0.35
ACCOUNT_DROP_SHARE = 0.45  # new visitors who give up at Create Account
CLICK_AND_COLLECT_SHARE = 0.45  # of web orders by loyalty-card holders


def choose(rng: random.Random, options: tuple[Any, ...]) -> Any:
    """`rng.choice` without its overhead (it is called for nearly every event)."""
    return options[int(rng.random() * len(options))]


class Visit:
    """Builds the messages of one session on one device of one person."""

    def __init__(self, person: Person, device: Device, at_ms: int, rng: random.Random, clock: London) -> None:
        self.person = person
        self.device = device
        self.at_ms = at_ms
        self.rng = rng
        self.clock = clock
        self.hits: list[Record] = []
        self._details: list[int] = []  # positions of Product Detail views
        self.product = 1000 + int(rng.random() * 9000)
        self._who = ""
        self._sign()

    def _sign(self) -> None:
        """Refresh the `anonymousId`/`userId` part of every following message."""
        device, ref = self.device, self.person.ref
        user = f'"{render_ref(ref, device.lower_user_id)}"' if device.signed_in and ref else "null"
        self._who = f'"anonymousId":"{device.anonymous_id}","userId":{user}'

    def _stamp(self) -> str:
        if self.hits:
            self.at_ms += 5_000 + int(self.rng.random() * 115_000)
        return self.clock.iso_utc(self.at_ms)

    def view(self, name: str, path: str, query: str = "", extra: str = "") -> None:
        """A page (web) or screen (app) called `name`; `extra` = more `,"key":value` properties."""
        if self.hits:
            self.at_ms += 5_000 + int(self.rng.random() * 115_000)
        stamp, device = self.clock.iso_utc(self.at_ms), self.device
        if name == "Product Detail":
            self._details.append(len(self.hits))
        if device.channel == "web" and query:
            body = (f'","type":"page",{self._who},"timestamp":"{stamp}","name":"{name}",'
                    f'"properties":{{"path":"{path}?{query}"{extra}}},'
                    f'"context":{device.context_prefix},"page":{{"path":"{path}","search":"?{query}"}}}}}}\n')
        elif device.channel == "web":
            body = (f'","type":"page",{self._who},"timestamp":"{stamp}","name":"{name}",'
                    f'"properties":{{"path":"{path}"{extra}}},'
                    f'"context":{device.context_prefix},"page":{{"path":"{path}"}}}}}}\n')
        else:
            props = f',"properties":{{{extra[1:]}}}' if extra else ""
            body = (f'","type":"screen",{self._who},"timestamp":"{stamp}","name":"{name}"{props},'
                    f'"context":{device.context_prefix}}}}}\n')
        self.hits.append((self.at_ms, device.channel, body, False))

    def track(self, event: str, extra: str = "") -> None:
        """A track event such as `Product Added`; `extra` = its `,"key":value` properties."""
        stamp, device = self._stamp(), self.device
        props = f',"properties":{{{extra[1:]}}}' if extra else ""
        body = (f'","type":"track",{self._who},"timestamp":"{stamp}","event":"{event}"{props},'
                f'"context":{device.context_prefix}}}}}\n')
        self.hits.append((self.at_ms, device.channel, body, False))

    def identify(self) -> None:
        """Sign the device in: an identify call with userId and (messy) traits."""
        assert self.person.ref is not None and self.person.email is not None
        stamp, device, rng = self._stamp(), self.device, self.rng
        device.signed_in = device.identified = True
        self._sign()
        traits: dict[str, str] = {}
        if rng.random() < 0.9:
            traits["email"] = render_email(self.person.email, rng)
        if rng.random() < 0.6:
            traits["phone"] = render_phone(self.person.phone, rng)
        body = (f'","type":"identify",{self._who},"timestamp":"{stamp}",'
                f'"traits":{json.dumps(traits, separators=(",", ":"))},"context":{device.context_prefix}}}}}\n')
        self.hits.append((self.at_ms, device.channel, body, False))

    def finish(self) -> list[Record]:
        """The visit's messages; a Product Detail view with a later message may take a planted defect."""
        if not self.device.is_kiosk:
            last = len(self.hits) - 1
            for i in self._details:
                if i < last:
                    at_ms, folder, body, _ = self.hits[i]
                    self.hits[i] = (at_ms, folder, body, True)
        return self.hits

    # --- pages with realistic paths ---------------------------------------------------

    def view_page(self, page: str, ref: str = "listing") -> None:
        """A browsing page: Home, Search Results, Product Listing or Product Detail."""
        rng = self.rng
        if page == "Home":
            self.view("Home", "/", "" if rng.random() < 0.7 else "utm_source=" + choose(rng, UTM_SOURCES))
        elif page == "Search Results":
            self.view("Search Results", "/search", "q=" + choose(rng, SEARCH_TERMS))
        elif page == "Product Listing":
            self.view("Product Listing", "/c/" + choose(rng, CATEGORIES), f"page={1 + int(rng.random() * 4)}")
        else:
            self.product = 1000 + int(rng.random() * 9000)
            self.view("Product Detail", f"/product/{self.product}", "ref=" + ref, f',"product_id":"{self.product}"')

    def land(self, page: str) -> None:
        """Open the visit on a landing page, arriving from somewhere."""
        self.view_page(page, choose(self.rng, REFS))


def browse(visit: Visit, exit_page: str | None = None) -> None:
    """Land and look around for 0–4 more pages, then optionally end on `exit_page`."""
    rng = visit.rng
    visit.land(choose(rng, LANDING_PAGES))
    for _ in range(choose(rng, (0, 0, 1, 2, 3, 4))):
        visit.view_page(choose(rng, ("Product Listing", "Search Results", "Product Detail", "Product Detail")))
    if exit_page is not None:
        visit.view_page(exit_page)


def fill_cart(visit: Visit) -> None:
    """Look at 1–4 products, add one (sometimes two) to the cart, open the cart."""
    rng = visit.rng
    for _ in range(choose(rng, (1, 1, 2, 2, 3, 4))):
        visit.view_page("Product Detail")
    visit.track("Product Added", f',"product_id":"{visit.product}","price":{8 + rng.random() * 132:.2f},"quantity":1')
    if rng.random() < 0.2:
        visit.view_page("Product Detail", "recommendation")
        visit.track("Product Added", f',"product_id":"{visit.product}","price":{8 + rng.random() * 72:.2f},"quantity":1')
    visit.view("Cart", "/cart")


def check_out(
    visit: Visit,
    *,
    in_outage: Callable[[int], bool],
    next_order_id: Callable[[], str],
    on_register: Callable[[int], None],
    may_fail: bool = True,
    may_loop: bool = True,
) -> tuple[str, dict[str, Any] | None]:
    """Walk from the cart to an order; returns (outcome, the order or None).

    Outcomes: `ordered`, `dropped_at_account`, `loop_gave_up`, `payment_failed`. The order
    is a dict with order_id, revenue, fulfilment and store_id.
    """
    rng, device, person = visit.rng, visit.device, visit.person
    visit.track("Checkout Started")
    if not device.signed_in or person.ref is None:
        if person.ref is not None:
            visit.view("Sign In", "/account/sign-in", "return=/checkout")
            visit.identify()
        else:
            visit.view("Create Account", "/account/create", "return=/checkout")
            if rng.random() < ACCOUNT_DROP_SHARE:
                return "dropped_at_account", None
            visit.track("Account Created", ',"method":"email"')
            on_register(visit.at_ms)
            visit.identify()
    visit.view("Checkout Shipping", "/checkout/shipping")
    loop_share = APP_LOOP_SHARE if device.channel == "app" else WEB_LOOP_SHARE
    if may_loop and rng.random() < loop_share:
        for _ in range(1 if rng.random() < 0.7 else 2):
            visit.view("Cart", "/cart", "from=shipping")
            visit.view("Checkout Shipping", "/checkout/shipping")
        if rng.random() < LOOP_GIVE_UP_SHARE:
            return "loop_gave_up", None
    visit.view("Checkout Payment", "/checkout/payment")
    fail_share = OUTAGE_FAIL_SHARE if in_outage(visit.at_ms) else NORMAL_FAIL_SHARE
    if may_fail and rng.random() < fail_share:
        if rng.random() < PAYMENT_RETRY_SHARE:
            visit.view("Checkout Payment", "/checkout/payment", "retry=1")
        return "payment_failed", None
    order = {"order_id": next_order_id(), "revenue": round(12 + rng.random() * 248, 2), "store_id": person.home_store}
    common = f',"order_id":"{order["order_id"]}","revenue":{order["revenue"]:.2f},"currency":"GBP"'
    if device.channel == "web" and not device.is_kiosk and person.loyalty and rng.random() < CLICK_AND_COLLECT_SHARE:
        order["fulfilment"] = "click_and_collect"
        visit.track("Click and Collect Order Placed", f'{common},"fulfilment":"click_and_collect","store_id":"{person.home_store}"')
    else:
        order["fulfilment"] = "home_delivery"
        visit.track("Order Completed", f'{common},"fulfilment":"home_delivery"')
    return "ordered", order
