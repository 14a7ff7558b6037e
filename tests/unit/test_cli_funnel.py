"""`journeymine funnel`: a funnel over a run's analytics.duckdb, printed as a table; user errors
are one line and exit code 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from journeymine.cli import main

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def write_run_outputs(out: Path, journeys: dict[str, list[str]],
                      attributes: dict[str, dict[str, str]] | None = None) -> None:
    """A tiny analytics.duckdb in `out` as a run publishes it: events (one per step, a minute
    apart, journey k starting k days after T0), journeys (all abandoned) and, when given,
    journey_attributes."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(out / "analytics.duckdb"))
    try:
        con.execute("CREATE TABLE events (journey_id VARCHAR, customer_id VARCHAR, step_number BIGINT, "
                    "channel VARCHAR, activity VARCHAR, occurred_at TIMESTAMPTZ, event_seq BIGINT)")
        con.execute("CREATE TABLE journeys (journey_id VARCHAR, customer_id VARCHAR, outcome VARCHAR, "
                    "started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ)")
        seq = 0
        for k, (journey_id, activities) in enumerate(journeys.items()):
            start = T0 + timedelta(days=k)
            for n, activity in enumerate(activities, start=1):
                seq += 1
                con.execute("INSERT INTO events VALUES (?, ?, ?, 'web', ?, ?, ?)",
                            [journey_id, f"cu-{journey_id}", n, activity, start + timedelta(minutes=n - 1), seq])
            con.execute("INSERT INTO journeys VALUES (?, ?, 'abandoned', ?, ?)",
                        [journey_id, f"cu-{journey_id}", start, start + timedelta(minutes=len(activities) - 1)])
        if attributes is not None:
            con.execute("CREATE TABLE journey_attributes (journey_id VARCHAR, attribute VARCHAR, value VARCHAR)")
            for journey_id, values in attributes.items():
                for attribute, value in values.items():
                    con.execute("INSERT INTO journey_attributes VALUES (?, ?, ?)", [journey_id, attribute, value])
    finally:
        con.close()


SHOP = {
    "j1": ["Product Detail", "Cart", "Checkout Started"],
    "j2": ["Product Detail", "Cart", "Product Detail", "Checkout Started"],  # back to the product
    "j3": ["Product Detail", "Help"],
    "j4": ["Cart"],  # never enters
}
STAGES = ["--stage", "Product Detail", "--stage", "Cart", "--stage", "Checkout Started"]


def table_rows(output: str) -> dict[str, list[str]]:
    """The printed stage rows as {stage: the other cells}, for one-word stage names."""
    return {line.split()[0]: line.split()[1:] for line in output.splitlines()
            if line.split() and line.split()[0] in {"Product", "Cart", "Checkout", "browse", "basket", "/product/{id}"}}


def test_the_funnel_of_stages_given_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each stage with the journeys reached, continued, dropped and pending, the drop rate, the
    share of those entering, and the median time to the next stage."""
    write_run_outputs(tmp_path / "out", SHOP)
    assert main(["funnel", "--out", str(tmp_path / "out"), *STAGES]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert rows["Product"] == ["Detail", "3", "2", "1", "0", "33.3%", "100.0%", "1.0", "min"]
    assert rows["Cart"] == ["2", "2", "0", "0", "0.0%", "66.7%", "1.5", "min"]
    assert rows["Checkout"] == ["Started", "2", "-", "-", "-", "-", "66.7%", "-"]


def test_strict_ordering_and_a_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--ordering strict: going back to the product after the cart stops the journey at the cart."""
    write_run_outputs(tmp_path / "out", SHOP)
    assert main(["funnel", "--out", str(tmp_path / "out"), *STAGES, "--ordering", "strict",
                 "--window-hours", "1"]) == 0
    output = capsys.readouterr().out
    assert "strict order, within 1 h of entering" in output
    assert table_rows(output)["Cart"][:3] == ["2", "1", "1"]


def test_a_breakdown_by_a_journey_attribute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--by prints the funnel per segment of the attribute with enough entering journeys."""
    write_run_outputs(tmp_path / "out", SHOP, {
        "j1": {"platform": "web/Windows"}, "j2": {"platform": "web/Windows"}, "j3": {"platform": "app/iOS"},
    })
    assert main(["funnel", "--out", str(tmp_path / "out"), *STAGES, "--by", "platform", "--min-journeys", "2"]) == 0
    output = capsys.readouterr().out
    assert "platform = web/Windows" in output and "app/iOS" not in output
    windows = output[output.index("platform = web/Windows"):]
    assert table_rows(windows)["Product"][:4] == ["Detail", "2", "2", "0"]


def test_the_stages_of_a_config_journey_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--config takes the journey_map stages and the output folder of the config."""
    write_run_outputs(tmp_path / "out", SHOP)
    config = tmp_path / "journeymine.yaml"
    config.write_text(
        "output_dir: out\ndatabase: work.duckdb\nsources:\n  web: {path: 'web/*', preset: segment, channel: web}\n"
        "journey_map:\n  stages:\n"
        "    - {name: browse, activities: ['Product Detail', 'Help']}\n"
        "    - {name: basket, activities: [Cart]}\n",
        encoding="utf-8",
    )
    assert main(["funnel", "--config", str(config)]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert rows["browse"][:4] == ["3", "2", "1", "0"]
    assert rows["basket"][:1] == ["2"]


def test_activities_are_named_as_the_run_names_its_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """URLs become templates on both sides, as the run's label hygiene does: a stage given as
    one product's URL matches every product page."""
    write_run_outputs(tmp_path / "out", {"j1": ["/product/123", "Cart"], "j2": ["/product/456?ref=mail"]})
    assert main(["funnel", "--out", str(tmp_path / "out"), "--stage", "https://shop.example/product/9",
                 "--stage", "Cart"]) == 0
    assert table_rows(capsys.readouterr().out)["/product/{id}"][:3] == ["2", "1", "1"]


@pytest.mark.parametrize(("args", "message"), [
    (["--stage", "Cart"], "funnel stages: expected at least 2 stages in order, found 1 ('Cart')"),
    ([*STAGES, "--by", "platfrom"], "--by: unknown journey attribute 'platfrom'; expected one of platform, segment"),
    ([*STAGES, "--window-hours", "0"], "--window-hours: expected a positive number of hours, found 0"),
])
def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                  message: str) -> None:
    write_run_outputs(tmp_path / "out", SHOP, {"j1": {"platform": "web/Windows", "segment": "loyal"}})
    assert main(["funnel", "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert err == f"journeymine: error: {message}\n"


def test_a_folder_without_outputs_says_to_run_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["funnel", "--out", str(tmp_path / "nothing"), *STAGES]) == 2
    err = capsys.readouterr().err
    assert err.startswith("journeymine: error: no analytics.duckdb in ")
    assert "run `journeymine run` first" in err and "Traceback" not in err


def test_a_run_without_journey_attributes_cannot_be_broken_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run_outputs(tmp_path / "out", SHOP)
    assert main(["funnel", "--out", str(tmp_path / "out"), *STAGES, "--by", "platform"]) == 2
    assert "this run published no journey attributes" in capsys.readouterr().err
