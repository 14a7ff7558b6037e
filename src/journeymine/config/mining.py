"""The `mining` and `exports` sections: process discovery and the interchange files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journeymine.config import checks as check


@dataclass(frozen=True)
class MiningConfig:
    """Process discovery: pm4py's inductive miner on the top variants covering `model_coverage`."""

    model_coverage: float = 0.8
    noise_threshold: float = 0.2
    # at most this many variants go to the miner; the manifest states the coverage reached
    max_model_variants: int = 1000


@dataclass(frozen=True)
class ExportConfig:
    """Interchange files written with every run's outputs: XES (Disco, ProM, pm4py) and OCEL 2.0
    JSON. Off by default: at millions of events they cost more than the rest of the run, and
    `journeymine export` writes them from a run's outputs when they are wanted."""

    xes: bool = False
    ocel: bool = False


def parse_mining(spec: Any) -> MiningConfig:
    where = "mining"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"model_coverage", "noise_threshold", "max_model_variants"})
    defaults = MiningConfig()
    return MiningConfig(
        model_coverage=check.share(spec.get("model_coverage", defaults.model_coverage), f"{where}.model_coverage"),
        noise_threshold=check.share(
            spec.get("noise_threshold", defaults.noise_threshold), f"{where}.noise_threshold", zero_ok=True
        ),
        max_model_variants=check.whole(
            spec.get("max_model_variants", defaults.max_model_variants), f"{where}.max_model_variants", minimum=1
        ),
    )


def parse_exports(spec: Any) -> ExportConfig:
    where = "exports"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"xes", "ocel"})
    defaults = ExportConfig()
    return ExportConfig(
        xes=check.boolean(spec.get("xes", defaults.xes), f"{where}.xes"),
        ocel=check.boolean(spec.get("ocel", defaults.ocel), f"{where}.ocel"),
    )
