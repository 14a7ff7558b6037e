"""The friction report as a browser sees it: headless Chromium opens a report rendered from
realistic data, its DOM has every section and chart, and its screenshot is not blank.

Skipped when no Chromium is installed (journeymine.outputs.browser looks for it on PATH).
"""

from __future__ import annotations

import random
import shutil
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from journeymine.outputs.browser import CHROMIUM_NAMES, dump_dom, screenshot
from journeymine.outputs.report import SANKEY_MAX_STEPS, SANKEY_TOP_PATHS, SECTIONS, ReportData, write_report
from journeymine.outputs.report.charts import sankey_layout

pytestmark = pytest.mark.skipif(
    not any(shutil.which(name) for name in CHROMIUM_NAMES),
    reason=f"no Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)}); install it to run the browser tests",
)

CHECKOUT = ["Product Added", "Cart", "Checkout Started", "Checkout Shipping", "Checkout Payment", "Order Completed"]
STAGES = ["browse", "basket", "checkout", "purchase"]


def realistic_report_data() -> ReportData:
    """A report's inputs shaped like the bundled sample's: a long tail of paths, a four-stage
    funnel with two breakdowns, findings with drivers, emotion curves, changes, notes."""
    variants = _variants()
    n_journeys = int(variants["n_journeys"].sum())
    outcomes = variants[["n_converted", "n_abandoned", "n_open"]].sum()
    run = {"run_id": "20261123T115353Z-2f985b", "started_at": pd.Timestamp("2026-11-23 11:53:53", tz="UTC"),
           "period_start": pd.Timestamp("2026-02-02 07:31:36", tz="UTC"),
           "period_end": pd.Timestamp("2026-04-02 21:00:01", tz="UTC"),
           "n_events": 105_427, "n_customers": 2_532, "n_journeys": n_journeys,
           "n_converted": int(outcomes["n_converted"]), "n_abandoned": int(outcomes["n_abandoned"]),
           "n_open": int(outcomes["n_open"]), "n_read": 109_876, "n_rejected": 484}
    return ReportData(run=run, variants=variants, funnel=_funnel(), friction=_friction(), drivers=_drivers(),
                      emotion=_emotion(), changes=_changes(), dropoff_paths=_dropoff_paths(), notes=[
                          "1 shared identifier split: an in-store kiosk's anonymous id, seen with 31 customers, "
                          "was set aside instead of merging them.",
                          "store: 475 of 2,352 rows rejected (no loyalty_id): guest purchases cannot be stitched.",
                          'web: an activity named "<script>alert(1)</script>" was kept as text.'])


def _variants() -> pd.DataFrame:
    head = [
        (["store: purchase"], 400, 1.0, 0.0),
        (["Search Results", "Product Detail", *CHECKOUT], 129, 1.0, 0.0),
        (["Product Listing", "Product Detail", *CHECKOUT], 126, 1.0, 0.0),
        (["Product Detail", *CHECKOUT], 116, 1.0, 0.0),
        (["Home", "Product Detail", *CHECKOUT], 101, 1.0, 0.0),
        (["Product Listing"], 47, 0.0, 0.6),
        (["Home"], 43, 0.0, 0.55),
        (["Product Listing", "Product Detail", "Product Added", "Cart", "Create Account"], 42, 0.0, 0.7),
        (["Product Detail", "Product Added", "Cart", "Checkout Started", "Checkout Shipping", "Cart",
          "Checkout Shipping", "Checkout Payment", "Order Completed"], 39, 1.0, 0.0),
        (["Search Results"], 38, 0.0, 0.5),
        (["Product Detail", "Product Added", "Cart", "Checkout Payment", "call: payment_issue"], 36, 0.4, 0.4),
        (["Home", "Product Listing"], 31, 0.0, 0.6),
    ]
    rng = random.Random(7)
    pages = ["Home", "Product Listing", "Search Results", "Product Detail", "Product Added", "Cart"]
    tail = [([rng.choice(pages) for _ in range(rng.randint(2, 11))], rng.randint(1, 29), rng.random(), 0.3)
            for _ in range(300)]
    rows = []
    for path, n, rate, abandoned_share in head + tail:
        converted = round(n * rate)
        abandoned = round((n - converted) * abandoned_share) if rate < 1 else 0
        rows.append({"variant": path, "n_journeys": n, "n_converted": converted, "n_abandoned": abandoned,
                     "n_open": n - converted - abandoned})
    variants = pd.DataFrame(rows)
    variants["share"] = variants["n_journeys"] / variants["n_journeys"].sum()
    decided = variants["n_converted"] + variants["n_abandoned"]
    variants["conversion_rate"] = (variants["n_converted"] / decided).where(decided > 0)
    return variants


def _funnel() -> pd.DataFrame:
    """Shaped like marts.funnel: four stages for all journeys and per device and segment."""
    rows = []
    segments = [("all", "all", 7100, 1.0), ("device", "desktop", 4100, 1.05), ("device", "mobile", 2500, 0.9),
                ("device", "tablet", 500, 0.97), ("segment", "regular", 3300, 1.02), ("segment", "new", 2900, 0.92),
                ("segment", "vip", 900, 1.1)]
    for dimension, segment, start, factor in segments:
        reached, continue_rates = start, [0.69 * factor, 0.81 * factor, min(0.92 * factor, 0.99), None]
        for number, (stage, rate) in enumerate(zip(STAGES, continue_rates, strict=True), start=1):
            # the last stage has no next one: continued, dropped and drop rate are missing (NULL)
            continued = None if rate is None else round(reached * rate)
            dropped = None if rate is None else round((reached - continued) * 0.7)
            rows.append({"dimension": dimension, "segment": segment, "stage_number": number, "stage": stage,
                         "n_reached": reached, "n_continued": continued, "n_dropped": dropped,
                         "drop_rate": None if rate is None else dropped / reached,
                         "conversion_from_start": reached / start,
                         "median_seconds_to_next": [320.0, 95.0, 610.0, None][number - 1]})
            reached = continued
    return pd.DataFrame(rows)


def _friction() -> pd.DataFrame:
    rows = [
        ("Create Account (web)", "abandonment", 221, 0.0, 0.988, 207.6, "drop-offs above the channel's usual rate",
         "30% of journeys that reached Create Account on web ended there, against 3% on other web pages."),
        ("Checkout Payment (web) → call: payment_issue (call_center)", "digital_to_call", 176, 0.863, 0.997, 176.0,
         "journeys sent to a call", "176 journeys called about a payment issue within 24 h of paying on web."),
        ("Checkout Shipping (app) → Cart (app)", "loop", 564, 0.750, 0.991, 136.3, "journeys lost",
         "564 app journeys went back from Checkout Shipping to Cart; 75% of them converted, against 99%."),
        ("Checkout Shipping (app)", "abandonment", 116, 0.0, 0.984, 96.2, "drop-offs above the channel's usual rate",
         "9% of app journeys that reached Checkout Shipping ended there."),
        ("Product Listing (web)", "abandonment", 137, 0.0, 0.869, 65.6, "drop-offs above the channel's usual rate",
         "137 journeys ended on a product listing."),
        ("Checkout Payment (app) → call: payment_issue (call_center)", "digital_to_call", 53, 0.882, 0.998, 53.0,
         "journeys sent to a call", "53 app journeys called about a payment issue after paying."),
        ("Home (web)", "abandonment", 94, 0.0, 0.877, 39.4, "drop-offs above the channel's usual rate",
         "94 journeys ended on the home page."),
        ("Search Results (web)", "abandonment", 102, 0.0, 0.866, 31.4, "drop-offs above the channel's usual rate",
         "102 journeys ended on search results."),
    ]
    return pd.DataFrame([
        {"friction_rank": rank, "touchpoint": touchpoint, "signal": signal, "n_journeys_affected": n,
         "share": n / 7753, "conversion_rate_with": with_, "conversion_rate_without": without,
         "conversion_impact": with_ - without, "score": score, "score_basis": basis, "evidence": evidence,
         "example_journey_ids": [f"cu_{rank:02d}{i:014x}-j{i % 3 + 1}" for i in range(1, 6)]}
        for rank, (touchpoint, signal, n, with_, without, score, basis, evidence) in enumerate(rows, start=1)])


def _drivers() -> pd.DataFrame:
    rows = [
        (1, "Create Account (web)", "abandonment", "segment", "new", 168, 0.42, 0.11, 3.8, 5.9, 1e-9, 4e-8, True),
        (1, "Create Account (web)", "abandonment", "device", "mobile", 97, 0.36, 0.24, 1.5, 1.8, 0.004, 0.012, True),
        (1, "Create Account (web)", "abandonment", "country", "IE", 12, 0.33, 0.30, 1.1, 1.2, 0.61, 0.8, False),
        (2, "Checkout Payment (web) → call: payment_issue (call_center)", "digital_to_call", "device", "desktop",
         140, 0.061, 0.032, 1.9, 2.0, 2e-5, 1e-4, True),
        (3, "Checkout Shipping (app) → Cart (app)", "loop", "os", "iOS 17", 402, 0.71, 0.38, 1.87, 4.0, 1e-12, 1e-11,
         True),
        (3, "Checkout Shipping (app) → Cart (app)", "loop", "segment", "vip", 80, 0.30, 0.25, 1.2, 1.3, 0.21, 0.42,
         False),
        (4, "Checkout Shipping (app)", "abandonment", "segment", "regular", 40, 0.08, 0.09, 0.9, 0.88, 0.7, 0.9,
         False),
    ]
    columns = ["friction_rank", "touchpoint", "signal", "attribute", "value", "n_affected_with_value",
               "rate_with_value", "rate_without_value", "lift", "odds_ratio", "p_value", "q_value", "is_significant"]
    drivers = pd.DataFrame(rows, columns=columns)
    drivers["statement"] = [
        f"{r.attribute} = {r.value}: {r.rate_with_value:.0%} of these journeys have it, against "
        f"{r.rate_without_value:.0%} of the others" for r in drivers.itertuples()]
    return drivers


def _emotion() -> pd.DataFrame:
    stage = [("browse", 0.32, 4.3), ("basket", 0.28, 4.1), ("checkout", -0.21, 3.2), ("purchase", 0.55, 4.6)]
    rows = [{"curve": "stage", "position": i, "label": label, "n_events": 900 - 150 * i, "mean_sentiment": s,
             "n_rated": 120 - 20 * i, "mean_csat": csat, "share_negative": max(0.05, 0.3 - s / 2),
             "is_valley": label == "checkout", "is_peak": label == "purchase"}
            for i, (label, s, csat) in enumerate(stage, start=1)]
    weekly = [0.18, 0.21, 0.15, 0.09, -0.04, 0.02, 0.12, 0.16, 0.19]
    rows += [{"curve": "week", "position": i, "label": f"2026-W{5 + i:02d}", "n_events": 110, "mean_sentiment": s,
              "n_rated": 14, "mean_csat": 4.0 + s, "share_negative": 0.2, "is_valley": i == 5, "is_peak": i == 2}
             for i, s in enumerate(weekly, start=1)]
    touchpoints = [("call: payment_issue", -0.62, 0.81), ("call: delivery_delay", -0.41, 0.66),
                   ("call: returns", -0.18, 0.44), ("store: return", -0.05, 0.30), ("call: order_status", 0.04, 0.25),
                   ("call: product_question", 0.35, 0.08), ("store: purchase", 0.52, 0.03)]
    rows += [{"curve": "touchpoint", "position": i, "label": label, "n_events": 80, "mean_sentiment": s,
              "n_rated": 0, "mean_csat": None, "share_negative": neg, "is_valley": False, "is_peak": False}
             for i, (label, s, neg) in enumerate(touchpoints, start=1)]
    return pd.DataFrame(rows)


def _changes() -> pd.DataFrame:
    rows = [
        ("grown_finding", "loop: Checkout Shipping (app) → Cart (app)", 0.051, 0.073, 0.022, 2e-6, True, 1,
         "grew: loop: Checkout Shipping (app) → Cart (app), 5.1% → 7.3% of journeys (+43%, p = < 0.001)"),
        ("new_finding", "abandonment: Create Account (web)", None, 0.029, None, None, True, 2,
         "new friction: abandonment: Create Account (web), 221 journeys (2.9%)"),
        ("conversion_dropped", "stage checkout", 0.945, 0.912, -0.033, 4e-4, True, 3,
         "conversion after stage checkout dropped: 94.5% → 91.2% (−3.3 points, p = < 0.001)"),
        ("shrunk_finding", "abandonment: Home (web)", 0.019, 0.012, -0.007, 0.004, False, None,
         "shrank: abandonment: Home (web), 1.9% → 1.2% of journeys (−37%, p = 0.004)"),
    ]
    columns = ["kind", "subject", "before", "after", "change", "p_value", "is_alert", "alert_rank", "message"]
    return pd.DataFrame(rows, columns=columns)


def _dropoff_paths() -> pd.DataFrame:
    """Shaped like marts.dropoff_paths: the last steps that led to each drop-off point, the
    first touchpoint of the customer's next journey, and those who did not come back."""
    rows = []
    for rank, activity, channel, n_dropped in [(1, "Create Account", "web", 221), (2, "Product Listing", "web", 137),
                                               (3, "Checkout Shipping", "app", 116)]:
        point = {"drop_off_rank": rank, "drop_off_channel": channel, "drop_off_activity": activity,
                 "n_dropped": n_dropped}
        here = f"{activity} ({channel})"
        led = [([f"Cart ({channel})", f"Checkout Started ({channel})", here], 0.41),
               ([f"Product Detail ({channel})", f"Search Results ({channel})", here], 0.27), ([here], 0.09)]
        back = [(f"Home ({channel})", 0.22, 410.5, 0.8), ("call: account_help (call_center)", 0.08, 5.2, 0.3)]
        rows += [{**point, "kind": "led_there", "path": path, "n_journeys": round(n_dropped * share), "share": share,
                  "median_hours_to_return": None, "n_converted_after": None} for path, share in led]
        rows += [{**point, "kind": "came_back_with", "path": [first], "n_journeys": round(n_dropped * share),
                  "share": share, "median_hours_to_return": hours, "n_converted_after": round(n_dropped * share * conv)}
                 for first, share, hours, conv in back]
        rows.append({**point, "kind": "did_not_return", "path": [], "n_journeys": round(n_dropped * 0.7),
                     "share": 0.7, "median_hours_to_return": None, "n_converted_after": None})
    return pd.DataFrame(rows)


class _Census(HTMLParser):
    """Counts what the tests look for: h2 texts, SVG charts, Sankey links, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.n_charts = self.n_links = self.n_scripts = 0
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        self.n_charts += tag == "svg" and "chart" in classes
        self.n_links += tag == "path" and "link" in classes
        self.n_scripts += tag == "script"
        self._in_h2 = self._in_h2 or tag == "h2"
        if tag == "h2":
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_h2 = self._in_h2 and tag != "h2"

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings[-1] += data


def census(html_text: str) -> _Census:
    parsed = _Census()
    parsed.feed(html_text)
    return parsed


def content_rows(png: bytes) -> tuple[int, int]:
    """(rows that are not one flat colour, all rows) of an 8-bit, non-interlaced PNG.

    Only zlib and struct: each scanline is a filter byte and filtered pixels. Whatever the
    filter, a row of one colour filters to the same pixel repeated after its first pixel
    (None, Sub, Up, Average and Paeth all predict it exactly), so a row whose filtered
    pixels vary there shows something. Rows under a varied row can count too (Up), which
    is fine for telling a page from a blank one.
    """
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        data = png[position + 8:position + 8 + length]
        header = data if kind == b"IHDR" else header
        chunks += [data] if kind == b"IDAT" else []
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and interlace == 0, f"unexpected PNG: bit depth {depth}, interlace {interlace}"
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(b"".join(chunks))
    stride = 1 + width * bpp
    varied = 0
    for y in range(height):
        pixels = raw[y * stride + 1 + bpp:(y + 1) * stride]
        varied += pixels != pixels[:bpp] * (width - 1)
    return varied, height


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(realistic_report_data(), tmp_path_factory.mktemp("report") / "friction_report.html")


def test_chromium_builds_every_section_and_chart(report_file: Path) -> None:
    """The DOM Chromium builds has the seven section headings, as many SVG charts as the page
    holds (12: flow, funnel, six segment funnels, sentiment and CSAT by stage, weeks,
    touchpoints), one path per Sankey link, and no script (the hostile activity name stayed
    text)."""
    dom = census(dump_dom(report_file))
    written = census(report_file.read_text(encoding="utf-8"))
    layout = sankey_layout(realistic_report_data().variants, top_k=SANKEY_TOP_PATHS, max_steps=SANKEY_MAX_STEPS)
    assert [h.strip() for h in dom.headings] == [title for _, title in SECTIONS]
    assert dom.n_charts == written.n_charts == 12
    assert dom.n_links == len(layout.links) > SANKEY_TOP_PATHS
    assert dom.n_scripts == 0


def test_screenshot_is_not_blank(report_file: Path, tmp_path: Path) -> None:
    """A 1280 × 2400 screenshot exists and most of its rows show something (a blank page is
    flat); with Pillow installed, it also has the many colours of the charts."""
    png = screenshot(report_file, tmp_path / "report.png", width=1280, height=2400)
    varied, height = content_rows(png.read_bytes())
    assert height == 2400
    assert varied > 0.5 * height, f"only {varied} of {height} screenshot rows show anything"
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 100, f"only {len(colours)} colours: the charts did not render"
