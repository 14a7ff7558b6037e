"""The pieces every chart is drawn with: the opening <svg> tag and one line of text."""

from __future__ import annotations

from journeymine.outputs.report.format import INK, esc


def svg_open(width: float, height: float, label: str, cls: str = "chart") -> str:
    """The opening <svg> tag: drawn in a width × height viewBox, never wider than `width` px."""
    return (f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'style="max-width:{width:.0f}px" role="img" aria-label="{esc(label)}">')


def svg_text(x: float, y: float, text: str, *, anchor: str = "start", size: float = 12,
             fill: str = INK, weight: int = 400, cls: str = "") -> str:
    """One line of SVG text (escaped), vertically centred on y."""
    extra = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="central" '
            f'font-size="{size}" fill="{fill}" font-weight="{weight}"{extra}>{esc(text)}</text>')
