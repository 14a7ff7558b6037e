"""The friction, drivers and funnel settings of issue 12 (src/journeymine/config/friction.py,
src/journeymine/config/insights.py): error words in any naming style and easy to extend, trends
per week or day, drivers over every finding and attribute, custom attribute names."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from journeymine.config import parse_config
from journeymine.config.friction import ERROR_WORDS, FrictionConfig, error_words_pattern, label_words
from journeymine.config.insights import FunnelConfig
from journeymine.errors import ConfigError

BASE = {"output_dir": "out", "database": "jm.duckdb",
        "sources": {"web": {"path": "w/*.jsonl", "preset": "segment", "channel": "web"}}}


def config(tmp_path: Path, **sections: object):
    return parse_config({**BASE, **sections}, base_dir=tmp_path)


def matches(label: str, settings: FrictionConfig = FrictionConfig()) -> bool:
    """Whether a label holds an error word, as the SQL decides (label split into words there)."""
    words = duckdb.connect().execute(
        r"SELECT lower(trim(regexp_replace(regexp_replace(regexp_replace($label, '([A-Z]+)([A-Z][a-z])', '\1 \2', 'g'),"
        r" '([a-z0-9])([A-Z])', '\1 \2', 'g'), '[^A-Za-z0-9]+', ' ', 'g')))",
        {"label": label},
    ).fetchone()[0]
    assert words == label_words(label)  # Python and SQL split labels alike
    return bool(re.search(settings.error_words_pattern, words))


@pytest.mark.parametrize("label", [
    "Payment Failed", "payment_failed", "paymentFailed", "PAYMENT-FAILED", "checkout.bug", "APIException",
    "Request Timed Out", "app crash", "Card DECLINED", "call: payment_declined", "HTTPError", "Session timeout",
    "Page Not Found", "validation errors",
])
def test_common_error_names_are_error_events(label: str) -> None:
    assert matches(label)


@pytest.mark.parametrize("label", ["Debug Menu", "Failedness Quiz", "Errands", "Checkout Payment", "call: payment_issue",
                                   "Order Completed", "Crashpad Sale"])
def test_words_only_containing_an_error_word_are_not(label: str) -> None:
    assert not matches(label)


def test_error_words_are_easy_to_extend_or_replace(tmp_path: Path) -> None:
    """extra_error_words adds to the defaults; error_words replaces them; error_pattern (RE2 on the
    label as it is) comes on top; no words at all matches nothing."""
    extended = config(tmp_path, friction={"extra_error_words": ["oops", "card expired"]}).friction
    assert matches("Oops Page", extended) and matches("cardExpired", extended) and matches("Payment Failed", extended)
    replaced = config(tmp_path, friction={"error_words": ["oops"]}).friction
    assert matches("oops", replaced) and not matches("Payment Failed", replaced)
    assert config(tmp_path, friction={"error_pattern": "^ERR-[0-9]+$"}).friction.error_pattern == "^ERR-[0-9]+$"
    assert error_words_pattern(()) == ""
    assert set(ERROR_WORDS) >= {"error", "failed", "bug", "exception", "timeout", "declined", "crash"}
    for bad in ({"error_words": "error"}, {"extra_error_words": ["--"]}, {"error_words": [3]}):
        with pytest.raises(ConfigError, match=r"friction\.(extra_)?error_words: expected a list of words"):
            config(tmp_path, friction=bad)


def test_trend_settings_are_checked(tmp_path: Path) -> None:
    got = config(tmp_path, friction={"trend": {"period": "day", "alpha": 0.001}},
                 funnel={"trend": {"period": "day", "min_conversion_points": 0.1}})
    assert (got.friction.trend.period, got.friction.trend.alpha) == ("day", 0.001)
    assert (got.funnel.trend.period, got.funnel.trend.min_conversion_points) == ("day", 0.1)
    with pytest.raises(ConfigError, match=r"friction.trend.period: unknown value 'month'; expected one of week, day"):
        config(tmp_path, friction={"trend": {"period": "month"}})
    with pytest.raises(ConfigError, match=r"funnel.trend: unknown key 'periods'"):
        config(tmp_path, funnel={"trend": {"periods": "week"}})
    with pytest.raises(ConfigError, match=r"friction.trend.alpha: expected a false discovery rate"):
        config(tmp_path, friction={"trend": {"alpha": 1}})


def test_drivers_cover_every_finding_and_attribute_by_default(tmp_path: Path) -> None:
    """drivers.n_findings and drivers.attributes default to all (None); a list names attributes,
    custom ones included; a name one typo away from a built-in one is an error."""
    default = config(tmp_path).drivers
    assert (default.n_findings, default.attributes) == (None, None)
    assert "unknown" in default.unknown_values and "n/a" in default.unknown_values
    named = config(tmp_path, drivers={"n_findings": 15, "attributes": ["platform", "app_version"],
                                      "unknown_values": ["Unknown", " -- "]}).drivers
    assert (named.n_findings, named.attributes, named.unknown_values) == (15, ("platform", "app_version"),
                                                                           ("unknown", "--"))
    assert config(tmp_path, drivers={"n_findings": "all", "attributes": "all"}).drivers.attributes is None
    with pytest.raises(ConfigError, match=r"drivers.attributes: unknown journey attribute 'platfrom'.*did you mean "
                                          r"'platform'"):
        config(tmp_path, drivers={"attributes": ["platfrom"]})
    with pytest.raises(ConfigError, match=r"drivers.n_findings: expected a whole number >= 0 or all"):
        config(tmp_path, drivers={"n_findings": "some"})
    assert FunnelConfig(breakdown=("plan",)).breakdown == ("plan",)
