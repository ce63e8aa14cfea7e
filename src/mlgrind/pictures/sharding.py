"""The picture of 05_parallel_mlp: three ways to put the MLP on two devices.

Each row draws the matrices of one layout as grids of cells coloured by the device that holds them
(device 0, device 1, or every device), the all-reduces as red badges where they sit in the forward
pass, and one line saying what the backward pass communicates. Only shapes and colours: no layer is
computed here.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

__all__ = ["DEVICE_COLOURS", "EVERY_DEVICE", "sharding_layouts", "show_sharding_layouts"]

DEVICE_COLOURS = ("#4c72b0", "#dd8452")  # device 0, device 1
EVERY_DEVICE = "#c8c8c8"  # a full copy on each device
ALL_REDUCE_FILL, ALL_REDUCE_INK = "#fbe3e3", "#8b1a1a"


def _layouts(B: int, D: int, F: int, C: int) -> list[tuple[str, list[tuple], str]]:
    """(title, items, backward note) per row; an item is ("m", name, rows, cols, split) for a matrix
    split by "rows", "cols" or not at all (None), ("w", text) for a word, ("r", text) for an all-reduce."""
    return [
        ("row-sharded first layer: D split",
         [("m", "x_BD", B, D, "cols"), ("w", "@"), ("m", "w1_DF", D, F, "rows"), ("w", "="),
          ("r", "Σ all-reduce\npartial h_BF"), ("m", "h_BF", B, F, None), ("w", "+ b1_F, ReLU")],
         "backward: no communication (dx_Bd, dw1_dF local; db1_F on every device)"),
        ("tensor parallel MLP: w1 split by columns, w2 by rows",
         [("m", "x_BD", B, D, None), ("w", "@"), ("m", "w1_DF", D, F, "cols"), ("w", "ReLU"),
          ("m", "a_BF", B, F, "cols"), ("w", "@"), ("m", "w2_FC", F, C, "rows"), ("w", "="),
          ("r", "Σ all-reduce\npartial logits_BC"), ("m", "logits_BC", B, C, None), ("w", "+ b2_C once")],
         "backward: one Σ all-reduce, of the partial dx_BD (b1_F is split like w1's columns)"),
        ("data parallel: B split",
         [("m", "x_BD", B, D, "rows"), ("w", "@"), ("m", "w1_DF", D, F, None), ("w", "ReLU"),
          ("m", "a_BF", B, F, "rows"), ("w", "@"), ("m", "w2_FC", F, C, None), ("w", "="),
          ("m", "logits_BC", B, C, "rows")],
         "backward: Σ all-reduce of every gradient, then ÷ N (labels_B split like x_BD)"),
    ]


def _matrix(ax, x, name, rows, cols, split):
    """A rows × cols grid, each cell the colour of the device holding it; returns the next free x."""
    for r in range(rows):
        for c in range(cols):
            colour = {"rows": DEVICE_COLOURS[r * 2 // rows], "cols": DEVICE_COLOURS[c * 2 // cols]}.get(
                split, EVERY_DEVICE)
            ax.add_patch(Rectangle((x + c, -r), 1, 1, facecolor=colour, edgecolor="white", lw=1.2, gid=name))
    ax.text(x + cols / 2, 1.3, name, ha="center", fontsize=10, family="monospace")
    return x + cols + 0.6


def _word(ax, x, text):
    ax.text(x, -0.9, text, ha="left", va="center", fontsize=10)
    return x + 0.5 + 0.22 * len(text)


def _all_reduce_badge(ax, x, text):
    width = 0.3 * max(len(line) for line in text.splitlines()) + 0.6
    ax.add_patch(FancyBboxPatch((x, -1.9), width, 2.0, boxstyle="round,pad=0.1", facecolor=ALL_REDUCE_FILL,
                                edgecolor="#c44e52", lw=1.5, gid="all-reduce"))
    ax.text(x + width / 2, -0.9, text, ha="center", va="center", fontsize=9.5, color=ALL_REDUCE_INK)
    return x + width + 0.6


def sharding_layouts(B: int = 4, D: int = 4, F: int = 6, C: int = 3, figure: Figure | None = None) -> Figure:
    """The three layouts on two devices, one row each, for a (B, D) input, F hidden units, C classes.

    Draws on ``figure`` (a new one, outside pyplot, when None) and returns it.
    """
    fig = figure if figure is not None else Figure(figsize=(13, 9))
    axes = fig.subplots(3, 1)
    for ax, (title, items, note) in zip(axes, _layouts(B, D, F, C)):
        x = 0.0
        for kind, *args in items:
            x = {"m": _matrix, "w": _word, "r": _all_reduce_badge}[kind](ax, x, *args)
        ax.text(0, -6.6, note, fontsize=10.5, color=ALL_REDUCE_INK if "all-reduce" in note else "black")
        ax.set_title(title, loc="left", fontsize=12)
        ax.set_xlim(-0.3, 40)
        ax.set_ylim(-7.2, 2.2)
        ax.set_aspect("equal")
        ax.axis("off")
    handles = [Rectangle((0, 0), 1, 1, color=colour) for colour in (*DEVICE_COLOURS, EVERY_DEVICE)]
    fig.legend(handles, ["device 0", "device 1", "every device (a full copy)"], loc="upper right", ncol=3,
               frameon=False)
    return fig


def show_sharding_layouts(B: int = 4, D: int = 4, F: int = 6, C: int = 3) -> None:
    """Draw the layouts in the notebook (pyplot's figure, so the inline backend shows it once)."""
    import matplotlib.pyplot as plt

    sharding_layouts(B, D, F, C, figure=plt.figure(figsize=(13, 9)))
    plt.show()
