"""05's picture of sharded layouts: each matrix coloured by the device that holds it, all-reduces where they sit."""

from __future__ import annotations

import nbformat
import pytest
from matplotlib.colors import to_hex

from support import REPO
from mlgrind.pictures.sharding import DEVICE_COLOURS, EVERY_DEVICE, sharding_layouts

DEVICE_0, DEVICE_1, EVERY = (to_hex(c) for c in (*DEVICE_COLOURS, EVERY_DEVICE))


def _rows(fig):
    """Per row: title, {matrix name: (rows, cols) of device colours}, all-reduce badge texts."""
    out = []
    for ax in fig.axes:
        cells = {}
        for patch in ax.patches:
            if patch.get_gid() not in (None, "all-reduce"):
                x, y = patch.get_xy()
                cells.setdefault(patch.get_gid(), {})[(-int(y), int(x))] = to_hex(patch.get_facecolor())
        grids = {}
        for name, by_cell in cells.items():
            rows = sorted({r for r, _ in by_cell})
            cols = sorted({c for _, c in by_cell})
            grids[name] = [[by_cell[r, c] for c in cols] for r in rows]
        badges = [t.get_text() for t in ax.texts if "all-reduce" in t.get_text() and t.get_position()[1] > -2]
        out.append((ax.get_title(loc="left"), grids, badges))
    return out


def _split(grid, axis):
    """The grid is device 0 then device 1 along ``axis`` ("rows" or "cols"), half each."""
    lines = grid if axis == "rows" else [list(col) for col in zip(*grid)]
    half = len(lines) // 2
    return all(set(line) == {DEVICE_0} for line in lines[:half]) and all(set(line) == {DEVICE_1} for line in lines[half:])


@pytest.mark.parametrize("B, D, F, C", [(4, 4, 6, 3), (2, 6, 4, 2)])
def test_each_matrix_has_its_shape_and_its_devices_slices(B, D, F, C):
    (tp1, first, row_reduce), (tp2, megatron, mlp_reduce), (dp, data, dp_reduce) = _rows(sharding_layouts(B, D, F, C))
    assert [len(first["x_BD"]), len(first["x_BD"][0]), len(first["w1_DF"]), len(first["w1_DF"][0])] == [B, D, D, F]
    assert len(megatron["w2_FC"]) == F and len(megatron["logits_BC"][0]) == C
    assert "D split" in tp1 and "columns" in tp2 and "B split" in dp
    # Row-sharded: x's columns and w1's rows are split alike, so each device holds a partial h.
    assert _split(first["x_BD"], "cols") and _split(first["w1_DF"], "rows")
    assert {c for row in first["h_BF"] for c in row} == {EVERY} and row_reduce == ["Σ all-reduce\npartial h_BF"]
    # Megatron: w1 by columns, w2 by rows, one all-reduce of the logits.
    assert _split(megatron["w1_DF"], "cols") and _split(megatron["a_BF"], "cols") and _split(megatron["w2_FC"], "rows")
    assert mlp_reduce == ["Σ all-reduce\npartial logits_BC"]
    # Data parallel: the batch is split, the weights are copies, and no all-reduce in the forward pass.
    assert _split(data["x_BD"], "rows") and _split(data["logits_BC"], "rows")
    assert {c for row in data["w1_DF"] + data["w2_FC"] for c in row} == {EVERY} and dp_reduce == []


def test_the_notebook_calls_the_picture_in_one_line():
    nb = nbformat.read(REPO / "source" / "05_parallel_mlp" / "05_parallel_mlp.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "picture")
    code = [line for line in cell.source.splitlines() if line.strip() and not line.startswith(("from ", "import "))]
    assert code == [line for line in code if "show_sharding_layouts()" in line] and len(code) == 1


def test_the_picture_cell_shows_one_image_in_a_kernel(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "release" / "05_parallel_mlp" / "05_parallel_mlp.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.get("id") == "picture"]
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"] and "image/png" in outputs[0].data, outputs
