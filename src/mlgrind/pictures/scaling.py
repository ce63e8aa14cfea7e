"""The pictures of 07_scaling_math: a roofline with the learner's matmuls on it, and a pipeline schedule.

Both draw what they are given. ``roofline_figure`` places each point at the arithmetic intensity the
learner's own function computed; ``schedule_figure`` draws the events of the learner's own schedule.
Nothing here computes an intensity or builds a schedule.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = ["roofline_figure", "schedule_figure", "show_roofline", "show_schedule"]

FORWARD, BACKWARD = "#4c72b0", "#dd8452"
ROOF = "#333333"


def roofline_figure(points: dict[str, float], peak_flops: float, bandwidth: float, figure: Figure | None = None) -> Figure:
    """Attainable FLOP/s against arithmetic intensity (log-log), with each named intensity on the roof.

    points: name -> FLOPs per byte. peak_flops in FLOP/s, bandwidth in bytes/s.
    """
    ridge = peak_flops / bandwidth
    values = [v for v in points.values() if v > 0] or [ridge]
    low, high = min(min(values), ridge) / 4, max(max(values), ridge) * 4
    fig = figure or Figure()
    fig.set_size_inches(7.5, 4.2)
    ax = fig.add_subplot()
    xs = [low, ridge, high]
    ax.plot(xs, [min(peak_flops, x * bandwidth) for x in xs], color=ROOF, lw=2)
    ax.axvline(ridge, color=ROOF, ls=":", lw=1)
    ax.annotate(f"ridge {ridge:.0f} FLOPs/byte", (ridge, peak_flops / 30), textcoords="offset points",
                xytext=(-6, 0), fontsize=9, ha="right")
    on_flat = 0
    for name, intensity in sorted(points.items(), key=lambda item: item[1]):
        attainable = min(peak_flops, intensity * bandwidth)
        colour = FORWARD if intensity < ridge else BACKWARD
        ax.plot([intensity], [attainable], "o", color=colour, ms=7)
        if intensity < ridge:
            offset = (6, -12)
        else:  # on the flat roof the labels would overlap: stack them below it
            on_flat += 1
            offset = (-4, -12 * on_flat)
        ax.annotate(name, (intensity, attainable), textcoords="offset points", xytext=offset, fontsize=8,
                    color=colour, ha="left" if intensity < ridge else "right")
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOPs per byte)",
           ylabel="attainable FLOP/s", title="roofline: memory-bound (blue) and compute-bound (orange)")
    ax.set_xlim(low, high)
    fig.tight_layout()
    return fig


def schedule_figure(events, n_stages: int, title: str = "", figure: Figure | None = None) -> Figure:
    """One row per stage, one column per step; a box per (step, stage, "F" or "B", microbatch) event."""
    events = list(events)
    steps = max((int(e[0]) for e in events), default=0) + 1
    fig = figure or Figure()
    fig.set_size_inches(min(14, 1.2 + 0.32 * steps), 0.9 + 0.45 * n_stages)
    ax = fig.add_subplot()
    for step, stage, kind, microbatch in events:
        colour = FORWARD if kind == "F" else BACKWARD
        ax.add_patch(Rectangle((step, stage), 0.94, 0.9, facecolor=colour, edgecolor="white"))
        ax.text(step + 0.47, stage + 0.45, str(microbatch), ha="center", va="center", fontsize=7, color="white")
    ax.set_xlim(0, steps)
    ax.set_xticks(range(0, steps + 1, max(1, steps // 12)))
    ax.set_ylim(n_stages, 0)
    ax.set_yticks([s + 0.45 for s in range(n_stages)], [f"stage {s}" for s in range(n_stages)])
    ax.set_xlabel("time step (blue: forward, orange: backward; white: idle)")
    ax.set_title(title, fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def show_roofline(points: dict[str, float], peak_flops: float, bandwidth: float) -> None:
    """Draw the roofline in the notebook (pyplot's figure, so the inline backend shows it once)."""
    import matplotlib.pyplot as plt

    roofline_figure(points, peak_flops, bandwidth, figure=plt.figure())
    plt.show()


def show_schedule(events, n_stages: int, title: str = "") -> None:
    """Draw the schedule in the notebook."""
    import matplotlib.pyplot as plt

    schedule_figure(events, n_stages, title, figure=plt.figure())
    plt.show()
