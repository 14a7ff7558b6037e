"""The audit of who is who between runs: merges, splits and re-keyed customers.

Every run stitches all staged records again, so a login that reveals who an anonymous visitor
was re-keys the visitor's earlier events in that run by itself. This module makes it visible:
the stitch step compares this run's identity map with the one the previous *published* run
kept (`identity.identity_map`, `identity.identity_sets_resolved`, `identity.snapshot`; hashed
identifiers only) and writes `stitched.identity_changes`; publishing stamps the run id on it
and adds it to the history (`identity.identity_changes`, published as `identity_changes`);
only then does this run's map become the one the next run compares with (`keep_identity`).
A run that fails before it publishes leaves the previous state as it was.

    stitched.identity_map ┐
    identity.identity_map ┴─ sql/stitched/int_identity_changes.sql ─▶ stitched.identity_changes
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journeymine.db import Warehouse

# the columns of one change, as sql/stitched/int_identity_changes.sql gives them
CHANGE_COLUMNS = """
    previous_run_id VARCHAR, kind VARCHAR, previous_customer_ids VARCHAR[], customer_ids VARCHAR[],
    n_identifiers_moved BIGINT, identifier_kinds VARCHAR[], n_events_rekeyed BIGINT, reason VARCHAR,
    n_set_aside BIGINT, n_linking_records BIGINT, linking_source VARCHAR, linking_event_id VARCHAR,
    linking_occurred_at TIMESTAMPTZ, linking_identifier_kinds VARCHAR[]
"""


@dataclass(frozen=True)
class IdentityChanges:
    """What changed in who is who since the previous published run (none on a first run)."""

    previous_run_id: str | None
    n_merges: int
    n_splits: int
    n_rekeys: int
    # events the previous run published under another customer_id, each counted once
    n_events_rekeyed: int

    def to_dict(self) -> dict[str, Any]:
        return {"previous_run_id": self.previous_run_id, "n_merges": self.n_merges, "n_splits": self.n_splits,
                "n_rekeys": self.n_rekeys, "n_events_rekeyed": self.n_events_rekeyed}


def create_identity_tables(wh: Warehouse) -> None:
    """The identity state a published run keeps for the next one (empty before the first)."""
    wh.execute("CREATE TABLE IF NOT EXISTS identity.snapshot (run_id VARCHAR, kept_at TIMESTAMPTZ)")
    wh.execute("CREATE TABLE IF NOT EXISTS identity.identity_map "
               "(identifier VARCHAR, kind VARCHAR, customer_id VARCHAR, is_shared BOOLEAN)")
    wh.execute("CREATE TABLE IF NOT EXISTS identity.identity_sets_resolved (identity_key UBIGINT, customer_id VARCHAR)")
    wh.execute(f"CREATE TABLE IF NOT EXISTS identity.identity_changes (run_id VARCHAR, {CHANGE_COLUMNS})")


def compare_identities(wh: Warehouse) -> IdentityChanges:
    """`stitched.identity_changes`: this run's identity map (stitched.identity_map,
    stitched.identity_sets_resolved) against the previous published run's; returns the counts.
    Set-based SQL; when no run was published before, nothing is read."""
    create_identity_tables(wh)
    previous = wh.rows("SELECT run_id FROM identity.snapshot")
    if not previous:
        wh.execute(f"CREATE OR REPLACE TABLE stitched.identity_changes ({CHANGE_COLUMNS})")
        return IdentityChanges(None, 0, 0, 0, 0)
    wh.build("stitched.identity_changes", "stitched/int_identity_changes")
    counts = dict(wh.rows("SELECT kind, count(*) FROM stitched.identity_changes GROUP BY kind"))
    return IdentityChanges(
        previous_run_id=str(previous[0][0]),
        n_merges=int(counts.get("merge", 0)),
        n_splits=int(counts.get("split", 0)),
        n_rekeys=int(counts.get("rekey", 0)),
        n_events_rekeyed=count_rekeyed_events(wh),
    )


def count_rekeyed_events(wh: Warehouse) -> int:
    """Events the previous published run gave another customer_id than this run does (each once:
    an event may be in a split and a merge of the same run)."""
    return int(wh.scalar(
        """
        SELECT count(*)
        FROM staged.events AS events
        JOIN identity.identity_sets_resolved AS previous_sets USING (identity_key)
        JOIN stitched.identity_sets_resolved AS current_sets USING (identity_key)
        JOIN meta.loaded_files AS files USING (file_id)
        WHERE previous_sets.customer_id <> current_sets.customer_id
          AND files.loaded_at <= (SELECT kept_at FROM identity.snapshot)
        """
    ))


def build_identity_history(wh: Warehouse, run_id: str) -> int:
    """`marts.identity_changes`: the changes of every published run so far and this run's
    (stamped with `run_id`), oldest run first; returns this run's number of changes."""
    create_identity_tables(wh)
    if not wh.table_exists("stitched", "identity_changes"):  # outputs published without a stitch
        wh.execute(f"CREATE TABLE stitched.identity_changes ({CHANGE_COLUMNS})")
    wh.execute(
        """
        CREATE OR REPLACE TABLE marts.identity_changes AS
        SELECT * FROM identity.identity_changes WHERE run_id <> $run_id
        UNION ALL BY NAME
        SELECT $run_id AS run_id, * FROM stitched.identity_changes
        """,
        {"run_id": run_id},
    )
    return int(wh.scalar("SELECT count(*) FROM stitched.identity_changes"))


def keep_identity(wh: Warehouse, run_id: str) -> None:
    """Once the run is published: its changes join the history and its identity map becomes the
    one the next run compares with. The caller holds the transaction (with the run's record)."""
    create_identity_tables(wh)
    wh.execute("DELETE FROM identity.identity_changes WHERE run_id = $run_id", {"run_id": run_id})
    wh.execute("INSERT INTO identity.identity_changes BY NAME "
               "SELECT $run_id AS run_id, * FROM stitched.identity_changes", {"run_id": run_id})
    wh.execute("CREATE OR REPLACE TABLE identity.identity_map AS "
               "SELECT identifier, kind, customer_id, is_shared FROM stitched.identity_map")
    wh.execute("CREATE OR REPLACE TABLE identity.identity_sets_resolved AS "
               "SELECT identity_key, customer_id FROM stitched.identity_sets_resolved")
    wh.execute("DELETE FROM identity.snapshot")
    wh.execute("INSERT INTO identity.snapshot VALUES ($run_id, now())", {"run_id": run_id})

