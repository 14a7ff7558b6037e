"""Input presets as data: each preset is a named default mapping of a known export's columns to
the roles one staging engine reads (`sql/staged/stg_source__records.sql`).

A role is what a column is for: the record's id, its time, its activity, an identifier, a value
or an attribute. A preset names the column of each role, what its reasons call it, and the few
rules that make the export what it is (the prefix of its activities, the activities or outcomes
it knows, which attributes it keeps in which order). A source's config may rename any of these
columns (`columns: {started_at: call_start}`), compose a time from a date and a time column,
map codes to the values the preset knows (`values:`) and keep more columns as attributes;
everything else it keeps from the preset. A `mapped` source starts from no columns at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# roles read as times; the first is the record's time (occurred_at)
TIME_ROLES: tuple[str, ...] = ("occurred_at", "answered_at", "ended_at", "signup_date")
# identifier slots in the order a record's identifiers are stored: 'user' is a Segment userId
# (its kind is the source's user_id_kind), 'previous' an alias message's previousId
IDENTIFIER_SLOTS: tuple[str, ...] = (
    "user", "customer_ref", "loyalty_id", "email", "phone", "anonymous_id", "previous",
)
# values staging derives, which a preset may place among its attributes (in its own order)
DERIVED_ATTRIBUTES: tuple[str, ...] = ("outcome", "csat", "wait_seconds", "talk_seconds", "signup_date")
# roles whose codes a source may map to the values its preset knows (sources.<name>.values)
CODED_ROLES: tuple[str, ...] = ("activity", "outcome", "channel")
# how a record becomes a row of the staged layer: every row an event, every row an identity
# record (links only), or a Segment message whose type decides
RECORD_KINDS: tuple[str, ...] = ("event", "identity")


@dataclass(frozen=True)
class Preset:
    """The default mapping of one export format (docs/input-formats.md)."""

    name: str
    record: str
    # role → the preset's column (a dotted path for JSON lines), e.g. occurred_at → started_at
    roles: dict[str, str] = field(default_factory=dict)
    # identifier slot → column (they are stored in IDENTIFIER_SLOTS order; this order is the one a
    # file without any of these columns is told about)
    identifiers: dict[str, str] = field(default_factory=dict)
    # attribute → column, or None for a value staging derives (DERIVED_ATTRIBUTES); in order
    attributes: dict[str, str | None] = field(default_factory=dict)
    # columns a file must have (the others may be missing and read as empty)
    required: tuple[str, ...] = ()
    # the columns a row without any usable identifier is told about, in the export's order
    identified_by: tuple[str, ...] = ()
    activity_prefix: str = ""
    lower_activity: bool = False
    # the only activities it knows (another is rejected); empty: any
    activities: tuple[str, ...] = ()
    # the outcomes it knows (another is dropped with a warning); empty: any, as given
    outcomes: tuple[str, ...] = ()
    # a negative value is only a value on these activities (else dropped with a warning); None: any
    negative_value_on: tuple[str, ...] | None = None
    # attributes kept upper-cased (country codes)
    upper_attributes: tuple[str, ...] = ()
    # how reasons name a role where not by its column
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the preset reads (what `columns:` may rename), in a stable order."""
        named = [*self.roles.values(), *self.identifiers.values(), *(c for c in self.attributes.values() if c)]
        return tuple(dict.fromkeys(named))

    def role_of(self, column: str) -> str | None:
        """The role (or identifier slot) a column of the preset has; None for an attribute column."""
        for role, name in (*self.roles.items(), *self.identifiers.items()):
            if name == column:
                return role
        return None


PRESETS: dict[str, Preset] = {
    # Segment-spec JSON lines: the message type decides between an event and an identity record
    "segment": Preset(
        name="segment",
        record="message",
        roles={
            "event_id": "messageId", "type": "type", "occurred_at": "timestamp", "event": "event", "name": "name",
            "properties": "properties",
        },
        identifiers={
            "user": "userId", "email": "traits.email", "phone": "traits.phone", "anonymous_id": "anonymousId",
            "previous": "previousId",
        },
        attributes={
            "device_type": "context.device.type", "os_name": "context.os.name",
            "app_version": "context.app.version", "page_path": "context.page.path",
        },
        identified_by=("anonymousId", "userId"),
        labels={"activity": "activity (event or name)", "value": "value", "csat": "csat"},
    ),
    "contacts": Preset(
        name="contacts",
        record="event",
        roles={
            "event_id": "contact_id", "occurred_at": "started_at", "answered_at": "answered_at",
            "ended_at": "ended_at", "activity": "reason", "outcome": "outcome", "csat": "csat",
            "sentiment": "sentiment",
        },
        identifiers={"phone": "caller_phone", "customer_ref": "customer_ref"},
        attributes={"queue": "queue", "outcome": None, "csat": None, "wait_seconds": None, "talk_seconds": None},
        required=("contact_id", "started_at", "reason"),
        identified_by=("caller_phone", "customer_ref"),
        activity_prefix="call: ",
        lower_activity=True,
        outcomes=("resolved", "transferred", "callback", "abandoned"),
    ),
    "pos": Preset(
        name="pos",
        record="event",
        roles={"event_id": "transaction_id", "occurred_at": "occurred_at", "activity": "kind", "value": "amount"},
        identifiers={"loyalty_id": "loyalty_id"},
        attributes={"store_id": "store_id", "order_ref": "order_ref"},
        required=("transaction_id", "occurred_at", "kind"),
        identified_by=("loyalty_id",),
        activity_prefix="store: ",
        lower_activity=True,
        activities=("purchase", "return", "pickup", "visit"),
        negative_value_on=("return",),
    ),
    "crm": Preset(
        name="crm",
        record="identity",
        roles={"signup_date": "signup_date"},
        identifiers={"customer_ref": "customer_ref", "loyalty_id": "loyalty_id", "email": "email", "phone": "phone"},
        attributes={"segment": "segment", "signup_date": None, "country": "country"},
        identified_by=("customer_ref", "email", "phone", "loyalty_id"),
        upper_attributes=("country",),
    ),
    # a column mapping from nothing: the source's `columns` name every role it has
    "mapped": Preset(
        name="mapped",
        record="event",
        labels={"occurred_at": "time", "activity": "activity", "channel": "channel", "ended_at": "ended_at",
                "sentiment": "sentiment", "value": "value", "csat": "csat", "email": "email", "phone": "phone",
                "signup_date": "signup_date", "event_id": "event_id"},
    ),
}


def coded_values(preset: Preset, role: str) -> tuple[str, ...]:
    """The values a code of `role` may be mapped to (empty: any name)."""
    if role == "activity":
        return preset.activities
    if role == "outcome":
        return preset.outcomes
    return ()


def english_list(items: tuple[str, ...] | list[str], word: str = "or") -> str:
    """'a, b or c' (for reasons that list what was expected)."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"
