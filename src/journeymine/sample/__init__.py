"""Seeded synthetic sample data in every input format, with planted journey stories.

`write_sample(out_dir, customers=..., days=..., seed=...)` writes Segment JSON lines (web,
app), call-center contacts, store transactions and a CRM table, as described in
docs/input-formats.md and data/sample/README.md.
"""

from .generate import SampleSummary, write_sample

__all__ = ["SampleSummary", "write_sample"]
