"""Inline SVG charts for the friction report: plain strings, every text escaped, no scripts.

Each builder takes numbers and labels and returns one `<svg>` element drawn in its own
viewBox, so it scales to the width of its container and prints sharp. Charts carry the
class `chart`; the small bars inside table cells carry `spark`.

One module per chart: `sankey` (the top paths), `funnel`, `emotion` (the emotion curve's
line and bars), `tables` (the small bars inside table cells) and `trend` (a rate per week); `svg` holds the pieces
they share.
"""

from journeymine.outputs.report.charts.emotion import diverging_bars_svg, line_chart_svg, nice_ticks
from journeymine.outputs.report.charts.funnel import funnel_mini_svg, funnel_svg
from journeymine.outputs.report.charts.sankey import SankeyLayout, sankey_layout, sankey_svg
from journeymine.outputs.report.charts.tables import inline_bar_svg, lift_bar_svg
from journeymine.outputs.report.charts.trend import period_bars_svg

__all__ = [
    "SankeyLayout", "diverging_bars_svg", "funnel_mini_svg", "funnel_svg", "inline_bar_svg", "lift_bar_svg",
    "line_chart_svg", "nice_ticks", "period_bars_svg", "sankey_layout", "sankey_svg",
]
