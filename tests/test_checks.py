"""Unit tests for mlgrind.checks: the Checker, its hints, forbidden calls, loop detection."""

from __future__ import annotations

import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlgrind.checks import (
    CheckFailed,
    Checker,
    ForbiddenCall,
    forbidden,
    has_loops,
    noncontiguous,
    shape_hint,
)


def failures_of(check_call) -> list[str]:
    """Run one check on a fresh Checker (outside a block) and return what it recorded."""
    check = Checker("t")
    check_call(check)
    return check.failures


# --- Checker: collecting failures -------------------------------------------------------------


def test_checker_raises_nothing_when_every_check_passes():
    with Checker("ok") as check:
        assert check.true(True, "never shown")
        assert check.shape("x", np.zeros((2, 3)), (2, 3))
    assert check.failures == []
    assert check.count == 2


def test_checker_single_failure_is_one_line_with_what_prefix():
    with pytest.raises(CheckFailed) as info:
        with Checker("standardize") as check:
            check.true(False, "first problem")
            check.true(True, "fine")
    assert str(info.value) == "standardize: first problem"


def test_checker_collects_every_failure_into_one_report():
    with pytest.raises(CheckFailed) as info:
        with Checker("standardize") as check:
            check.true(False, "first")
            check.true(True, "passes")
            check.true(False, "second")
            check.true(False, "third")
    lines = str(info.value).splitlines()
    assert lines == [
        "standardize: first (+2 more failed checks below)",
        "- second",
        "- third",
    ]


def test_check_failed_is_an_assertion_error():
    assert issubclass(CheckFailed, AssertionError)
    with pytest.raises(AssertionError):
        with Checker("x") as check:
            check.true(False, "boom")


def test_checker_keeps_earlier_failures_when_body_then_raises():
    with pytest.raises(CheckFailed) as info:
        with Checker("fn") as check:
            check.true(False, "out is wrong")
            raise ValueError("bad input")
    lines = str(info.value).splitlines()
    assert lines[0] == "fn: out is wrong (+1 more failed checks below)"
    assert lines[1] == "- then raised ValueError: bad input"
    assert isinstance(info.value.__cause__, ValueError)


def test_checker_lets_exception_through_when_nothing_failed_before():
    with pytest.raises(ZeroDivisionError):
        with Checker("fn") as check:
            check.true(True, "fine")
            1 / 0


def test_check_methods_return_whether_they_passed():
    check = Checker("t")
    assert check.true(True, "m") is True
    assert check.true(False, "m") is False
    assert check.fail("m") is False


# --- Checker.shape and shape_hint ---------------------------------------------------------------


def test_shape_passes_for_matching_shape():
    assert failures_of(lambda c: c.shape("out", np.zeros((4, 3)), (4, 3))) == []


def test_shape_accepts_expected_as_a_list():
    assert failures_of(lambda c: c.shape("out", np.zeros((4, 3)), [4, 3])) == []


def test_shape_reversed_2d_says_transposed():
    [msg] = failures_of(lambda c: c.shape("out", np.zeros((3, 4)), (4, 3)))
    assert msg == "out is (3, 4), expected (4, 3): transposed?"


def test_shape_square_where_vector_expected_mentions_n_and_n1_broadcast():
    [msg] = failures_of(lambda c: c.shape("out", np.zeros((5, 5)), (5,)))
    assert "(5, 5)" in msg and "(5,)" in msg
    assert "(N,)" in msg and "(N, 1)" in msg and "broadcast" in msg


def test_shape_missing_size_one_axis_mentions_keepdims():
    [msg] = failures_of(lambda c: c.shape("mean", np.zeros(4), (4, 1)))
    assert "(4,)" in msg and "(4, 1)" in msg
    assert "keepdims" in msg


def test_shape_of_none_suggests_missing_return():
    [msg] = failures_of(lambda c: c.shape("out", None, (2, 2)))
    assert "None" in msg and "(2, 2)" in msg
    assert "missing return?" in msg


def test_shape_of_list_names_its_type():
    [msg] = failures_of(lambda c: c.shape("out", [1, 2], (2,)))
    assert "list" in msg and "(2,)" in msg


@pytest.mark.parametrize(
    "scalar", [1.5, 3, np.float64(1.5), np.float32(1.5), np.int64(2), np.array(2.0)]
)
def test_shape_accepts_python_and_numpy_scalars_as_shape_empty(scalar):
    assert failures_of(lambda c: c.shape("total", scalar, ())) == []


@pytest.mark.parametrize("expected", [(3,), (3, 4)])
def test_shape_scalar_where_array_expected_suggests_reduced_over_everything(expected):
    [msg] = failures_of(lambda c: c.shape("total", 2.0, expected))
    assert msg == f"total is (), expected {expected}: a scalar came back: summed or averaged over everything?"


def test_shape_hint_extra_size_one_axis_suggests_keepdims_not_wanted():
    assert "keepdims" in shape_hint((4, 1), (4,))


def test_shape_hint_same_axes_other_order_for_3d():
    assert "wrong order" in shape_hint((2, 4, 3), (2, 3, 4))


def test_shape_hint_same_size_other_shape_suggests_reshape():
    assert "reshaped" in shape_hint((2, 6), (3, 4))


shapes = st.lists(st.integers(min_value=0, max_value=8), min_size=0, max_size=5).map(tuple)


@given(actual=shapes, expected=shapes)
def test_shape_hint_always_returns_a_nonempty_string(actual, expected):
    hint = shape_hint(actual, expected)
    assert isinstance(hint, str) and hint.strip()


@given(shape=st.lists(st.integers(min_value=1, max_value=8), min_size=2, max_size=5).map(tuple))
def test_shape_hint_reversed_nonpalindromic_shape_is_transposed(shape):
    reversed_shape = shape[::-1]
    if reversed_shape == shape:  # a palindrome reversed is the same shape: nothing to hint
        return
    assert shape_hint(reversed_shape, shape) == "transposed?"


# --- Checker.close ------------------------------------------------------------------------------


def test_close_passes_within_tolerance():
    want = np.array([1.0, 2.0, 3.0])
    assert failures_of(lambda c: c.close("out", want * (1 + 1e-9), want)) == []


def test_close_passes_for_scalar():
    assert failures_of(lambda c: c.close("total", 6.0, 6.0)) == []


def test_close_reports_worst_element_index_got_expected_and_relative_error():
    want = np.ones((2, 3))
    got = want.copy()
    got[0, 1] = 1.01  # small error
    got[1, 2] = 3.0  # worst: relative error 2
    [msg] = failures_of(lambda c: c.close("out", got, want))
    assert "2 of 6 elements" in msg
    assert "worst at [1, 2]" in msg
    assert "got 3" in msg and "expected 1" in msg
    assert "relative error 2.0e+00" in msg


def test_close_reports_non_finite_values():
    got = np.array([1.0, np.nan, np.inf])
    [msg] = failures_of(lambda c: c.close("probs", got, np.ones(3)))
    assert "2 non-finite values" in msg
    assert "first at [1]" in msg and "nan" in msg


def test_close_reports_wrong_shape_and_does_not_compare_values():
    got = np.full((3, 2), np.nan)  # would be reported as non-finite if values were compared
    [msg] = failures_of(lambda c: c.close("out", got, np.ones((2, 3))))
    assert msg == "out is (3, 2), expected (2, 3): transposed?"


def test_close_of_none_reports_missing_return():
    [msg] = failures_of(lambda c: c.close("out", None, np.ones(2)))
    assert "missing return?" in msg


# --- Checker.dtype, equal, raises ---------------------------------------------------------------


def test_dtype_passes_when_equal():
    assert failures_of(lambda c: c.dtype("out", np.zeros(2, np.float32), np.float32)) == []


def test_dtype_mismatch_names_both_dtypes():
    [msg] = failures_of(lambda c: c.dtype("out", np.zeros(2), np.float32))
    assert "float64" in msg and "float32" in msg


def test_equal_passes_for_equal_values_of_same_type():
    assert failures_of(lambda c: c.equal("shape", (2, 3), (2, 3))) == []
    assert failures_of(lambda c: c.equal("name", "abc", "abc")) == []


def test_equal_list_where_tuple_expected_names_both_types():
    [msg] = failures_of(lambda c: c.equal("shape", [2, 3], (2, 3)))
    assert "list" in msg and "tuple" in msg
    assert "[2, 3]" in msg and "(2, 3)" in msg


def test_equal_different_values_shows_both():
    [msg] = failures_of(lambda c: c.equal("shape", (2, 4), (2, 3)))
    assert msg == "shape is (2, 4), expected (2, 3)"


def _raise(exc):
    raise exc


def test_raises_passes_for_right_type_and_words():
    error = ValueError("shapes 3 and 4 differ")
    assert failures_of(lambda c: c.raises(ValueError, _raise, error, words=(3, 4, "SHAPES"))) == []


def test_raises_reports_wrong_exception_type():
    [msg] = failures_of(lambda c: c.raises(ValueError, _raise, TypeError("nope")))
    assert "TypeError" in msg and "expected ValueError" in msg


def test_raises_reports_when_nothing_is_raised():
    [msg] = failures_of(lambda c: c.raises(ValueError, lambda x: x * 2, 21))
    assert "returned 42" in msg and "ValueError" in msg


def test_raises_reports_missing_words():
    error = ValueError("bad shape")
    [msg] = failures_of(lambda c: c.raises(ValueError, _raise, error, words=("shape", 7, "axis")))
    assert msg.endswith("the message should name 7, axis")


def test_raises_number_word_does_not_match_inside_a_longer_number():
    [msg] = failures_of(lambda c: c.raises(ValueError, _raise, ValueError("size 130"), words=(13,)))
    assert "should name 13" in msg
    assert failures_of(lambda c: c.raises(ValueError, _raise, ValueError("size 13."), words=(13,))) == []


# --- forbidden ----------------------------------------------------------------------------------


def fake_module():
    # forbidden() names the module in its message, so the namespace needs a __name__.
    return types.SimpleNamespace(__name__="fake", helper=lambda x: x + 1, other=lambda: "other")


def test_forbidden_name_raises_forbidden_call_inside_block():
    mod = fake_module()
    with forbidden(mod, "helper") as calls:
        with pytest.raises(ForbiddenCall, match="fake.helper"):
            mod.helper(1)
        assert mod.other() == "other"  # names not listed still work
    assert calls == ["helper"]


def test_forbidden_calls_survive_a_swallowed_exception():
    mod = fake_module()
    with forbidden(mod, "helper", "other") as calls:
        try:
            mod.helper(1)
        except Exception:
            pass
        try:
            mod.other()
        except AssertionError:
            pass
    assert calls == ["helper", "other"]


def test_forbidden_restores_originals_afterwards():
    mod = fake_module()
    helper = mod.helper
    with forbidden(mod, "helper"):
        assert mod.helper is not helper
    assert mod.helper is helper
    assert mod.helper(1) == 2


def test_forbidden_restores_originals_when_block_raises():
    mod = fake_module()
    helper = mod.helper
    with pytest.raises(RuntimeError):
        with forbidden(mod, "helper"):
            raise RuntimeError("learner code failed")
    assert mod.helper is helper


def test_forbidden_works_on_a_real_module():
    mod = types.ModuleType("throwaway")
    mod.f = lambda: 1
    original = mod.f
    with forbidden(mod, "f") as calls:
        with pytest.raises(ForbiddenCall, match="throwaway.f"):
            mod.f()
    assert calls == ["f"] and mod.f is original


def test_forbidden_numpy_broadcast_shapes_and_restored():
    original = np.broadcast_shapes
    with forbidden(np, "broadcast_shapes") as calls:
        with pytest.raises(ForbiddenCall, match="numpy.broadcast_shapes"):
            np.broadcast_shapes((2, 1), (3,))
    assert calls == ["broadcast_shapes"]
    assert np.broadcast_shapes is original
    assert np.broadcast_shapes((2, 1), (3,)) == (2, 3)


def test_not_called_reports_forbidden_names():
    assert failures_of(lambda c: c.not_called([])) == []
    [msg] = failures_of(lambda c: c.not_called(["b", "a", "b"], "my_fn"))
    assert msg == "my_fn called a, b, which this exercise rules out"


# --- has_loops, no_loops, avoids ----------------------------------------------------------------


def uses_for(x):
    total = 0
    for v in x:
        total += v
    return total


def uses_while_true(queue):
    while True:
        if not queue.pop():
            break
    return queue


def uses_while_condition(n):
    while n > 0:
        n -= 1
    return n


def uses_while_is_not_none(node):
    while node is not None:
        node = node.next
    return node


def uses_list_comprehension(x):
    return [v * 2 for v in x]


def uses_generator_expression(x):
    return sum(v * 2 for v in x)


def vectorised(x):
    x = np.asarray(x, dtype=float)
    return (x - x.mean(axis=0, keepdims=True)) / (x.std(axis=0) + 1e-8)


def calls_a_looping_helper(x):
    return uses_for(x) + 1


def branches_and_handles_errors(path, x):
    with open(path) as fh:
        try:
            return fh.read() if x > 0 else (-x if x < 0 else None)
        except (ValueError, TypeError):
            return None
        finally:
            x = None


@pytest.mark.parametrize(
    "fn",
    [
        uses_for,
        uses_while_true,
        uses_while_condition,
        uses_while_is_not_none,
        uses_list_comprehension,
        uses_generator_expression,
    ],
)
def test_has_loops_finds_loops_and_comprehensions(fn):
    assert has_loops(fn)


@pytest.mark.parametrize("fn", [vectorised, calls_a_looping_helper, branches_and_handles_errors])
def test_has_loops_is_false_for_loop_free_code(fn):
    assert not has_loops(fn)


def test_no_loops_reports_function_name():
    assert failures_of(lambda c: c.no_loops(vectorised)) == []
    [msg] = failures_of(lambda c: c.no_loops(uses_for))
    assert "uses_for" in msg and "loop" in msg


def test_avoids_finds_names_in_nested_functions_and_lambdas():
    def outer(a, b):
        def inner():
            return np.broadcast_shapes(a, b)

        return inner()

    def with_lambda(a, b):
        return (lambda: np.broadcast_to(a, b))()

    assert failures_of(lambda c: c.avoids(vectorised, "broadcast_shapes")) == []
    [msg] = failures_of(lambda c: c.avoids(outer, "broadcast_shapes", "broadcast_to"))
    assert "outer uses broadcast_shapes" in msg
    [msg] = failures_of(lambda c: c.avoids(with_lambda, "broadcast_shapes", "broadcast_to"))
    assert "with_lambda uses broadcast_to" in msg


# --- noncontiguous ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_noncontiguous_keeps_values_and_dtype_but_not_layout(shape, dtype):
    x = np.arange(np.prod(shape), dtype=dtype).reshape(shape)
    y = noncontiguous(x)
    assert y.dtype == x.dtype
    assert y.shape == x.shape
    np.testing.assert_array_equal(y, x)
    assert not y.flags["C_CONTIGUOUS"]
    assert not np.shares_memory(x, y)


# --- ArrayWatch: "by hand" exercises that build arrays -------------------------------------------

import operator  # noqa: E402

from numpy.lib.stride_tricks import as_strided  # noqa: E402

from mlgrind.checks import ArrayWatch  # noqa: E402
from mlgrind.checks.array_watch import _numpy_domain  # noqa: E402

_CACHED = np.empty(1)


def _by_hand(*shapes):
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for shape in shapes:
        for axis, size in enumerate((1,) * (ndim - len(shape)) + tuple(shape)):
            if size != 1 and out[axis] not in (1, size):
                raise ValueError(f"axis {axis}: {out[axis]} vs {size}")
            out[axis] = size if size != 1 else out[axis]
    return tuple(out)


def _helper_builds(shape):
    return np.zeros(shape)


_SHORTCUTS = {
    "np.empty and +": lambda a, b: (np.empty(a) + np.empty(b)).shape,
    "np.zeros times": lambda a, b: (np.zeros(a) * np.zeros(b)).shape,
    "np.ndarray": lambda a, b: (np.ndarray(a) - np.ndarray(b)).shape,
    "operator.add on ones": lambda a, b: operator.add(np.ones(a), np.ones(b)).shape,
    "broadcast_to of a scalar": lambda a, b: np.broadcast_to(0.0, a).shape,
    "cached array viewed by as_strided": lambda a, b: as_strided(_CACHED, a, (0,) * len(a)).shape,
    "cached array, indexing only": lambda a, b: _CACHED[(None,) * len(a)].shape,
    "einsum": lambda a, b: np.einsum("...,...->...", np.empty(a), np.empty(b)).shape,
    "a helper function": lambda a, b: (_helper_builds(a) + _helper_builds(b)).shape,
}


def test_numpy_reports_array_data_in_its_own_tracemalloc_domain():
    assert _numpy_domain() not in (None, 0)


def test_array_watch_passes_tuple_bookkeeping_with_python_or_numpy_integers():
    watched = ArrayWatch(_by_hand)
    assert watched((9, 1, 3), (4, 1)) == (9, 4, 3)
    assert watched((np.int64(9), np.int64(1)), (1, np.int32(4))) == (9, 4)
    with pytest.raises(ValueError):
        watched((2, 3), (4,))
    assert watched.seen == []
    assert watched.__name__ == "_by_hand"


@pytest.mark.parametrize("name", sorted(_SHORTCUTS))
@pytest.mark.parametrize("shapes", [((2, 1), (1, 3)), ((0, 3), (1, 3)), ((0,), (0,))])
def test_array_watch_sees_every_array_shortcut_zero_size_included(name, shapes):
    watched = ArrayWatch(_SHORTCUTS[name])
    watched(*shapes)
    assert watched.seen, name
    assert watched.report()


def test_array_watch_sees_arrays_built_before_numpy_raises():
    watched = ArrayWatch(lambda a, b: np.empty(a) + np.empty(b))
    with pytest.raises(ValueError):
        watched((2, 3), (4,))
    assert "NumPy allocated array data" in watched.seen


def test_array_watch_notices_tracing_switched_off():
    import sys

    def escapes(*shapes):
        sys.settrace(None)
        return (np.empty(shapes[0]) + np.empty(shapes[1])).shape

    watched = ArrayWatch(escapes)
    watched((2,), (2,))
    assert any("switched off" in seen for seen in watched.seen)


def test_array_watch_ignores_arrays_that_existed_before_the_call():
    keep = [np.ones(3)]
    watched = ArrayWatch(lambda: len(keep))
    assert watched() == 1
    assert watched.seen == []


# --- Not attempted yet, and what a notebook shows (through a real kernel) ----------------------

import re  # noqa: E402

import nbclient  # noqa: E402
import nbformat  # noqa: E402

from mlgrind.checks import QuickCheck  # noqa: E402

STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
STUB_NOTE = "{}: not attempted yet - write it in its cell above (delete the raise), then run this cell again"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
COURSE_FRAME = re.compile(r"mlgrind[/\\][\w/\\]*\.py")

# One kernel runs every cell below in order; a test reads the outputs of the cells it names.
KERNEL_CELLS = {
    "setup": "import numpy as np\nfrom mlgrind.checks import (Checker, QuickCheck, attempted,\n"
             "    skip_if_not_attempted)",
    "stubs": f"def broadcast_shape(*shapes):\n{STUB}\n\ndef linear_forward(x_BD, w_DF, b_F):\n{STUB}\n\n"
             "def mlp_forward(params, x_BD):\n    return linear_forward(x_BD, params['w_DF'], params['b_F'])",
    "quick_stub": "with QuickCheck('broadcast_shape') as check:\n"
                  "    check.raises(ValueError, broadcast_shape, (2, 3), (4,))\n"
                  "    check.equal('broadcast_shape((3,), ())', broadcast_shape((3,), ()), (3,))",
    "after_quick_stub": "print('the cell below ran')",
    "hidden_stub": "with Checker('broadcast_shape') as check:\n"
                   "    check.equal('broadcast_shape((3,), ())', broadcast_shape((3,), ()), (3,))",
    "answers": "answers = [None] * 3\nwith skip_if_not_attempted('answers'):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
    "quick_answers": "with QuickCheck('answers') as check:\n"
                     "    check.attempted(any(answer is not None for answer in answers))\n"
                     "    check.equal('len(answers)', len(answers), 3)",
    "hidden_answers": "with Checker('answers') as check:\n"
                      "    check.attempted(any(answer is not None for answer in answers))\n"
                      "    check.true(answers[0] == (9, 4, 3), f'you said {answers[0]!r}')",
    "demo": "with skip_if_not_attempted():\n    mlp_forward({'w_DF': np.eye(2), 'b_F': np.zeros(2)}, np.ones((1, 2)))\n"
            "print('after the demo')",
    "failing": "with QuickCheck('standardize') as check:\n"
               "    check.shape('out_BF', np.zeros((3, 4)), (4, 3))\n"
               "    check.close('out_BF', np.ones(2), np.zeros(2))",
    "hidden_failing": "with Checker('standardize') as check:\n"
                      "    check.shape('out_BF', np.zeros((3, 4)), (4, 3))\n"
                      "    check.close('out_BF', np.ones(2), np.zeros(2))",
    "learner_error_alone": "def standardize(x_BF):\n    for row in None:\n        pass\n\n"
                           "with QuickCheck('standardize') as check:\n"
                           "    standardize(np.zeros((2, 2)))",
    "learner_error": "def standardize(x_BF):\n    for row in None:\n        pass\n\n"
                     "with QuickCheck('standardize') as check:\n"
                     "    check.true(False, 'mean is wrong: expected 0, got 1')\n"
                     "    standardize(np.zeros((2, 2)))",
    "odd_value": "with QuickCheck('standardize') as check:\n    check.close('out_BF', np.array(['a', 'b']), np.zeros(2))",
    "forbidden": "from mlgrind.checks import forbidden\n\ndef uses_einsum(a):\n    return np.einsum('i->', a)\n\n"
                 "with forbidden(np, 'einsum'):\n    uses_einsum(np.ones(2))",
    "passes": "with QuickCheck('broadcast_shape', passed='The quick checks pass.') as check:\n"
              "    check.equal('1 + 1', 1 + 1, 2)",
}


@pytest.fixture(scope="module")
def kernel_outputs():
    """grade-like name -> (printed text, error outputs) of each cell of ``KERNEL_CELLS``, run in one kernel."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in KERNEL_CELLS.values()]
    nbclient.NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120).execute()
    result = {}
    for name, cell in zip(KERNEL_CELLS, nb.cells):
        printed = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
        errors = [out for out in cell.outputs if out.output_type == "error"]
        result[name] = (printed, errors)
    return result


def shown(error) -> str:
    """What a notebook displays for an error output, colours removed."""
    return ANSI.sub("", "\n".join(error["traceback"]))


def test_a_quick_check_of_an_unattempted_function_prints_one_line_and_raises_nothing(kernel_outputs):
    printed, errors = kernel_outputs["quick_stub"]
    assert errors == []
    assert printed == STUB_NOTE.format("broadcast_shape") + "\n"
    # The cell went on.
    assert kernel_outputs["after_quick_stub"] == ("the cell below ran\n", [])


def test_a_hidden_test_fails_an_unattempted_function_in_one_line(kernel_outputs):
    printed, [error] = kernel_outputs["hidden_stub"]
    assert (error["ename"], error["evalue"]) == (
        "CheckFailed", "broadcast_shape: not attempted yet (its cell still raises NotImplementedError)")
    assert not COURSE_FRAME.search(shown(error)) and "NotImplementedError\n" not in shown(error)


def test_answers_left_at_none_are_not_attempted_in_a_quick_check_and_fail_a_hidden_test(kernel_outputs):
    assert kernel_outputs["answers"] == (
        "answers: not attempted yet - write your answers in place of the raise in this cell, "
        "then run this cell again\n", [])
    assert kernel_outputs["quick_answers"] == (
        "answers: not attempted yet - write your answers in the cell above, then run this cell again\n", [])
    _, [error] = kernel_outputs["hidden_answers"]
    assert error["evalue"] == "answers: not attempted yet (the answers are still None)"
    assert "you said None" not in shown(error)


def test_a_demo_cell_names_the_stub_it_reached_and_goes_on(kernel_outputs):
    printed, errors = kernel_outputs["demo"]
    assert errors == []
    assert printed == STUB_NOTE.format("linear_forward") + "\nafter the demo\n"


def red(line: str) -> str:
    return f"\x1b[31m✗ {line}\x1b[0m\n"


def test_a_failed_quick_check_is_one_red_line_cause_first_and_the_notebook_goes_on(kernel_outputs):
    assert kernel_outputs["failing"] == (
        red("standardize: transposed? out_BF is (3, 4), expected (4, 3) (+1 more failed check)"), [])


def test_a_failed_hidden_test_still_raises_every_failure_with_no_course_frame(kernel_outputs):
    _, [error] = kernel_outputs["hidden_failing"]
    text = shown(error)
    assert "CheckFailed: standardize: out_BF is (3, 4), expected (4, 3): transposed? (+1 more failed checks below)" in text
    assert "- out_BF is (2,), expected (4, 3)" not in text  # the second check is on its own arrays
    assert "- out_BF is wrong at 2 of 2 elements; worst at [0]: got 1, expected 0" in text
    assert "with Checker('standardize') as check:" in text  # the cell is shown
    assert not COURSE_FRAME.search(text), text
    assert "__exit__" not in text


def test_a_learner_error_in_a_quick_check_is_one_red_line_naming_the_line_that_raised(kernel_outputs):
    assert kernel_outputs["learner_error"] == (
        red("standardize: mean is wrong: expected 0, got 1 (+1 more failed check)"), [])
    printed, errors = kernel_outputs["learner_error_alone"]
    assert errors == []
    assert printed == red("standardize raised TypeError: 'NoneType' object is not iterable "
                          "(in standardize, its cell's line 2: for row in None:)")


def test_an_error_inside_a_check_or_a_forbidden_call_shows_no_course_frame(kernel_outputs):
    printed, errors = kernel_outputs["odd_value"]
    assert errors == [] and printed.startswith("\x1b[31m✗ standardize raised ValueError")
    assert not COURSE_FRAME.search(printed), printed
    _, [error] = kernel_outputs["forbidden"]
    assert not COURSE_FRAME.search(shown(error)), shown(error)
    assert error["evalue"] == "numpy.einsum is not allowed in this exercise"


def test_a_wrong_scalar_says_it_came_out_wrong_and_the_likely_cause():
    check = Checker("mse_loss")
    check.close("mse_loss of perfect predictions", np.float64(0.8888889), 0.0, atol=1e-12,
                hint="what a silent (N, 1) - (N,) broadcast gives?")
    assert check.failures == ["mse_loss of perfect predictions came out wrong: got 0.888889, expected 0: "
                              "what a silent (N, 1) - (N,) broadcast gives?"]


def test_a_quick_check_that_passes_prints_its_passed_line(kernel_outputs):
    assert kernel_outputs["passes"] == ("The quick checks pass.\n", [])


def test_outside_a_notebook_a_quick_check_of_a_stub_fails_instead_of_passing_silently():
    def broadcast_shape(*shapes):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match=r"^broadcast_shape: not attempted yet \(its cell still raises"):
        with QuickCheck("broadcast_shape") as check:
            check.raises(ValueError, broadcast_shape, (2,), (3,))
    assert check.failures == ["not attempted yet (its cell still raises NotImplementedError)"]


def test_not_attempted_comes_first_and_keeps_what_failed_before():
    def merge_heads(x_BHLK):
        raise NotImplementedError()

    with pytest.raises(CheckFailed) as info:
        with Checker("split_heads / merge_heads") as check:
            check.true(False, "split_heads((2, 3, 4), H=2) is (2, 3, 2, 2), expected (2, 2, 3, 2)")
            merge_heads(None)
    assert str(info.value).splitlines() == [
        "split_heads / merge_heads: not attempted yet (merge_heads: its cell still raises NotImplementedError)"
        " (+1 more failed checks below)",
        "- split_heads((2, 3, 4), H=2) is (2, 3, 2, 2), expected (2, 2, 3, 2)",
    ]


def test_a_not_implemented_error_with_a_message_is_the_learners_own_error_not_a_stub():
    def matmul_shape(a_shape, b_shape):
        raise NotImplementedError("1-D operands are not handled yet")

    with pytest.raises(CheckFailed) as info:
        with QuickCheck("matmul_shape") as check:
            check.true(False, "matmul_shape((3,), (3,)) is wrong")
            matmul_shape((3,), (3,))
    assert "not attempted" not in str(info.value)
    assert "then raised NotImplementedError: 1-D operands are not handled yet" in str(info.value)


# --- Graded for real: an untouched notebook gets zero, each hidden test saying "not attempted yet" ---

import json  # noqa: E402

from support import REPO, run  # noqa: E402


@pytest.mark.slow  # a full grade of every notebook
@pytest.mark.parametrize("assignment", sorted(p.stem for p in (REPO / "notebooks").glob("0*.ipynb")))
def test_grading_an_untouched_notebook_says_not_attempted_for_every_exercise_and_sees_no_tampering(course, assignment):
    result = run(["mlgrind", "grade", assignment, "--json"], course)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] == 0 and report["max_score"] > 0
    autograded = [cell for cell in report["cells"] if cell["status"] != "manual"]
    assert autograded
    for cell in autograded:
        assert cell["score"] == 0
        assert re.fullmatch(r"[\w /]+: not attempted yet \([^\n]*\)", cell["message"]), cell
    # Check cells that only noted "not attempted yet" leave no note of their own.
    assert report["notes"] == []
