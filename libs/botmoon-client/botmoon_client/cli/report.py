"""A backtest as one self-contained HTML file: the metrics, the equity curve (inline SVG) and the trades."""

import html
from typing import Any

WIDTH, HEIGHT, PAD = 960, 320, 40


def _svg(points: list[dict[str, Any]]) -> str:
    values = [float(p["equity"]) for p in points if p.get("equity") is not None]
    if len(values) < 2:
        return "<p>No equity curve.</p>"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / (len(values) - 1)
    path = " ".join(f"{PAD + i * step:.1f},{HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD):.1f}"
                    for i, v in enumerate(values))
    first, last = html.escape(str(points[0].get("time", ""))), html.escape(str(points[-1].get("time", "")))
    return (f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="equity curve">'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fafafa"/>'
            f'<polyline fill="none" stroke="#2962ff" stroke-width="1.5" points="{path}"/>'
            f'<text x="{PAD}" y="{PAD - 10}" font-size="12">{high:,.2f}</text>'
            f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="12">{low:,.2f} · {first}</text>'
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="12" text-anchor="end">{last}</text></svg>')


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)


def render(result: dict[str, Any]) -> str:
    config = result.get("config", {})
    title = f"Backtest {result.get('backtest_id', '')}: {config.get('symbol', '')} {config.get('timeframe', '')}"
    metrics = [{"metric": k, "value": v} for k, v in (result.get("metrics") or {}).items()]
    trades = result.get("trades") or []
    columns = ["side", "entry_time", "entry_price", "exit_time", "exit_price", "exit_reason", "net_pnl", "return_pct"]
    warnings = "".join(f"<li>{html.escape(str(w))}</li>" for w in result.get("warnings") or [])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:right}}th{{background:#f0f0f0}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{html.escape(str(config.get('exchange', '')))} · {config.get('data_points', '')} candles ·
{html.escape(str(config.get('data_start', '')))} → {html.escape(str(config.get('data_end', '')))}</p>
<h2>Equity</h2>{_svg(result.get("equity_curve") or [])}
<h2>Metrics</h2>{_table(metrics, ["metric", "value"])}
{f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else ""}
<h2>Trades ({len(trades)})</h2>{_table(trades, columns)}
</body></html>
"""
