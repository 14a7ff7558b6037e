"""The `identity` section: identifier normalisation, hashing and the over-merge guard."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from journeymine.config import checks as check
from journeymine.errors import ConfigError
from journeymine.schema import IDENTIFIER_KINDS, PLACEHOLDERS, placeholder_key


@dataclass(frozen=True)
class IdentityConfig:
    """Identifier normalisation, hashing and the over-merge guard of the identity graph."""

    salt: str = "journeymine"
    default_country_code: str = "44"
    # A customer (connected component) holding more identifiers of one kind than this is
    # implausible (a shared kiosk, a switchboard number) and is split, not merged.
    max_identifiers_per_kind: dict[str, int] = field(
        default_factory=lambda: {
            "customer_ref": 2,
            "loyalty_id": 3,
            "email": 3,
            "phone": 3,
            "anonymous_id": 25,
        }
    )
    # An identifier on more than this share of all records (and on at least
    # MIN_RECORDS_FOR_SHARE of them) is not one person (a default account, a test
    # account, a switchboard number): it is set aside as shared, like a kiosk.
    max_identifier_share: float = 0.01
    # Identifier values that stand for "no one" ('0', 'unknown', 'n/a', …): no identifier at all.
    # Compared upper-cased without spaces and punctuation; '0' is any run of zeros.
    placeholders: tuple[str, ...] = PLACEHOLDERS


def parse_identity(spec: Any) -> IdentityConfig:
    where = "identity"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"salt", "default_country_code", "max_identifiers_per_kind", "max_identifier_share",
                             "placeholders"})
    defaults = IdentityConfig()
    limits = dict(defaults.max_identifiers_per_kind)
    for kind, value in check.mapping(spec.get("max_identifiers_per_kind", {}), f"{where}.max_identifiers_per_kind").items():
        check.choice(kind, f"{where}.max_identifiers_per_kind", IDENTIFIER_KINDS)
        limits[kind] = check.whole(value, f"{where}.max_identifiers_per_kind.{kind}", minimum=1)
    code = str(spec.get("default_country_code", defaults.default_country_code))
    if not re.fullmatch(r"\d{1,3}", code):
        raise ConfigError(f"{where}.default_country_code: expected 1-3 digits such as '44', found {code!r}")
    salt = check.text(spec.get("salt", defaults.salt), f"{where}.salt")
    share = check.share(spec.get("max_identifier_share", defaults.max_identifier_share), f"{where}.max_identifier_share")
    return IdentityConfig(salt=salt, default_country_code=code, max_identifiers_per_kind=limits,
                          max_identifier_share=share, placeholders=_placeholders(spec.get("placeholders")))


def _placeholders(value: Any) -> tuple[str, ...]:
    """identity.placeholders: a list of values (an empty list: none), each compared as
    schema.placeholder_key compares it."""
    where = "identity.placeholders"
    if value is None:
        return PLACEHOLDERS
    if isinstance(value, (str, bool)) or not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of values such as ['0', 'unknown', 'n/a'], found {value!r}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not placeholder_key(str(item)):
            raise ConfigError(
                f"{where}: {item!r} is no placeholder: a value needs a letter, a digit or '-' (all else is "
                "ignored when values are compared); quote values YAML reads otherwise, such as \"null\" or \"no\""
            )
    return tuple(str(item) for item in value)
