"""Wrong and alternative answers for 01_broadcasting, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks.
"""

WRONG = {
    "broadcast_left_aligned": ("broadcast_shape", "test_broadcast_shape", '''
def broadcast_shape(*shapes):
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        for axis, size in enumerate(tuple(shape) + (1,) * (ndim - len(shape))):
            if size != 1 and result[axis] not in (1, size):
                raise ValueError(f"axis {axis}: {result[axis]} vs {size}")
            result[axis] = max(result[axis], size) if size != 1 else result[axis]
    return tuple(result)
'''),
    "broadcast_max_never_raises": ("broadcast_shape", "test_broadcast_shape", '''
def broadcast_shape(*shapes):
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    return tuple(max(column) for column in zip(*padded))
'''),
    "broadcast_one_beats_zero": ("broadcast_shape", "test_broadcast_shape", '''
def broadcast_shape(*shapes):
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        padded = (1,) * (ndim - len(shape)) + tuple(shape)
        for axis, size in enumerate(padded):
            if size != result[axis] and 1 not in (size, result[axis]):
                raise ValueError(f"axis {axis}: size {result[axis]} vs size {size}")
            result[axis] = max(size, result[axis])
    return tuple(result)
'''),
    "broadcast_calls_numpy": ("broadcast_shape", "test_broadcast_shape", '''
def broadcast_shape(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError("axis ? clash")
'''),
    # Array shortcuts: NumPy finds the shape, the learner re-raises its error with the right words.
    "broadcast_empty_plus": ("broadcast_shape", "test_broadcast_shape", '''
def broadcast_shape(*shapes):
    try:
        out = np.empty(())
        for shape in shapes:
            out = out + np.empty(shape)
        return tuple(out.shape)
    except ValueError:
        raise ValueError(f"shapes {shapes} clash along some axis") from None
'''),
    "broadcast_zeros_times": ("broadcast_shape", "test_broadcast_shape", '''
import functools

def broadcast_shape(*shapes):
    try:
        return functools.reduce(lambda x, y: x * y, [np.zeros(s, np.int8) for s in shapes], np.zeros(())).shape
    except ValueError as exc:
        raise ValueError(f"axis mismatch in {shapes}: {exc}") from None
'''),
    "broadcast_arrays_under_another_name": ("broadcast_shape", "test_broadcast_shape", '''
from numpy import broadcast_arrays as together

def broadcast_shape(*shapes):
    if not shapes:
        return ()
    try:
        return tuple(together(*[np.empty(s) for s in shapes])[0].shape)
    except ValueError:
        raise ValueError(f"axis clash in {shapes}") from None
'''),
    "broadcast_operator_add_on_ones": ("broadcast_shape", "test_broadcast_shape", '''
import functools
import operator

def broadcast_shape(*shapes):
    try:
        return tuple(functools.reduce(operator.add, map(np.ones, shapes), np.ones(())).shape)
    except ValueError:
        raise ValueError("cannot broadcast along an axis: " + " with ".join(map(str, shapes))) from None
'''),
    "broadcast_cached_array_as_strided": ("broadcast_shape", "test_broadcast_shape", '''
from numpy.lib.stride_tricks import as_strided

_ONE = np.zeros(1)

def broadcast_shape(*shapes):
    views = [as_strided(_ONE, shape=s, strides=(0,) * len(s)) for s in shapes]
    try:
        out = _ONE[0]
        for view in views:
            out = out - view
        return tuple(np.shape(out))
    except ValueError:
        raise ValueError(f"an axis does not broadcast in {shapes}") from None
'''),
    "broadcast_ndarray_constructor": ("broadcast_shape", "test_broadcast_shape", '''
def broadcast_shape(*shapes):
    arrays = [np.ndarray(shape=s, dtype=np.uint8) for s in shapes]
    try:
        return sum(arrays, np.ndarray(())).shape
    except ValueError:
        raise ValueError(f"size clash on an axis among {shapes}") from None
'''),
    "predictions_no_right_align": ("predictions", "test_predictions", '''
answers = [(9, 4, 3), (5, 4), (5, 4), (8, 7, 6, 5), (3,), (8, 4, 3), (0, 3), (4, 3, 2), (6, 6), "error"]
'''),
    "predictions_one_stretches_zero_away": ("predictions", "test_predictions", '''
answers = [(9, 4, 3), (5, 4), "error", (8, 7, 6, 5), (3,), "error", (1, 3), (4, 3, 2), (6, 6), "error"]
'''),
    "standardize_per_row": ("standardize", "test_standardize", '''
def standardize(x_BF, eps=1e-5):
    mean_B1 = x_BF.mean(axis=1, keepdims=True)
    var_B1 = x_BF.var(axis=1, keepdims=True)
    return (x_BF - mean_B1) / np.sqrt(var_B1 + eps)
'''),
    "standardize_std_plus_eps": ("standardize", "test_standardize", '''
def standardize(x_BF, eps=1e-5):
    return (x_BF - x_BF.mean(axis=0, keepdims=True)) / (x_BF.std(axis=0, keepdims=True) + eps)
'''),
    "standardize_whole_array": ("standardize", "test_standardize", '''
def standardize(x_BF, eps=1e-5):
    return (x_BF - x_BF.mean()) / np.sqrt(x_BF.var() + eps)
'''),
    "standardize_in_place": ("standardize", "test_standardize", '''
def standardize(x_BF, eps=1e-5):
    x_BF -= x_BF.mean(axis=0, keepdims=True)
    x_BF /= np.sqrt(x_BF.var(axis=0, keepdims=True) + eps)
    return x_BF
'''),
    "standardize_loses_float32": ("standardize", "test_standardize", '''
def standardize(x_BF, eps=1e-5):
    out_BF = np.zeros(x_BF.shape)
    for f in range(x_BF.shape[1]):
        column = x_BF[:, f]
        out_BF[:, f] = (column - column.mean()) / np.sqrt(column.var() + eps)
    return out_BF
'''),
    "pairwise_transposed": ("pairwise_sq_dists", "test_pairwise_sq_dists", '''
def pairwise_sq_dists(a_ND, b_MD):
    return ((b_MD[:, None, :] - a_ND[None, :, :]) ** 2).sum(axis=-1)
'''),
    "pairwise_norms_without_keepdims": ("pairwise_sq_dists", "test_pairwise_sq_dists", '''
def pairwise_sq_dists(a_ND, b_MD):
    a2 = (a_ND ** 2).sum(axis=1)
    b2 = (b_MD ** 2).sum(axis=1)
    return a2 + b2 - 2 * a_ND @ b_MD.T
'''),
    "pairwise_sums_wrong_axis": ("pairwise_sq_dists", "test_pairwise_sq_dists", '''
def pairwise_sq_dists(a_ND, b_MD):
    return ((a_ND[:, None, :] - b_MD[None, :, :]) ** 2).sum(axis=1)
'''),
    "pairwise_loops": ("pairwise_sq_dists", "test_pairwise_sq_dists", '''
def pairwise_sq_dists(a_ND, b_MD):
    d_NM = np.zeros((len(a_ND), len(b_MD)))
    for i in range(len(a_ND)):
        for j in range(len(b_MD)):
            d_NM[i, j] = np.sum((a_ND[i] - b_MD[j]) ** 2)
    return d_NM
'''),
    "mse_the_original_bug": ("mse_loss", "test_mse_loss", '''
def mse_loss(pred_N1, target_N):
    return np.mean((pred_N1 - target_N) ** 2)
'''),
    "mse_sum_not_mean": ("mse_loss", "test_mse_loss", '''
def mse_loss(pred_N1, target_N):
    return np.sum((pred_N1[:, 0] - target_N) ** 2)
'''),
    "mse_keeps_an_axis": ("mse_loss", "test_mse_loss", '''
def mse_loss(pred_N1, target_N):
    return np.mean((pred_N1 - target_N[:, None]) ** 2, axis=0)
'''),
    # Inputs the introduction promises: float32 and non-contiguous arrays.
    "mse_frombuffer_default_dtype": ("mse_loss", "test_mse_loss", '''
def mse_loss(pred_N1, target_N):
    pred_N = np.frombuffer(np.ascontiguousarray(pred_N1))   # (N, 1) is N numbers in a row
    return np.mean((pred_N - target_N) ** 2)
'''),
    "mse_frombuffer_assumes_contiguous": ("mse_loss", "test_mse_loss", '''
def mse_loss(pred_N1, target_N):
    pred_N = np.frombuffer(pred_N1, dtype=pred_N1.dtype)   # no copy: the column is N numbers in a row
    return np.mean((pred_N - target_N) ** 2)
'''),
}

ALTERNATIVE = {
    "broadcast_zip_longest": ("broadcast_shape", '''
from itertools import zip_longest

def broadcast_shape(*shapes):
    out = []
    for i, column in enumerate(zip_longest(*[reversed(s) for s in shapes], fillvalue=1)):
        sizes = {n for n in column if n != 1}
        if len(sizes) > 1:
            a, b = sorted(sizes)[:2]
            raise ValueError(f"sizes {a} and {b} clash at axis -{i + 1}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(reversed(out))
'''),
    "broadcast_pairwise_reduce": ("broadcast_shape", '''
def _two(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for axis, (x, y) in enumerate(zip(a, b)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError(f"cannot broadcast: axis {axis} has size {x} in one shape and {y} in the other")
    return tuple(out)

def broadcast_shape(*shapes):
    result = ()
    for shape in shapes:
        result = _two(result, shape)
    return result
'''),
    "broadcast_recursive": ("broadcast_shape", '''
def broadcast_shape(*shapes):
    if not shapes:
        return ()
    if len(shapes) > 2:
        return broadcast_shape(broadcast_shape(*shapes[:2]), *shapes[2:])
    a, b = tuple(shapes[0]), tuple(shapes[-1])
    if not a or not b:
        return a or b
    x, y = a[-1], b[-1]
    if x != y and 1 not in (x, y):
        raise ValueError(f"axis {max(len(a), len(b)) - 1} (from the left): {x} vs {y}")
    return broadcast_shape(a[:-1], b[:-1]) + ((y if x == 1 else x),)
'''),
    "broadcast_reversed_zip_with_int": ("broadcast_shape", '''
def broadcast_shape(*shapes):
    shapes = [tuple(int(n) for n in s) for s in shapes]
    ndim = max(map(len, shapes), default=0)
    out = [1] * ndim
    for shape in shapes:
        for i, size in zip(range(ndim - 1, -1, -1), reversed(shape)):
            if size == 1 or size == out[i]:
                continue
            if out[i] != 1:
                raise ValueError(f"cannot broadcast axis {i}: {out[i]} and {size}")
            out[i] = size
    return tuple(out)
'''),
    "broadcast_numpy_integer_sizes": ("broadcast_shape", '''
def broadcast_shape(*shapes):
    ndim = max((len(s) for s in shapes), default=0)
    out = [np.int64(1)] * ndim
    for shape in shapes:
        padded = [np.int64(1)] * (ndim - len(shape)) + [np.int64(n) for n in shape]
        for axis in range(ndim):
            x, y = out[axis], padded[axis]
            if x == 1:
                out[axis] = y
            elif y != 1 and y != x:
                raise ValueError(f"axis {axis}: size {int(x)} vs size {int(y)}")
    return tuple(out)
'''),
    "predictions_lists_and_capitals": ("predictions", '''
answers = [[9, 4, 3], [5, 4], "Error", [8, 7, 6, 5], [3], "ERROR", [0, 3], [4, 3, 2], [6, 6], " error "]
'''),
    "standardize_loops": ("standardize", '''
def standardize(x_BF, eps=1e-5):
    out_BF = np.empty_like(x_BF)
    B, F = x_BF.shape
    for f in range(F):
        mean = sum(x_BF[b, f] for b in range(B)) / B
        var = sum((x_BF[b, f] - mean) ** 2 for b in range(B)) / B
        for b in range(B):
            out_BF[b, f] = (x_BF[b, f] - mean) / (var + eps) ** 0.5
    return out_BF
'''),
    "standardize_that_warns": ("standardize", '''
import warnings

def standardize(x_BF, eps=1e-5):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        np.array([1.0]) / np.array([0.0])  # a NumPy RuntimeWarning on stderr, in the graded cell
    return (x_BF - x_BF.mean(0)) / np.sqrt(x_BF.var(0) + eps)
'''),
    "standardize_moments": ("standardize", '''
def standardize(x_BF, eps=1e-5):
    B = x_BF.shape[0]
    mean_F = x_BF.sum(axis=0) / B
    centered_BF = x_BF - mean_F
    var_F = (centered_BF * centered_BF).sum(axis=0) / B
    return centered_BF / np.sqrt(var_F + eps)
'''),
    "pairwise_expansion": ("pairwise_sq_dists", '''
def pairwise_sq_dists(a_ND, b_MD):
    a2_N1 = (a_ND ** 2).sum(axis=1, keepdims=True)
    b2_1M = (b_MD ** 2).sum(axis=1)[None, :]
    return a2_N1 + b2_1M - 2 * a_ND @ b_MD.T
'''),
    "pairwise_einsum": ("pairwise_sq_dists", '''
def pairwise_sq_dists(a_ND, b_MD):
    diff_NMD = a_ND[:, None] - b_MD[None]
    return np.einsum("nmd,nmd->nm", diff_NMD, diff_NMD)
'''),
    "mse_squeeze_in_float64": ("mse_loss", '''
def mse_loss(pred_N1, target_N):
    diff_N = np.squeeze(pred_N1, axis=1).astype(np.float64) - np.asarray(target_N, dtype=np.float64)
    return float(diff_N @ diff_N) / len(diff_N)
'''),
    "mse_ravel": ("mse_loss", '''
def mse_loss(pred_N1, target_N):
    return ((pred_N1.ravel() - target_N) ** 2).mean()
'''),
    "mse_column_target": ("mse_loss", '''
def mse_loss(pred_N1, target_N):
    return float(np.mean((pred_N1 - target_N.reshape(-1, 1)) ** 2))
'''),
}
