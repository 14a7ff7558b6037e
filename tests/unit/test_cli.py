"""The command line: user errors are one clear line and exit code 2; `sample` writes every source;
every command's help says what it does, its defaults and what it writes; `sql -c` answers."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import duckdb
import pytest

from journeymine.cli import _parser, main
from journeymine.outputs.publish import write_analytics_db


def test_a_missing_config_is_reported_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`journeymine run` on a config that does not exist says so and exits 2, before Prefect starts."""
    code = main(["run", "--config", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("journeymine: error: config file not found:") and "Traceback" not in err


def test_a_bad_config_key_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown key is named with its dotted path and the keys allowed there."""
    config = tmp_path / "bad.yaml"
    config.write_text("output_dir: o\ndatabase: d.duckdb\nsources:\n  web: {path: 'w/*', preset: segment, chanel: web}\n")
    assert main(["run", "--config", str(config)]) == 2
    assert "sources.web: unknown key 'chanel'; expected one of" in capsys.readouterr().err


def test_sample_writes_every_source_folder(tmp_path: Path) -> None:
    """`journeymine sample` writes web, app, calls, store and crm files."""
    assert main(["sample", "--customers", "30", "--days", "7", "--seed", "1", "--out", str(tmp_path)]) == 0
    for folder in ("web", "app", "calls", "store", "crm"):
        assert any((tmp_path / folder).iterdir()), folder


COMMANDS = ("run", "mine", "funnel", "export", "sample", "sql", "show", "server", "serve")
README = Path(__file__).resolve().parents[2] / "README.md"
OUTPUT_SUFFIXES = (".parquet", ".duckdb", ".json", ".html", ".bpmn", ".pnml", ".gz")


def subcommand(name: str) -> argparse.ArgumentParser:
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[name]


def test_every_command_is_in_the_help() -> None:
    assert set(COMMANDS) <= set(next(a for a in _parser()._actions
                                     if isinstance(a, argparse._SubParsersAction)).choices)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_has_a_description_its_defaults_and_its_outputs(name: str) -> None:
    """`journeymine NAME --help` says what the command does, what it writes (or that it writes
    nothing), the default of every option that is not required, and the exit codes."""
    parser = subcommand(name)
    assert parser.description and len(parser.description) > 100, name
    assert "Writes into" in parser.description or "writes nothing" in parser.description, name
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.required:
            continue
        if action.option_strings or action.nargs in ("?", "*"):
            assert "(default" in (action.help or "") or "by default" in (action.help or ""), (name, action.dest)
    text = parser.format_help()
    assert "exit codes:" in text and "usage: journeymine " + name in text


@pytest.mark.parametrize("name", ["run", "mine", "export"])
def test_the_outputs_a_command_writes_are_the_readmes(name: str) -> None:
    """Every file a command's help says it writes is one the README describes."""
    readme = README.read_text(encoding="utf-8")
    words = [word.rstrip(".") for word in re.findall(r"[\w.]+", subcommand(name).description or "")]
    written = [word for word in words if "." in word and word.endswith(OUTPUT_SUFFIXES)]
    assert written, name
    for file_name in written:  # `journeys.parquet`, `log_rejects` in a list, `process_model.bpmn`, `.pnml`
        stem, suffix = file_name.split(".", 1)
        assert (f"`{file_name}`" in readme or f"`{file_name.removesuffix('.parquet')}`" in readme
                or (f"`{stem}." in readme and f"`.{suffix}`" in readme)), (name, file_name)


def test_sql_runs_a_statement_and_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`journeymine sql -c` prints the result and exits 0; a bad statement is one line and exit code 2."""
    out = tmp_path / "out"
    out.mkdir()
    duckdb.sql(f"COPY (SELECT 'c1' AS customer_id, 'c1-j1' AS journey_id, now() AS started_at, now() AS ended_at, "
               "'converted' AS outcome, ['Home', 'Cart'] AS path, NULL::VARCHAR AS drop_off_activity) "
               f"TO '{out / 'journeys.parquet'}' (FORMAT parquet)")
    write_analytics_db(out, ["journeys"])
    assert main(["sql", "--out", str(out), "--format", "csv", "-c", "SELECT path, n_journeys FROM paths_from('Home', 2)"]) == 0
    assert capsys.readouterr().out == "path,n_journeys\n\"[Home, Cart]\",1\n"
    assert main(["sql", "--out", str(out), "-c", "SELECT nope FROM journeys"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("journeymine: error: -c 'SELECT nope FROM journeys': Binder Error: ")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_sql_and_show_without_a_published_run_say_what_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("sql", "show"):
        assert main([command, "--out", str(tmp_path / "nothing"), *(["-c", "SELECT 1"] if command == "sql" else [])]) == 2
        assert "no published run in" in capsys.readouterr().err
