"""The report's stylesheet: one inline <style>, printable on white, no web fonts."""

CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f4f6f8;--card:#fff;--accent:#3b6fb6;--good:#2f9e6e;
--bad:#c2413a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,"Liberation Sans",sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1200px;margin:0 auto;padding:28px 28px 40px}
h1{font-size:26px;line-height:1.2;margin:2px 0 6px;font-weight:650;letter-spacing:-.01em}
h2{font-size:19px;margin:0 0 6px;font-weight:650}
h3{font-size:15px;margin:22px 0 10px;font-weight:650}
h4{font-size:14px;margin:0 0 10px;font-weight:650}
h4 span{color:var(--muted);font-weight:400;margin-left:6px}
h5{font-size:12px;margin:0 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.lede{color:var(--muted);margin:0 0 16px;max-width:900px}
.lede strong{color:var(--ink)}
.eyebrow{color:var(--accent);font-weight:650;font-size:12px;text-transform:uppercase;letter-spacing:.08em}
code{font:12px ui-monospace,"DejaVu Sans Mono",Menlo,monospace;background:#eef1f4;border-radius:4px;padding:1px 5px}
header.top{padding:8px 0 4px}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin:18px 0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.kpi .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.kpi .value{font-size:28px;font-weight:650;line-height:1.25}
.kpi .note{color:var(--muted);font-size:12.5px}
.alerts{background:#fff6f5;border:1px solid #f3cdc9;border-left:4px solid var(--bad);border-radius:10px;
padding:12px 18px}
.alerts.calm{background:var(--card);border-color:var(--line);border-left-color:var(--good)}
.alerts h3{margin:2px 0 6px}
.alerts ol{margin:4px 0 4px;padding-left:22px}
.alerts p{margin:2px 0;color:var(--muted)}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 18px;margin:16px 0 6px;font-size:13px}
nav.toc a{color:var(--accent);text-decoration:none}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:22px 26px;margin:16px 0}
figure{margin:0 0 8px}
figcaption{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;margin-bottom:4px}
svg.chart{display:block;width:100%;height:auto}
svg .link:hover{stroke-opacity:.8}
svg.spark{display:inline-block;vertical-align:middle;width:auto;height:auto}
.legend{display:flex;gap:16px;font-size:12.5px;color:var(--muted);margin-top:4px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.empty{color:var(--muted);font-style:italic;margin:6px 0}
.muted{color:var(--muted)}
.small{font-size:12px}
.bad{color:var(--bad);font-weight:600}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}
.multiples .card{margin:0;padding:10px 12px}
.card{border:1px solid var(--line);border-radius:10px;padding:12px 16px;margin:0 0 12px;background:#fff}
.card-title{font-weight:650;margin-bottom:6px}
.card-title span{display:block;font-weight:400;color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);
padding:6px 10px}
td{border-bottom:1px solid var(--line);padding:9px 10px;vertical-align:top}
tr:last-child td{border-bottom:none}
.num{text-align:right;white-space:nowrap}
td.rank{color:var(--muted);font-weight:600}
.touchpoint{font-weight:600}
.evidence{color:var(--muted);font-size:12.5px}
th.what{width:40%}
td.score{white-space:nowrap;min-width:180px}
td.score span{margin-left:8px;font-weight:600}
td.score div{white-space:normal}
td.examples code{display:block;margin:0 0 3px;width:max-content}
td.examples .muted{font-size:12px}
td.lift{white-space:nowrap;width:220px}
td.pq{width:190px;color:var(--muted)}
td.lift span{margin-left:8px}
table.drivers td{padding:6px 10px;font-size:13px}
tr.faint td{color:var(--muted)}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.loop{background:#fdf0d5;color:#8a5a00}
.badge.digital_to_call{background:#e3ecfa;color:#2a4f8f}
.badge.abandonment{background:#fbe3e1;color:#9f2f29}
.badge.repeat_contact{background:#e6f4f1;color:#1d6b5c}
.badge.long_wait{background:#f3ecfb;color:#5b3d8f}
.badge.negative_sentiment{background:#fce8f1;color:#962a5c}
.badge.error_event{background:#fbe3e1;color:#7d231e}
.badge.call_abandoned{background:#fdeede;color:#8c4a12}
.badge.other{background:#eef1f4;color:#3e4c59}
.rank{color:var(--muted);margin-right:4px}
.tag{display:inline-block;font-size:11px;padding:0 7px;border-radius:4px;background:#eef1f4;color:#3e4c59;
margin-left:4px}
.tag.sig{background:#e0f2e9;color:#1f6f4c}
.tag.alert{background:#fbe3e1;color:#9f2f29;font-weight:600;margin:0 6px 0 0}
ul.changes{list-style:none;padding:0;margin:0}
ul.changes li{padding:7px 0;border-bottom:1px solid var(--line)}
table.paths th{padding:4px 8px}
table.paths td{padding:5px 8px;font-size:13px}
.step{display:inline-block;background:#eef2f7;border-radius:4px;padding:0 6px;font-size:12px;margin:1px 0}
.step.more{background:none;color:var(--muted)}
.arrow{color:var(--muted);margin:0 3px;font-size:12px}
.facts{font-size:12.5px;color:var(--muted);margin:8px 8px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media (max-width:800px){.kpis{grid-template-columns:1fr 1fr}.grid2{grid-template-columns:1fr}}
@media print{
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  body{background:#fff;font-size:12px}
  main{max-width:none;padding:0}
  nav.toc{display:none}
  section{border:none;border-top:2px solid var(--line);border-radius:0;padding:14px 0;margin:0}
  figure,.card,.kpi,.alerts,tr{break-inside:avoid}
  h2,h3,h4{break-after:avoid}
}
"""
