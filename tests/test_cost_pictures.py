"""07's pictures draw what the learner computed: each intensity on the roof, each event of a schedule.

The drawing module computes neither: it is given intensities and events, so a wrong answer shows as a
wrong picture and the package ships no schedule and no cost formula of a graded exercise.
"""

from __future__ import annotations

import inspect

import pytest
from matplotlib.colors import to_hex

from mlgrind.shapes import costs
from mlgrind.pictures.scaling import BACKWARD, FORWARD, roofline_figure, schedule_figure


def test_each_intensity_sits_on_the_roof_coloured_by_its_side_of_the_ridge():
    peak, bandwidth = 1e15, 2e12  # ridge 500 FLOPs per byte
    fig = roofline_figure({"low": 10.0, "high": 2000.0}, peak, bandwidth)
    (ax,) = fig.axes
    points = {(float(line.get_xdata()[0]), float(line.get_ydata()[0])): to_hex(line.get_color())
              for line in ax.lines if line.get_marker() == "o"}
    assert points == {(10.0, 10.0 * bandwidth): to_hex(FORWARD), (2000.0, peak): to_hex(BACKWARD)}
    assert any("ridge 500" in text.get_text() for text in ax.texts)


def test_a_schedule_is_drawn_box_by_box_where_its_events_are():
    events = [(0, 0, "F", 0), (1, 1, "F", 0), (2, 1, "B", 0), (3, 0, "B", 0), (5, 1, "F", 7)]
    fig = schedule_figure(events, 2, title="five events")
    (ax,) = fig.axes
    boxes = sorted((int(p.get_x()), int(p.get_y()), to_hex(p.get_facecolor())) for p in ax.patches)
    want = sorted((t, s, to_hex(FORWARD if k == "F" else BACKWARD)) for t, s, k, _ in events)
    assert boxes == want
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(j) for *_, j in events)
    assert ax.get_xlim() == (0, 6) and ax.get_title() == "five events"


@pytest.mark.parametrize("formula", ["2 * M * K * N", "m + p - 1", "6 *", "// n_devices", "n_kv_heads *"])
def test_the_drawing_module_holds_no_formula_of_an_exercise(formula):
    assert formula not in inspect.getsource(costs)
