"""Small checkers of config values. Each returns the value (converted where it says so) or
raises `ConfigError` naming the key (a dotted path, `where`) and what was expected."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from journeymine.errors import ConfigError
from journeymine.schema import JOURNEY_ATTRIBUTES

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
TIME_FORMAT_SPECIALS = ("epoch", "epoch_ms")


def known_attributes(names: Any, where: str) -> None:
    unknown = [name for name in names if name not in JOURNEY_ATTRIBUTES]
    if unknown:
        raise ConfigError(
            f"{where}: unknown journey attribute {unknown[0]!r}; expected any of {', '.join(JOURNEY_ATTRIBUTES)}"
        )


def mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values, found {type(value).__name__}")
    return value


def only(spec: dict[str, Any], where: str, allowed: set[str]) -> None:
    for key in spec:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")


def required(spec: dict[str, Any], key: str, where: str) -> Any:
    if spec.get(key) is None:
        raise ConfigError(f"{where}: missing required key {key!r}")
    return spec[key]


def text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string, found {value!r}")
    return value


def number(value: Any, where: str, what: str, *, above: float | None = None, minimum: float | None = None,
            maximum: float | None = None, below: float | None = None) -> float:
    """A number within limits (above/below exclusive, minimum/maximum inclusive); `what` says
    what was expected ("a positive number of hours")."""
    if (
        isinstance(value, bool) or not isinstance(value, (int, float))
        or (above is not None and not value > above)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
        or (below is not None and not value < below)
    ):
        raise ConfigError(f"{where}: expected {what}, found {value!r}")
    return float(value)


def number_key(spec: dict[str, Any], defaults: Any, where: str, key: str, what: str, **limits: float) -> float:
    """`_number` for `spec[key]` of the section `where`, or the section's default."""
    return number(spec.get(key, getattr(defaults, key)), f"{where}.{key}", what, **limits)


def whole(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: expected a whole number >= {minimum}, found {value!r}")
    return value


def boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, found {value!r}")
    return value


def share(value: Any, where: str, *, zero_ok: bool = False) -> float:
    low_ok = (lambda v: v >= 0) if zero_ok else (lambda v: v > 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low_ok(value) or value > 1:
        bounds = "between 0 and 1" if zero_ok else "above 0 and at most 1"
        raise ConfigError(f"{where}: expected a share {bounds}, such as 0.8, found {value!r}")
    return float(value)


def choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}: unknown value {value!r}; expected one of {', '.join(allowed)}")
    return value


def resolve_path(value: Any, where: str, base_dir: Path) -> Path:
    path = Path(text(value, where)).expanduser()
    return path if path.is_absolute() else base_dir / path
