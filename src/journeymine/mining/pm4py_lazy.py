"""pm4py, imported only where process discovery or conformance runs.

pm4py is AGPL-3.0 and slow to import (about 2 s), and prints a licence banner when a
script imports it directly. journeymine imports it here, on first use, with the banner
marked as shown so it never reaches CLI output. Counting (variants, the directly-follows
graph, times) never needs pm4py: that runs in DuckDB.
"""

from __future__ import annotations

import sys
from types import ModuleType


def import_pm4py() -> ModuleType:
    """Return the `pm4py` module, importing it quietly the first time."""
    if "pm4py" not in sys.modules:
        sys._pm4py_welcome_shown = True  # type: ignore[attr-defined]  # pm4py's own flag
    import pm4py

    return pm4py
