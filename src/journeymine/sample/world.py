"""The people of the sample world: who they are, their devices and their identifiers.

A person is one of three kinds:
- `registered`: has an account before the period (customer_ref, email, phone, maybe a
  loyalty card) and one or more devices;
- `prospect`: a new visitor who browses anonymously and then checks out, which forces them
  to create an account (or give up at that page);
- `browser`: an anonymous visitor who never identifies.

Identifiers are stored canonically here and rendered messily (casing, spaces, phone formats)
each time a source writes them, as real systems do.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta

FIRST_NAMES = (
    "amelia", "oliver", "isla", "george", "ava", "noah", "mia", "arthur", "ivy", "leo",
    "grace", "oscar", "freya", "harry", "lily", "jack", "sophia", "charlie", "emily", "muhammad",
    "priya", "tomasz", "aoife", "kwame", "mei", "dylan", "zara", "rhys", "nia", "callum",
)
LAST_NAMES = (
    "smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel",
    "wright", "evans", "walker", "khan", "thomas", "roberts", "murphy", "kowalski", "okafor",
    "chen", "hughes", "campbell", "morgan", "begum", "kelly", "reid", "price", "osei", "nowak",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.co.uk")
STORES = tuple(f"store-{n:03d}" for n in range(1, 41))
KIOSK_STORE = "store-017"
KIOSK_ANONYMOUS_ID = "kiosk-store-017"

# Shares of the population and per-segment visit rates (visits per day).
KIND_WEIGHTS = (("registered", 0.52), ("prospect", 0.32), ("browser", 0.16))
SEGMENT_WEIGHTS = (("new", 0.2), ("regular", 0.65), ("vip", 0.15))
VISITS_PER_DAY = {"new": 0.12, "regular": 0.14, "vip": 0.3}
LOYALTY_SHARE = 0.4
MULTI_DEVICE_SHARE = 0.25
KIOSK_USER_SHARE = 0.05


@dataclass
class Device:
    """One browser or app install: its own anonymousId and how its SDK describes it."""

    anonymous_id: str
    channel: str  # "web" or "app"
    context_prefix: str  # the device's `context` JSON without its closing brace (pages add `page`)
    lower_user_id: bool  # this SDK sends the customer_ref lower-cased
    signed_in: bool = False
    identified: bool = False  # an identify call from this device is already in the data
    is_kiosk: bool = False


@dataclass
class Person:
    """One human in the sample world; `ref` is None until they have an account."""

    index: int
    kind: str
    segment: str
    visits_per_day: float
    devices: list[Device]
    home_store: str
    country: str
    first_name: str
    last_name: str
    phone: str  # national significant number, 10 digits starting with 7
    loyalty: str | None = None  # digits only
    ref: str | None = None
    email: str | None = None
    signup: date | None = None
    crm_has_phone: bool = True
    uses_kiosk: bool = False

    @property
    def is_registered(self) -> bool:
        return self.ref is not None


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    """One name from (name, weight) pairs whose weights sum to 1."""
    roll = rng.random()
    for name, weight in weighted:
        roll -= weight
        if roll < 0:
            return name
    return weighted[-1][0]


def make_anonymous_id(rng: random.Random) -> str:
    """A UUID-shaped browser/app id drawn from `rng` (uuid4 would not be reproducible)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def make_web_device(rng: random.Random, device_type: str | None = None) -> Device:
    """A browser: desktop, mobile or tablet."""
    kind = device_type or pick(rng, (("desktop", 0.5), ("mobile", 0.4), ("tablet", 0.1)))
    os_name = {
        "desktop": pick(rng, (("Windows", 0.6), ("Mac OS", 0.35), ("Linux", 0.05))),
        "mobile": pick(rng, (("iOS", 0.55), ("Android", 0.45))),
        "tablet": pick(rng, (("iOS", 0.7), ("Android", 0.3))),
    }[kind]
    context = json.dumps({"device": {"type": kind}, "os": {"name": os_name}}, separators=(",", ":"))
    return Device(make_anonymous_id(rng), "web", context[:-1], lower_user_id=rng.random() < 0.25)


def make_app_device(rng: random.Random) -> Device:
    """An app install on iOS or Android (Segment's mobile SDKs put the OS in device.type)."""
    os_name = pick(rng, (("iOS", 0.55), ("Android", 0.45)))
    version = pick(rng, (("4.12.0", 0.5), ("4.11.2", 0.35), ("4.9.1", 0.15)))
    context = json.dumps(
        {"app": {"version": version}, "device": {"type": os_name.lower()}, "os": {"name": os_name}},
        separators=(",", ":"),
    )
    return Device(make_anonymous_id(rng), "app", context[:-1], lower_user_id=rng.random() < 0.4)


def make_kiosk() -> Device:
    """The shared in-store browser every kiosk user signs in on."""
    context = '{"device":{"type":"kiosk"},"os":{"name":"Linux"}'
    return Device(KIOSK_ANONYMOUS_ID, "web", context, lower_user_id=False, is_kiosk=True)


def _phone_number(index: int) -> str:
    # An affine map is a bijection modulo 10**8, so phone numbers never collide.
    return f"77{(index * 7_919_113 + 900_123) % 100_000_000:08d}"


def _loyalty_number(index: int, total: int) -> str:
    width = 6 if total < 1_000_000 else 9
    return f"{(index * 7_919 + 123_456) % 10**width:0{width}d}"


def register(person: Person, rng: random.Random, signup: date) -> None:
    """Give a person an account: customer_ref, email and signup date."""
    person.ref = f"C{person.index:07d}"
    domain = EMAIL_DOMAINS[rng.randrange(len(EMAIL_DOMAINS))]
    person.email = f"{person.first_name}.{person.last_name}{person.index}@{domain}"
    person.signup = signup
    person.crm_has_phone = rng.random() < 0.95


def make_person(index: int, total: int, rng: random.Random, start: date) -> Person:
    """Draw one person of the world, with devices and (if registered) an account."""
    kind = pick(rng, KIND_WEIGHTS)
    segment = pick(rng, SEGMENT_WEIGHTS) if kind == "registered" else "new"
    person = Person(
        index=index,
        kind=kind,
        segment=segment,
        visits_per_day=VISITS_PER_DAY[segment],
        devices=[],
        home_store=STORES[rng.randrange(len(STORES))],
        country=pick(rng, (("GB", 0.95), ("IE", 0.04), ("FR", 0.01))),
        first_name=FIRST_NAMES[rng.randrange(len(FIRST_NAMES))],
        last_name=LAST_NAMES[rng.randrange(len(LAST_NAMES))],
        phone=_phone_number(index),
    )
    if kind != "registered":
        person.devices.append(make_web_device(rng))
        return person
    age_days = rng.randint(1, 89) if segment == "new" else rng.randint(90, 3000)
    register(person, rng, start - timedelta(days=age_days))
    if rng.random() < LOYALTY_SHARE:
        person.loyalty = _loyalty_number(index, total)
    person.uses_kiosk = rng.random() < KIOSK_USER_SHARE
    if rng.random() >= MULTI_DEVICE_SHARE:
        person.devices.append(make_web_device(rng) if rng.random() < 0.62 else make_app_device(rng))
    elif rng.random() < 0.6:
        person.devices += [make_web_device(rng), make_app_device(rng)]
    else:
        person.devices += [make_web_device(rng, "desktop"), make_web_device(rng, "mobile")]
    for device in person.devices:
        # Apps stay signed in; about half of the browsers were signed in before the period.
        device.signed_in = device.channel == "app" or rng.random() < 0.5
    return person


def give_loyalty(person: Person, total: int) -> None:
    """Hand a loyalty card to a person (new accounts sometimes sign up for one)."""
    person.loyalty = _loyalty_number(person.index, total)


# --- messy renderings: each source writes the same identifier its own way ---------------


def render_ref(ref: str, lower: bool) -> str:
    """customer_ref as an SDK or an agent typed it."""
    return ref.lower() if lower else ref


def render_email(email: str, rng: random.Random) -> str:
    """The email as typed into a form: sometimes capitalised, shouted or padded with spaces."""
    roll = rng.random()
    if roll < 0.5:
        return email
    if roll < 0.7:
        local, _, domain = email.partition("@")
        return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.title()
    if roll < 0.8:
        return email.upper()
    if roll < 0.9:
        return " " + email
    return email.title() + "  "


def render_phone(phone: str, rng: random.Random) -> str:
    """The same UK mobile number in one of the formats people and systems write it."""
    roll = rng.randrange(6)
    if roll == 0:
        return f"+44 {phone[:4]} {phone[4:]}"
    if roll == 1:
        return f"0{phone}"
    if roll == 2:
        return f"0044-{phone[:4]}-{phone[4:7]}-{phone[7:]}"
    if roll == 3:
        return f"+44 (0){phone[:4]} {phone[4:]}"
    if roll == 4:
        return f"0{phone[:4]} {phone[4:]}"
    return f"+44{phone}"


def render_loyalty(number: str, rng: random.Random) -> str:
    """A loyalty card id scanned or typed: `LOY-123-456`, `loy123456`, `LOY 123 456`, ..."""
    groups = [number[i:i + 3] for i in range(0, len(number), 3)]
    roll = rng.randrange(5)
    if roll == 0:
        return "LOY-" + "-".join(groups)
    if roll == 1:
        return "loy" + number
    if roll == 2:
        return "LOY " + " ".join(groups)
    if roll == 3:
        return "Loy-" + number
    return "LOY" + number


def crm_row(person: Person, rng: random.Random) -> tuple[str, ...]:
    """The person's row in `crm/customers.csv` (columns of the crm preset)."""
    assert person.ref is not None and person.email is not None and person.signup is not None
    return (
        person.ref,
        render_email(person.email, rng),
        render_phone(person.phone, rng) if person.crm_has_phone else "",
        render_loyalty(person.loyalty, rng) if person.loyalty else "",
        person.segment,
        person.signup.isoformat(),
        person.country,
    )
