"""The class report as one self-contained HTML page: three pictures and the tables under them.

The pictures are the scores, the share passed per exercise and the causes per exercise; every image is
inlined so the file opens anywhere, the formgrader's machine included.
"""

from __future__ import annotations

import base64
import html
import io

from matplotlib.figure import Figure

from .class_report import HELP_AT, ClassResults, causes_in_use, hardest, needs_help, tallies

PASSED = "#55a868"
COLOURS = ("#c44e52", "#dd8452", "#8172b3", "#937860", "#da8bc3", "#4c72b0", "#ccb974", "#64b5cd",
           "#8c8c8c", "#2f4b7c", "#a05195", "#d45087", "#f95d6a", "#ff7c43", "#003f5c", "#665191")


def score_histogram(results: ClassResults) -> Figure:
    """How many students scored how much, out of the assignment's points."""
    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    scores = list(results.totals.values())
    top = max(results.max_total, max(scores, default=0.0), 1.0)
    ax.hist(scores, bins=min(20, max(5, int(top))), range=(0, top), color="#4c72b0", edgecolor="white")
    ax.set(xlabel=f"score (out of {results.max_total:g})", ylabel="students", title="scores")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig


def pass_shares(results: ClassResults) -> Figure:
    """Per exercise, the share of students who got full marks."""
    rows = tallies(results)
    fig = Figure(figsize=(7, 0.9 + 0.42 * len(rows)))
    ax = fig.add_subplot()
    names = [r.exercise for r in rows][::-1]
    shares = [100 * r.share_passed for r in rows][::-1]
    ax.barh(names, shares, color=PASSED)
    for y, share in enumerate(shares):
        ax.annotate(f"{share:.0f}%", (share, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set(xlim=(0, 110), xlabel="% of students with full marks", title="passed, per exercise")
    fig.tight_layout()
    return fig


def cause_bars(results: ClassResults) -> Figure:
    """Per exercise, its failures stacked by likely cause."""
    rows = tallies(results)
    used = causes_in_use(rows)
    fig = Figure(figsize=(7, 1.4 + 0.42 * len(rows)))
    ax = fig.add_subplot()
    names = [r.exercise for r in rows][::-1]
    left = [0] * len(rows)
    for i, tag in enumerate(used):
        counts = [r.causes.get(tag, 0) for r in rows][::-1]
        ax.barh(names, counts, left=left, color=COLOURS[i % len(COLOURS)], label=tag)
        left = [a + b for a, b in zip(left, counts)]
    ax.set(xlabel="students whose answer failed", title="failures by likely cause")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if used:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4, frameon=False)
    fig.tight_layout()
    return fig


def _png(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def page(results: ClassResults, at_least: int = HELP_AT) -> str:
    """The whole report as one self-contained HTML document."""
    rows = tallies(results)
    used = causes_in_use(rows)
    e = html.escape
    head = "".join(f"<th>{e(tag)}</th>" for tag in used)
    body = "".join(
        f"<tr><td>{e(r.exercise)}</td><td>{r.passed}/{r.students}</td><td>{r.share_passed:.0%}</td>"
        + "".join(f"<td>{r.causes.get(tag, 0) or ''}</td>" for tag in used) + "</tr>"
        for r in rows
    )
    worst = "".join(f"<li>{e(r.exercise)}: {r.share_passed:.0%} passed</li>" for r in hardest(rows))
    helped = needs_help(results, at_least)
    help_items = "".join(f"<li>{e(s)}: {n} exercises not attempted</li>" for s, n in helped.items())
    missing = ", ".join(e(s) for s in results.missing)
    title = f"{results.assignment}: the class's mistakes"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
img {{ display: block; max-width: 100%; margin: 1rem 0; }}
</style></head><body>
<h1>{e(title)}</h1>
<p>{len(results.totals)} submissions{f"; did not submit: {missing}" if missing else ""}.</p>
{_png(score_histogram(results), "scores")}
{_png(pass_shares(results), "share passed per exercise")}
{_png(cause_bars(results), "failures by likely cause per exercise")}
<h2>Per exercise</h2>
<table id="exercises"><thead><tr><th>exercise</th><th>passed</th><th>share</th>{head}</tr></thead>
<tbody>{body}</tbody></table>
<h2>Hardest</h2><ul id="hardest">{worst or "<li>every exercise was passed by everyone</li>"}</ul>
<h2>May need help</h2>
<p>Students with {at_least} or more exercises not attempted.</p>
<ul id="help">{help_items or "<li>nobody</li>"}</ul>
</body></html>
"""
