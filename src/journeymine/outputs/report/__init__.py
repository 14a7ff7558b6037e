"""friction_report.html: the page (`page`), its sections (`paths`, `findings`), its charts
(`charts`), how it writes values (`format`) and what it reads from a run (`data`)."""

from journeymine.outputs.report.data import collect_report_data, write_run_report
from journeymine.outputs.report.page import ReportData, render_report, write_report
from journeymine.outputs.report.sections import SANKEY_MAX_STEPS, SANKEY_TOP_PATHS, SECTIONS

__all__ = [
    "SANKEY_MAX_STEPS", "SANKEY_TOP_PATHS", "SECTIONS", "ReportData", "collect_report_data", "render_report",
    "write_report", "write_run_report",
]
