#!/usr/bin/env python3
"""Summarises bench/realtime.sh's results and draws them as one SVG.

Usage: realtime_plot.py RESULTS OUT.svg

RESULTS holds one line per result: `server=.. test=.. stall=.. round=..`
followed by bench/load's `key=value` pairs. Prints the medians, the ratios
the issue sets targets for, and the memory series; writes a bar chart of
lossless throughput and a line chart of resident memory with a stalled
subscriber. Standard library only.
"""

import statistics
import sys
from collections import defaultdict
from xml.sax.saxutils import escape

COLOURS = {"chat": "#1f77b4", "bare": "#7f7f7f", "node": "#2ca02c"}
NAMES = {"chat": "chat-service", "bare": "bare axum", "node": "Node ws"}


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            row = {}
            for pair in line.split():
                if "=" in pair:
                    k, v = pair.split("=", 1)
                    row[k] = v
            if "server" in row:
                rows.append(row)
    return rows


def num(row, key):
    try:
        return float(row.get(key, "0"))
    except ValueError:
        return 0.0


def summarise(rows):
    """Median delivered msg/s per (server, stall) over the search rounds."""
    runs = defaultdict(list)
    for r in rows:
        if r["test"] == "search":
            runs[(r["server"], r["stall"])].append(r)
    medians = {}
    for key, rs in runs.items():
        rates = [num(r, "msgs_per_s") for r in rs]
        p99 = [num(r, "p99_ms") for r in rs]
        medians[key] = (statistics.median(rates), statistics.median(p99), rates)
    return medians


def round_ratios(rows, test, key, other):
    """chat's `key` over `other`'s, round by round (stall 0)."""
    by_round = defaultdict(dict)
    for r in rows:
        if r["test"] == test and r["stall"] == "0":
            by_round[r["round"]][r["server"]] = num(r, key)
    return [
        v["chat"] / v[other]
        for _, v in sorted(by_round.items())
        if v.get("chat") and v.get(other)
    ]


def report(rows, medians):
    print("throughput: delivered msg/s at the highest lossless rate (median of rounds)")
    for (server, stall), (rate, p99, all_rates) in sorted(medians.items()):
        rounds = ", ".join(f"{r:,.0f}" for r in all_rates)
        print(f"  {server:5} stall={stall}  {rate:>10,.0f}  p99 {p99:6.2f} ms   rounds: {rounds}")
    chat = medians.get(("chat", "0"), (0,))[0]
    for other in ("bare", "node"):
        if (other, "0") in medians and medians[(other, "0")][0] > 0:
            ratios = round_ratios(rows, "search", "msgs_per_s", other)
            each = ", ".join(f"{r:.2f}" for r in ratios)
            print(
                f"  chat / {other}: {chat / medians[(other, '0')][0]:.2f}x of the medians; "
                f"median of the rounds' ratios {statistics.median(ratios):.2f}x ({each})"
            )
    cpu = defaultdict(list)
    for r in rows:
        if r["test"] == "cpu" and r.get("server_ns", "-") != "-":
            cpu[(r["server"], r["stall"])].append(r)
    if cpu:
        rate = next(r["rate"] for r in rows if r["test"] == "cpu")
        print(f"server processor time per delivery at {rate} msg/s (median of rounds)")
        for (server, stall), rs in sorted(cpu.items()):
            ns = [num(r, "server_ns") for r in rs]
            each = ", ".join(f"{n:.0f}" for n in ns)
            p99 = statistics.median(num(r, "p99_ms") for r in rs)
            complete = ", ".join(r.get("complete", "?") for r in rs)
            print(
                f"  {server:5} stall={stall} {statistics.median(ns):6.0f} ns  p99 {p99:6.2f} ms   "
                f"rounds: {each}   complete: {complete}"
            )
        if ("chat", "0") in cpu and ("bare", "0") in cpu:
            ratios = [1 / r for r in round_ratios(rows, "cpu", "server_ns", "bare") if r]
            print(
                f"  bare / chat: {statistics.median(ratios):.2f} "
                "(the share of the ceiling's capacity when processor time is the limit)"
            )
    for server in ("chat", "bare", "node"):
        if (server, "0") in medians and (server, "1") in medians and medians[(server, "0")][0]:
            change = medians[(server, "1")][0] / medians[(server, "0")][0] - 1
            print(f"  {server}: one stalled subscriber changes throughput by {change:+.1%}")
    print("memory with one stalled subscriber (RSS MB, sampled over the run)")
    for r in rows:
        if r["test"] == "memory":
            series = [float(x) for x in r.get("rss_mb", "-").split(",") if x not in ("-", "")]
            if series:
                print(
                    f"  {r['server']:5} first {series[0]:.1f}  max {max(series):.1f}  "
                    f"last {series[-1]:.1f}  complete {r.get('complete')}  msg/s {r.get('msgs_per_s')}"
                )
    print("unpaced publisher")
    for r in rows:
        if r["test"] == "unpaced":
            print(
                f"  {r['server']:5} msg/s {r.get('msgs_per_s')}  complete {r.get('complete')}  "
                f"resynced {r.get('resynced')}  silent loss {r.get('silent_loss')}  "
                f"p99 {r.get('p99_ms')} ms"
            )


def bars(medians, x0, y0, w, h):
    servers = [s for s in ("chat", "bare", "node") if (s, "0") in medians]
    top = (max((medians[k][0] for k in medians), default=1) or 1) * 1.12
    out = [
        f'<text x="{x0}" y="{y0 - 12}" font-weight="bold">'
        "Delivered messages/s at the highest lossless rate (200 subscribers)</text>"
    ]
    group = w / max(len(servers), 1)
    bar = group / 3
    for i, s in enumerate(servers):
        for j, stall in enumerate(("0", "1")):
            if (s, stall) not in medians:
                continue
            v = medians[(s, stall)][0]
            bh = h * v / top
            x = x0 + i * group + j * bar + bar / 2
            opacity = "1" if stall == "0" else "0.55"
            out.append(
                f'<rect x="{x:.1f}" y="{y0 + h - bh:.1f}" width="{bar - 4:.1f}" height="{bh:.1f}" '
                f'fill="{COLOURS[s]}" fill-opacity="{opacity}"/>'
            )
            out.append(
                f'<text x="{x + (bar - 4) / 2:.1f}" y="{y0 + h - bh - 4:.1f}" font-size="11" '
                f'text-anchor="middle">{v / 1000:.0f}k</text>'
            )
        out.append(
            f'<text x="{x0 + i * group + group / 2:.1f}" y="{y0 + h + 16}" text-anchor="middle">'
            f"{escape(NAMES[s])}</text>"
        )
    out.append(
        f'<text x="{x0}" y="{y0 + h + 34}" font-size="11">'
        "solid: no stalled client; pale: one subscriber that never reads</text>"
    )
    return out


def lines(rows, x0, y0, w, h, sample_s):
    series = {}
    for r in rows:
        if r["test"] == "memory":
            vals = [float(x) for x in r.get("rss_mb", "-").split(",") if x not in ("-", "")]
            if vals:
                series[r["server"]] = vals
    out = [
        f'<text x="{x0}" y="{y0 - 12}" font-weight="bold">'
        "Server RSS (MB) with one stalled subscriber, publishing throughout</text>"
    ]
    if not series:
        return out
    top = max(max(v) for v in series.values()) * 1.1
    longest = max(len(v) for v in series.values())
    out.append(f'<line x1="{x0}" y1="{y0 + h}" x2="{x0 + w}" y2="{y0 + h}" stroke="#000"/>')
    out.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + h}" stroke="#000"/>')
    for frac in (0, 0.5, 1):
        y = y0 + h - h * frac
        out.append(
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{top * frac:.0f}</text>'
        )
    out.append(
        f'<text x="{x0 + w}" y="{y0 + h + 16}" font-size="11" text-anchor="end">'
        f"{(longest - 1) * sample_s:.0f} s</text>"
    )
    for k, (s, vals) in enumerate(sorted(series.items())):
        step = w / max(longest - 1, 1)
        pts = " ".join(
            f"{x0 + i * step:.1f},{y0 + h - h * v / top:.1f}" for i, v in enumerate(vals)
        )
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="{COLOURS[s]}" stroke-width="2"/>'
        )
        out.append(
            f'<text x="{x0 + w + 8}" y="{y0 + h - h * vals[-1] / top + 4:.1f}" font-size="11" '
            f'fill="{COLOURS[s]}">{escape(NAMES[s])} {vals[-1]:.0f}</text>'
        )
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: realtime_plot.py RESULTS OUT.svg")
    rows = parse(sys.argv[1])
    medians = summarise(rows)
    report(rows, medians)
    sample_s = float(__import__("os").environ.get("SAMPLE_MS", "2000")) / 1000
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="560" '
        'font-family="sans-serif" font-size="13">',
        '<rect width="100%" height="100%" fill="#fff"/>',
    ]
    parts += bars(medians, 40, 40, 600, 180)
    parts += lines(rows, 60, 330, 560, 180, sample_s)
    parts.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(parts) + "\n")
    print(f"plot: {sys.argv[2]}")


if __name__ == "__main__":
    main()
