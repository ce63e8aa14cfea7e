"""The judge's line to a student's kernel: plain data only, checked on arrival, and answers read from source.

``wire`` is tested on its own (round trips keep values, dtypes, memory layouts and aliases; anything
else is refused or arrives as a named placeholder); the line end to end against a real student
process serving its ``__main__``; ``source`` on solution cells written the ways students write them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlgrind.checks import Checker, CheckFailed, NotAttempted, noncontiguous
from mlgrind.judge import judge_side, wire
from mlgrind.judge.source import SolutionSource


def round_trip(value):
    return wire.decode(*wire.encode(value))


# --- wire ------------------------------------------------------------------------------------------

plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4),
    max_leaves=20,
)


@given(plain)
@settings(max_examples=200, deadline=None)
def test_plain_data_crosses_unchanged_with_its_exact_types(value):
    got = round_trip(value)
    assert got == value and repr(got) == repr(value)


@given(hnp.arrays(st.sampled_from(["?", "i1", "u2", "i4", "i8", "f2", "f4", "f8", "c16"]),
                  hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))
@settings(max_examples=150, deadline=None)
def test_arrays_keep_dtype_shape_and_values(x):
    got = round_trip(x)
    assert type(got) is np.ndarray and got.dtype == x.dtype and got.shape == x.shape
    assert got.tobytes() == x.tobytes() and got.flags.writeable


def test_layouts_and_aliases_cross_as_they_are():
    x = np.arange(24.0).reshape(2, 3, 4)
    sent = {"x": x, "t": x.transpose(2, 0, 1), "col": x[:, :, 1], "back": x[::-1], "strided": noncontiguous(x),
            "fortran": np.asfortranarray(x), "again": x}
    got = round_trip(sent)
    for key, value in sent.items():
        assert np.array_equal(got[key], value) and got[key].strides == value.strides, key
    assert np.shares_memory(got["x"], got["t"]) and got["again"] is not None and np.shares_memory(got["x"], got["again"])
    assert not np.shares_memory(got["x"], got["strided"]) and not np.shares_memory(got["x"], got["fortran"])


def test_numpy_scalars_keep_their_type_and_odd_numbers_cross():
    got = round_trip([np.float32(1.5), np.int64(-3), np.bool_(True), float("nan"), float("-inf"), 2**80, 1 + 2j])
    assert [type(v) for v in got[:3]] == [np.float32, np.int64, np.bool_]
    assert np.isnan(got[3]) and got[4] == float("-inf") and got[5] == 2**80 and got[6] == 1 + 2j


class Sneaky(tuple):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, named", [
    (Sneaky(), "Sneaky"), ({1, 2}, "set"), (np.array([object()]), "ndarray of dtype object"),
    (np.ma.array([1.0]), "MaskedArray"), (iter([1]), "list_iterator"),
    (np.zeros(2, dtype=[("a", "f8")]), "ndarray of dtype"), (lambda: 1, "function"),
])
def test_anything_else_arrives_as_a_placeholder_that_names_it(value, named):
    got = judge_side._arrived(round_trip({"answer": value})["answer"], "answer")
    assert isinstance(got, judge_side.NotPlainData)
    for use in (lambda a: a == (1,), len, lambda a: a[0], bool, np.asarray, lambda a: a.shape, float):
        with pytest.raises(TypeError, match=f"answer is a .*{named.split()[0]}.*grading cannot read"):
            use(got)


@pytest.mark.parametrize("header, buffers", [
    (b'{"$array":0,"dtype":"O","shape":[1]}', [b"x" * 8]),
    (b'{"$array":0,"dtype":"<f8","shape":[4]}', [b"x" * 8]),
    (b'{"$view":0,"dtype":"<f8","shape":[4],"strides":[8],"offset":0}', [b"x" * 16]),
    (b'{"$view":0,"dtype":"<f8","shape":[2],"strides":[-8],"offset":0}', [b"x" * 16]),
    (b'{"$view":0,"dtype":"<f8","shape":[1],"strides":[8],"offset":-8}', [b"x" * 16]),
    (b'{"$array":1,"dtype":"<f8","shape":[1]}', [b"x" * 8]),
    (b'{"$pickle":"gASV"}', []), (b'{"$callback":0}', []), (b"not json", []),
    (b'{"$int":"12x"}', []), (b'{"$held":"0"}', []), (b'{"$dict":[[[1],2]]}', []), (b"[" * 100 + b"]" * 100, []),
])
def test_malformed_messages_are_refused(header, buffers):
    with pytest.raises(wire.Unreadable):
        wire.decode(header, buffers)


def test_a_self_referencing_value_is_cut_short_not_followed():
    a = []
    for _ in range(80):
        a = [a, a]
    got = round_trip(a)
    depth = 0
    while isinstance(got, list):
        got, depth = got[0], depth + 1
    assert isinstance(got, wire.Unsupported) and depth <= wire.DEEPEST + 1


# --- the line, end to end --------------------------------------------------------------------------

STUDENT = '''
import numpy as np
import mlgrind.judge.student_side as side

def double(x):
    print("doubling")
    return x * 2

def in_place(x):
    x[...] = 0
    return x

def strided(x):
    from numpy.lib.stride_tricks import as_strided
    return as_strided(x, shape=(x.size,), strides=(x.itemsize,)), np.frombuffer(memoryview(x), x.dtype)

def echo(*args, **kwargs):
    return args, kwargs

def stub(x):
    raise NotImplementedError

def calls_back(f, x):
    return f(x) + f(x)

def uses_helper(x):
    return helper(x) + 1

def helper(x):
    return x

def sneaky():
    class Yes(tuple):
        def __eq__(self, other):
            return True
    return Yes()

def fails(x):
    raise ValueError(f"axis 0: size {x} is wrong")

def dies():
    import os
    os._exit(3)

def holds(n):
    return float(np.ones(n).sum())

from collections import namedtuple
from dataclasses import dataclass

Cache = namedtuple("Cache", "x_BD w_DF")

@dataclass
class Kept:
    x_BD: np.ndarray
    scale: float

def forward(x_BD, w_DF):
    return x_BD @ w_DF, Cache(x_BD, w_DF)

def backward(dh_BF, cache):
    return dh_BF @ cache.w_DF.T, cache.x_BD.T @ dh_BF

def scaled(x_BD):
    return 2 * x_BD, Kept(x_BD, 2.0)

def unscaled(caches):
    return [c["kept"].x_BD * c["kept"].scale for c in caches]

def how_many_held():
    import gc
    return sum(len(o.held) for o in gc.get_objects() if type(o) is side._Line)

answers = [(9, 4, 3), "error"]
QUESTIONS = ["rebound"]
side.serve({path!r})
print("ready", flush=True)
import time
time.sleep(600)
'''


def start_student(path: str) -> subprocess.Popen:
    """A student process serving its ``__main__`` at ``path``, with the judge connected to it."""
    proc = subprocess.Popen([sys.executable, "-c", STUDENT.replace("{path!r}", repr(path))], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    judge_side.connect(path, [textwrap.dedent(STUDENT.split("import mlgrind")[0])], meter={"pid": proc.pid})
    return proc


@pytest.fixture
def student(tmp_path):
    procs = [start_student(str(tmp_path / "j"))]
    namespace = {"QUESTIONS": ["the course's"], "restart": lambda: procs.append(start_student(str(tmp_path / "j")))}
    judge_side.sync(namespace)
    yield namespace
    for proc in procs:
        proc.kill()
        proc.wait()


def test_names_arrive_as_proxies_and_data_never_over_the_judges_own(student):
    assert isinstance(student["double"], judge_side.StudentFunction)
    assert student["answers"] == [(9, 4, 3), "error"] and student["QUESTIONS"] == ["the course's"]
    x = np.arange(3.0)
    assert np.array_equal(student["double"](x), 2 * x)
    assert student["echo"](np.int64(2), k=(1.5, None)) == ((np.int64(2),), {"k": (1.5, None)})


def test_a_call_prints_what_the_student_printed_and_changes_no_array_of_the_judge(student, capsys):
    x = np.ones(3)
    out = student["in_place"](x)
    assert np.array_equal(x, np.ones(3)) and np.array_equal(out, np.zeros(3))
    assert student["in_place"].changed_inputs == ["argument 1"]
    assert student["in_place"].shared_inputs == ["result"]
    student["double"](x)
    assert student["double"].changed_inputs == [] and student["double"].shared_inputs == []
    student["strided"](x)
    assert sorted(student["strided"].shared_inputs) == ["result[0]", "result[1]"]  # views through a holder
    assert "doubling" in capsys.readouterr().out


def test_exceptions_cross_as_type_and_message_and_a_stub_is_not_attempted(student):
    with pytest.raises(ValueError, match="axis 0: size 3 is wrong"):
        student["fails"](3)
    with pytest.raises(NotAttempted, match="stub: not attempted yet"):
        student["stub"](1)
    with pytest.raises(CheckFailed, match="not attempted yet"):
        with Checker("stub"):
            student["stub"](1)


def test_the_judges_functions_are_called_back_and_helpers_swapped(student):
    seen = []

    def f(x):
        seen.append(x)
        return x + 1

    assert student["calls_back"](f, 1) == 4 and seen == [1, 1]
    space = student["uses_helper"].__globals__
    original = space["helper"]
    space["helper"] = lambda x: 100
    assert student["uses_helper"](1) == 101
    space["helper"] = original
    assert student["uses_helper"](1) == 2 and original(5) == 5


def test_a_checker_swaps_helpers_for_its_block_and_puts_the_students_back(student):
    uses = student["uses_helper"]
    with Checker("uses_helper") as check, check.swapped(uses, helper=lambda x: 100, unbound=lambda: 0):
        assert uses(1) == 101 and "unbound" in uses.__globals__
    assert uses(1) == 2 and "unbound" not in uses.__globals__
    with pytest.raises(CheckFailed, match="still swapped"):
        with Checker("uses_helper") as check, check.swapped(uses, helper=lambda x: 100):
            check.true(uses(1) == 2, "still swapped")
    assert uses(1) == 2
    space = {}
    exec("def helper(x):\n    return x\n\ndef uses(x):\n    return helper(x) + 1", space)
    with pytest.raises(ValueError):
        with Checker("uses") as check, check.swapped(space["uses"], helper=lambda x: -1):
            assert space["uses"](1) == 0
            raise ValueError
    assert space["uses"](1) == 2


def test_an_answer_that_equals_anything_equals_nothing(student):
    got = student["sneaky"]()
    assert isinstance(got, judge_side.NotPlainData)
    with pytest.raises(TypeError, match="grading cannot read"):
        got == (9, 4, 3)


def test_a_value_that_is_not_plain_data_is_handed_back_as_the_students_own(student):
    """A forward's cache (a namedtuple, a dataclass) reaches its backward as the very object; the judge
    cannot read it, and gets back only placeholders of the values it handed over."""
    x_BD, w_DF, dh_BF = np.arange(6.0).reshape(2, 3), np.ones((3, 4)), np.arange(8.0).reshape(2, 4)
    h_BF, cache = student["forward"](x_BD, w_DF)
    assert np.array_equal(h_BF, x_BD @ w_DF) and isinstance(cache, judge_side.NotPlainData)
    dx_BD, dw_DF = student["backward"](dh_BF, cache)
    assert np.array_equal(dx_BD, dh_BF @ w_DF.T) and np.array_equal(dw_DF, x_BD.T @ dh_BF)
    assert np.array_equal(student["backward"](dh_BF, cache=cache)[0], dx_BD)
    for use in (lambda c: c.x_BD, lambda c: c[0], len, np.asarray, lambda c: c == cache, bool, lambda c: c(1)):
        with pytest.raises(TypeError, match=r"forward\(\.\.\.\)'s result\[1\] is a __main__\.Cache, which grading cannot read"):
            use(cache)
    kept = [student["scaled"](x_BD)[1] for _ in range(2)]
    assert [np.array_equal(x, 2 * x_BD) for x in student["unscaled"]([{"kept": k} for k in kept])] == [True, True]
    (back,), _ = student["echo"]((kept[0], 1))
    assert isinstance(back[0], judge_side.NotPlainData) and back[1] == 1


def test_the_students_values_held_for_the_judge_are_released_when_it_drops_them(student):
    x_BD, w_DF = np.ones((2, 3)), np.ones((3, 4))
    before = student["how_many_held"]()
    for _ in range(300):
        _, cache = student["forward"](x_BD, w_DF)
        student["backward"](np.ones((2, 4)), cache)
    assert student["how_many_held"]() <= before + 2


def test_a_value_held_by_a_kernel_since_restarted_is_refused_not_mistaken(student):
    _, cache = student["forward"](np.ones((2, 3)), np.ones((3, 4)))
    pinned = student["forward"].__globals__["forward"]
    student["restart"]()
    fresh = {}
    judge_side.sync(fresh)
    with pytest.raises(judge_side.StaleValue, match=r"forward\(\.\.\.\)'s result\[1\] was made before the student's kernel restarted"):
        fresh["backward"](np.ones((2, 4)), {"cache": [cache]})
    with pytest.raises(judge_side.StaleValue, match="forward was read before the student's kernel restarted"):
        pinned(np.ones((2, 3)), np.ones((3, 4)))
    _, cache = fresh["forward"](np.ones((2, 3)), np.ones((3, 4)))
    assert fresh["backward"](np.ones((2, 4)), cache)[0].shape == (2, 3)


def test_a_value_nothing_holds_is_refused_by_name_when_handed_back(student):
    got = judge_side._arrived(wire.Unsupported("set"), "answer")
    with pytest.raises(TypeError, match="answer is a set, which grading cannot read"):
        student["echo"]((np.ones(2), [got]))
    assert student["echo"](1) == ((1,), {})


def test_a_student_process_that_dies_breaks_the_line_with_a_clear_error(student):
    with pytest.raises(judge_side.LineBroken, match="stopped answering"):
        student["dies"]()
    assert not judge_side.healthy()


MiB = 2**20


def test_the_memory_a_call_held_is_read_from_the_students_process(student, capsys):
    """Without a control group, the process's peak (VmHWM): 64 MiB held is seen, 80 KiB is not."""
    holds = student["holds"]
    assert holds(8 * MiB) == 8 * MiB and 60 * MiB <= holds.peak_bytes < 72 * MiB
    assert holds(10_000) == 10_000 and holds.peak_bytes < 2 * MiB
    assert not holds.peak_trusted  # the student's code could reset its own peak, or work in a child process
    with Checker("holds") as check:
        assert check.peak_below("holds", holds, 2 * MiB)
        holds(4 * MiB)
        assert not check.peak_below("holds", holds, 16 * MiB, "hold one tile at a time")
        [said] = check.failures
        assert said.startswith("holds held 3") and said.endswith(" MiB at its peak, more than 16 MiB: hold one tile at a time")
        check.failures.clear()
        assert check.peak_below("len", len, 0)  # nothing measured it: said, not failed
    assert "len: the memory it held was not measured here" in capsys.readouterr().out


def test_the_memory_a_sandboxed_call_held_is_read_from_its_control_group(tmp_path):
    """Where the grader made the sandbox's memory group, the judge reads (and resets) its peak there, from
    what the grader says; the student's code can neither see nor write the group's files."""
    import asyncio

    from mlgrind.grading import cgroups, sandbox
    from mlgrind.grading.judge_kernel import STUDENT_SIDE, meter_spec, run_silently
    from mlgrind.grading.kernels import GradingKernelManager

    if sandbox.mode() == "off" or (sandbox.mode() == "auto" and sandbox._probe()) or cgroups.available():
        pytest.skip("no sandbox with a memory control group here")  # CI (root, cgroup v1) runs it
    km = GradingKernelManager(kernel_name="python3")
    asyncio.run(km.start_kernel(cwd=str(tmp_path)))
    kc = km.client()
    kc.start_channels()
    try:
        asyncio.run(kc.wait_for_ready(timeout=120))
        spec = meter_spec(km.provisioner)
        assert spec == {"cgroup": str(km.provisioner.groups.memory)}
        group = spec["cgroup"] + "/memory.max_usage_in_bytes"
        path = str(sandbox.sockets(km.provisioner.scratch) / "j")
        tried = ("import numpy as np\n"
                 "def holds(n):\n    return float(np.ones(n).sum())\n"
                 "def resets():\n"
                 "    for f in (%r, '/sys/fs/cgroup/memory/memory.max_usage_in_bytes'):\n"
                 "        try:\n            open(f, 'w').write('0')\n            return f\n"
                 "        except OSError:\n            pass\n"
                 "    return ''\n" % group)
        run_silently(kc, tried + f"{STUDENT_SIDE}.serve({path!r})", 60)
        judge_side.connect(path, [tried], meter=spec)
        namespace = {}
        judge_side.sync(namespace)
        holds = namespace["holds"]
        assert holds(8 * MiB) == 8 * MiB and 60 * MiB <= holds.peak_bytes < 72 * MiB and holds.peak_trusted
        assert holds(10_000) == 10_000 and holds.peak_bytes < 2 * MiB
        assert namespace["resets"]() == ""
    finally:
        kc.stop_channels()
        asyncio.run(km.shutdown_kernel(now=True))


# --- source ----------------------------------------------------------------------------------------

SOLUTIONS = [
    "import numpy as np\nfrom numpy.lib.stride_tricks import as_strided\n_bs = np.broadcast_shapes",
    "def by_hand(*shapes):\n    return tuple(max(s) for s in zip(*shapes))",
    "def aliased(*shapes):\n    return _bs(*shapes)",
    "def dynamic(*shapes):\n    return getattr(np, 'broadcast_' + 'shapes')(*shapes)",
    "def sizes_only(*shapes):\n    return tuple(np.int64(n) for n in shapes[0])",
    "def strided(x):\n    return as_strided(x)",
    "def via_helper(a, b):\n    return _mm(a, b)\ndef _mm(a, b):\n    return a @ b",
    "def looped(x):\n    while x:\n        x -= 1\n    return x",
    "def mapped(x):\n    return list(map(abs, x))",
    "loose = lambda x: x.sum()",
    "%time y = 1\nfor i in range(3):\n    pass",
]


@pytest.mark.parametrize("name, loops, numpy, forbidden, matmul", [
    ("by_hand", True, [], False, False),
    ("aliased", False, ["_bs"], True, False),
    ("dynamic", False, ["getattr", "np"], False, False),
    ("sizes_only", True, [], False, False),
    ("strided", False, ["as_strided"], False, False),
    ("via_helper", False, [], False, True),
    ("looped", True, [], False, False),
    ("mapped", True, [], False, False),
    ("loose", False, [], False, False),
])
def test_how_an_answer_is_written_is_read_from_its_source(name, loops, numpy, forbidden, matmul):
    source = SolutionSource(SOLUTIONS).function(name)
    assert source.has_loops() == loops
    assert all(any(u.startswith(n) for u in source.uses_numpy()) for n in numpy) and bool(source.uses_numpy()) == bool(numpy)
    assert ("broadcast_shapes" in source.names()) == forbidden
    assert source.uses_matmul_operator() == matmul
    assert SolutionSource(SOLUTIONS).function("undefined") is None


def test_a_top_level_loop_elsewhere_is_not_this_functions_loop():
    assert not SolutionSource(SOLUTIONS).function("aliased").has_loops()


def test_a_builtin_rebound_elsewhere_counts_only_when_the_function_uses_it():
    cells = ["import builtins\nbuiltins.all = lambda *a: True",
             "def honest(*shapes):\n    return tuple(max(s) for s in zip(*shapes))",
             "import numpy as np\nimport builtins\nbuiltins.max = np.broadcast_shapes",
             "def uses_all(x):\n    return all(x)"]
    source = SolutionSource(cells)
    assert "broadcast_shapes" in source.function("honest").names() and source.function("honest").uses_numpy()
    assert not SolutionSource(cells[:2]).function("honest").uses_numpy()
    assert not SolutionSource(cells[:2]).function("honest").dynamic()
    assert SolutionSource(cells).function("uses_all").dynamic() == ["builtins"]

def test_what_an_answer_must_use_is_read_from_its_source_and_its_helpers():
    sources = SolutionSource(["from numpy import einsum as contract",
                              "def aliased(u, v):\n    return contract('i,j->ij', u, v)",
                              "def helped(u, v):\n    return _e('i,j->ij', u, v)\ndef _e(*a):\n    return np.einsum(*a)",
                              "def other(u, v):\n    return np.outer(u, v)",
                              "def looked_up(u, v):\n    return getattr(np, 'ein' + 'sum')('i,j->ij', u, v)"])

    class Proxy:
        __mlgrind_source__ = None

        def __init__(self, name):
            self.__name__, self.__mlgrind_source__ = name, sources.function(name)

    for name in ("aliased", "helped"):
        with Checker(name) as check:
            assert check.uses(Proxy(name), "einsum")
    for name in ("other", "looked_up"):
        with pytest.raises(CheckFailed, match=f"{name} never calls np.einsum"):
            with Checker(name) as check:
                check.uses(Proxy(name), "einsum", f"{name} never calls np.einsum")
