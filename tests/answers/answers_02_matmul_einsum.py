"""Wrong and alternative answers for 02_matmul_einsum, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks.
"""

WRONG = {
    "shape_keeps_promoted_ones": ("matmul_shape", "test_matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    if not a_shape or not b_shape:
        raise ValueError("0-d operand")
    a_shape = (1,) + tuple(a_shape) if len(a_shape) == 1 else tuple(a_shape)
    b_shape = tuple(b_shape) + (1,) if len(b_shape) == 1 else tuple(b_shape)
    if a_shape[-1] != b_shape[-2]:
        raise ValueError(f"K={a_shape[-1]} vs K={b_shape[-2]}")
    ba, bb = a_shape[:-2], b_shape[:-2]
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    batch = []
    for x, y in zip(ba, bb):
        if x != y and 1 not in (x, y):
            raise ValueError(f"batch sizes {x} vs {y}")
        batch.append(x if y == 1 else y)
    return tuple(batch) + (a_shape[-2], b_shape[-1])
'''),
    "shape_batch_not_broadcast": ("matmul_shape", "test_matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    if not a_shape or not b_shape:
        raise ValueError("0-d operand")
    a_vec, b_vec = len(a_shape) == 1, len(b_shape) == 1
    a_shape = (1,) + tuple(a_shape) if a_vec else tuple(a_shape)
    b_shape = tuple(b_shape) + (1,) if b_vec else tuple(b_shape)
    if a_shape[-1] != b_shape[-2]:
        raise ValueError(f"K={a_shape[-1]} vs K={b_shape[-2]}")
    batch = a_shape[:-2] if len(a_shape) >= len(b_shape) else b_shape[:-2]
    return batch + (() if a_vec else a_shape[-2:-1]) + (() if b_vec else b_shape[-1:])
'''),
    "shape_k_of_one_stretches": ("matmul_shape", "test_matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    if not a_shape or not b_shape:
        raise ValueError("0-d operand")
    a_vec, b_vec = len(a_shape) == 1, len(b_shape) == 1
    a_shape = (1,) + tuple(a_shape) if a_vec else tuple(a_shape)
    b_shape = tuple(b_shape) + (1,) if b_vec else tuple(b_shape)
    if a_shape[-1] != b_shape[-2] and 1 not in (a_shape[-1], b_shape[-2]):
        raise ValueError(f"K={a_shape[-1]} vs K={b_shape[-2]}")
    ba, bb = a_shape[:-2], b_shape[:-2]
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    batch = []
    for x, y in zip(ba, bb):
        if x != y and 1 not in (x, y):
            raise ValueError(f"batch sizes {x} vs {y}")
        batch.append(x if y == 1 else y)
    return tuple(batch) + (() if a_vec else a_shape[-2:-1]) + (() if b_vec else b_shape[-1:])
'''),
    "shape_calls_np_matmul": ("matmul_shape", "test_matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    return np.matmul(np.empty(a_shape), np.empty(b_shape)).shape
'''),
    "shape_uses_the_at_operator": ("matmul_shape", "test_matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    return (np.zeros(a_shape) @ np.zeros(b_shape)).shape
'''),
    # Array shortcuts: NumPy multiplies throw-away arrays and its error is re-raised.
    "shape_operator_matmul_on_empty": ("matmul_shape", "test_matmul_shape", '''
from operator import matmul as times

def matmul_shape(a_shape, b_shape):
    return tuple(times(np.empty(a_shape), np.empty(b_shape)).shape)
'''),
    "shape_ndarray_dunder_matmul": ("matmul_shape", "test_matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    try:
        return np.ndarray.__matmul__(np.zeros(a_shape, np.int8), np.zeros(b_shape, np.int8)).shape
    except ValueError as exc:
        raise ValueError(f"{a_shape} @ {b_shape}: {exc}") from None
'''),
    "shape_einsum_under_another_name": ("matmul_shape", "test_matmul_shape", '''
from numpy import einsum as contract

def matmul_shape(a_shape, b_shape):
    a, b = tuple(a_shape), tuple(b_shape)
    if not a or not b:
        raise ValueError("a 0-d operand")
    left = "...mk" if len(a) > 1 else "k"
    right = "...kn" if len(b) > 1 else "k"
    out = "..." + ("m" if len(a) > 1 else "") + ("n" if len(b) > 1 else "")
    if len(a) == 1 and len(b) == 1:
        out = ""
    if a[-1] != b[-2 if len(b) > 1 else -1]:
        raise ValueError(f"K={a[-1]} vs K={b[-2 if len(b) > 1 else -1]}")
    return contract(f"{left},{right}->{out}", np.ones(a), np.ones(b)).shape
'''),
    "shape_cached_array_as_strided": ("matmul_shape", "test_matmul_shape", '''
from operator import matmul as times
from numpy.lib.stride_tricks import as_strided

_CELL = np.ones(1, dtype=np.int8)

def matmul_shape(a_shape, b_shape):
    a = as_strided(_CELL, shape=a_shape, strides=(0,) * len(a_shape))
    b = as_strided(_CELL, shape=b_shape, strides=(0,) * len(b_shape))
    return times(a, b).shape
'''),
    "shape_error_without_sizes": ("matmul_shape", "test_matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    if not a_shape or not b_shape:
        raise ValueError("0-d operand")
    a_vec, b_vec = len(a_shape) == 1, len(b_shape) == 1
    a_shape = (1,) + tuple(a_shape) if a_vec else tuple(a_shape)
    b_shape = tuple(b_shape) + (1,) if b_vec else tuple(b_shape)
    if a_shape[-1] != b_shape[-2]:
        raise ValueError("inner dimensions do not match")
    ba, bb = a_shape[:-2], b_shape[:-2]
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    batch = []
    for x, y in zip(ba, bb):
        if x != y and 1 not in (x, y):
            raise ValueError("batch shapes do not broadcast")
        batch.append(x if y == 1 else y)
    return tuple(batch) + (() if a_vec else a_shape[-2:-1]) + (() if b_vec else b_shape[-1:])
'''),
    "batched_calls_np_matmul": ("batched_matmul", "test_batched_matmul", '''
def batched_matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("K differs")
    return np.matmul(a, b)
'''),
    "batched_uses_the_at_operator": ("batched_matmul", "test_batched_matmul", '''
def batched_matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("K differs")
    return a @ b
'''),
    "batched_at_hidden_in_a_helper": ("batched_matmul", "test_batched_matmul", '''
def _mm(x, y):
    return x @ y

def batched_matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("K differs")
    return _mm(a, b)
'''),
    "batched_k_of_one_stretches": ("batched_matmul", "test_batched_matmul", '''
def batched_matmul(a, b):
    return (a[..., :, :, None] * b[..., None, :, :]).sum(axis=-2)
'''),
    "batched_sums_wrong_axis": ("batched_matmul", "test_batched_matmul", '''
def batched_matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("K differs")
    return (a[..., :, :, None] * b[..., None, :, :]).sum(axis=-1)
'''),
    "batched_three_dims_only": ("batched_matmul", "test_batched_matmul", '''
def batched_matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("K differs")
    return (a[:, :, :, None] * b[:, None, :, :]).sum(axis=2)
'''),
    "batched_upcasts_to_float64": ("batched_matmul", "test_batched_matmul", '''
def batched_matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("K differs")
    return np.sum(a[..., :, :, None] * b[..., None, :, :], axis=-2, dtype=np.float64)
'''),
    "batched_buffer_view_assumes_contiguous": ("batched_matmul", "test_batched_matmul", '''
def batched_matmul(a, b):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"K={a.shape[-1]} vs K={b.shape[-2]}")
    a_MK1 = np.ndarray(a.shape + (1,), dtype=a.dtype, buffer=a)   # a new axis without a copy
    return (a_MK1 * b[..., None, :, :]).sum(axis=-2)
'''),
    "outer_transposed": ("outer", "test_outer", '''
def outer(u_M, v_N):
    return np.einsum("m,n->nm", u_M, v_N)
'''),
    "outer_without_einsum": ("outer", "test_outer", '''
def outer(u_M, v_N):
    return np.outer(u_M, v_N)
'''),
    "outer_is_an_inner_product": ("outer", "test_outer", '''
def outer(u_M, v_N):
    return np.einsum("i,i->", u_M, v_N)
'''),
    "bmm_transposed_output": ("bmm", "test_bmm", '''
def bmm(a_BMK, b_BKN):
    return np.einsum("bmk,bkn->bnm", a_BMK, b_BKN)
'''),
    "bmm_sums_the_batch": ("bmm", "test_bmm", '''
def bmm(a_BMK, b_BKN):
    return np.einsum("bmk,bkn->mn", a_BMK, b_BKN)
'''),
    "bmm_without_einsum": ("bmm", "test_bmm", '''
def bmm(a_BMK, b_BKN):
    return a_BMK @ b_BKN
'''),
    "bilinear_sums_the_batch": ("bilinear", "test_bilinear", '''
def bilinear(x_BD, w_DE, y_BE):
    return np.einsum("bd,de,be->", x_BD, w_DE, y_BE)
'''),
    "bilinear_keeps_e": ("bilinear", "test_bilinear", '''
def bilinear(x_BD, w_DE, y_BE):
    return np.einsum("bd,de,be->be", x_BD, w_DE, y_BE)
'''),
    "bilinear_without_einsum": ("bilinear", "test_bilinear", '''
def bilinear(x_BD, w_DE, y_BE):
    return np.sum((x_BD @ w_DE) * y_BE, axis=1)
'''),
    "scores_missing_scale": ("attention_scores", "test_attention_scores", '''
def attention_scores(q_BHLK, k_BHMK):
    return np.einsum("bhlk,bhmk->bhlm", q_BHLK, k_BHMK)
'''),
    "scores_transposed": ("attention_scores", "test_attention_scores", '''
def attention_scores(q_BHLK, k_BHMK):
    return np.einsum("bhlk,bhmk->bhml", q_BHLK, k_BHMK) / np.sqrt(q_BHLK.shape[-1])
'''),
    "scores_divided_by_k": ("attention_scores", "test_attention_scores", '''
def attention_scores(q_BHLK, k_BHMK):
    return np.einsum("bhlk,bhmk->bhlm", q_BHLK, k_BHMK) / q_BHLK.shape[-1]
'''),
    "scores_scaled_by_key_count": ("attention_scores", "test_attention_scores", '''
def attention_scores(q_BHLK, k_BHMK):
    return np.einsum("bhlk,bhmk->bhlm", q_BHLK, k_BHMK) / np.sqrt(k_BHMK.shape[-2])
'''),
    "scores_old_letters_scaled_by_model_width": ("attention_scores", "test_attention_scores", '''
def attention_scores(q_BHLK, k_BHMK):
    H, K = q_BHLK.shape[1], q_BHLK.shape[-1]
    return np.einsum("bhlk,bhmk->bhlm", q_BHLK, k_BHMK) / np.sqrt(H * K)
'''),
    "project_heads_no_transpose": ("project_heads", "test_project_heads", '''
def project_heads(x_BLD, w_DHK):
    return np.einsum("bld,dhk->blhk", x_BLD, w_DHK)
'''),
    "project_heads_transposed_output": ("project_heads", "test_project_heads", '''
def project_heads(x_BLD, w_DHK):
    return np.einsum("bld,dhk->bhkl", x_BLD, w_DHK)
'''),
    "project_heads_reshape_not_transpose": ("project_heads", "test_project_heads", '''
def project_heads(x_BLD, w_DHK):
    B, L, D = x_BLD.shape
    H, K = w_DHK.shape[1:]
    return np.einsum("bld,dhk->blhk", x_BLD, w_DHK).reshape(B, H, L, K)
'''),
    "project_heads_legacy_copy": ("project_heads", "test_project_heads", '''
def project_heads(x_BLD, w_DHK):
    B, L, D = x_BLD.shape
    H, K = w_DHK.shape[1], w_DHK.shape[2]
    y = (x_BLD.reshape(B * L, D) @ w_DHK.reshape(D, H * K)).reshape(B, L, H, K)
    return y.transpose(0, 2, 1, 3)
'''),
    "flops_without_the_two": ("matmul_flops", "test_matmul_flops", '''
def matmul_flops(a_shape, b_shape):
    M = 1 if len(a_shape) == 1 else a_shape[-2]
    K = a_shape[-1]
    N = 1 if len(b_shape) == 1 else b_shape[-1]
    ba, bb = tuple(a_shape[:-2]), tuple(b_shape[:-2])
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    batch = 1
    for x, y in zip(ba, bb):
        batch *= x if y == 1 else y
    return batch * M * K * N
'''),
    "flops_ignore_the_batch": ("matmul_flops", "test_matmul_flops", '''
def matmul_flops(a_shape, b_shape):
    M = 1 if len(a_shape) == 1 else a_shape[-2]
    N = 1 if len(b_shape) == 1 else b_shape[-1]
    return 2 * M * a_shape[-1] * N
'''),
    "flops_batch_of_a_only": ("matmul_flops", "test_matmul_flops", '''
import math

def matmul_flops(a_shape, b_shape):
    M = 1 if len(a_shape) == 1 else a_shape[-2]
    N = 1 if len(b_shape) == 1 else b_shape[-1]
    return 2 * math.prod(a_shape[:-2]) * M * a_shape[-1] * N
'''),
    "flops_vector_as_a_matrix": ("matmul_flops", "test_matmul_flops", '''
import math

def matmul_flops(a_shape, b_shape):
    M, K, N = a_shape[-2 if len(a_shape) > 1 else 0], a_shape[-1], b_shape[-1]
    ba, bb = tuple(a_shape[:-2]), tuple(b_shape[:-2])
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    return 2 * math.prod(x if y == 1 else y for x, y in zip(ba, bb)) * M * K * N
'''),
    # Types the task fixes: the right count, returned as a float.
    "flops_float_two": ("matmul_flops", "test_matmul_flops", '''
import math

def matmul_flops(a_shape, b_shape):
    a = tuple(a_shape) if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b = tuple(b_shape) if len(b_shape) > 1 else tuple(b_shape) + (1,)
    n = max(len(a), len(b)) - 2
    ba, bb = (1,) * (n - len(a) + 2) + a[:-2], (1,) * (n - len(b) + 2) + b[:-2]
    batch = math.prod(y if x == 1 else x for x, y in zip(ba, bb))
    return 2.0 * batch * a[-2] * a[-1] * b[-1]
'''),
    "flops_true_division": ("matmul_flops", "test_matmul_flops", '''
import math

def matmul_flops(a_shape, b_shape):
    a = tuple(a_shape) if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b = tuple(b_shape) if len(b_shape) > 1 else tuple(b_shape) + (1,)
    n = max(len(a), len(b)) - 2
    ba, bb = (1,) * (n - len(a) + 2) + a[:-2], (1,) * (n - len(b) + 2) + b[:-2]
    outputs = math.prod(y if x == 1 else x for x, y in zip(ba, bb)) * a[-2] * b[-1]
    macs = outputs * a[-1]
    return macs * 4 / 2
'''),
    "flops_numpy_prod_of_empty_batch": ("matmul_flops", "test_matmul_flops", '''
def matmul_flops(a_shape, b_shape):
    a = tuple(a_shape) if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b = tuple(b_shape) if len(b_shape) > 1 else tuple(b_shape) + (1,)
    n = max(len(a), len(b)) - 2
    ba, bb = (1,) * (n - len(a) + 2) + a[:-2], (1,) * (n - len(b) + 2) + b[:-2]
    batch = np.prod([y if x == 1 else x for x, y in zip(ba, bb)])
    return 2 * batch * a[-2] * a[-1] * b[-1]
'''),
    "bytes_bits_divided_by_eight": ("matmul_bytes", "test_matmul_bytes", '''
import math

def matmul_bytes(a_shape, b_shape, itemsize):
    a = tuple(a_shape) if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b = tuple(b_shape) if len(b_shape) > 1 else tuple(b_shape) + (1,)
    n = max(len(a), len(b)) - 2
    ba, bb = (1,) * (n - len(a) + 2) + a[:-2], (1,) * (n - len(b) + 2) + b[:-2]
    out = math.prod(y if x == 1 else x for x, y in zip(ba, bb)) * a[-2] * b[-1]
    bits = 8 * itemsize * (math.prod(a_shape) + math.prod(b_shape) + out)
    return bits / 8
'''),
    "bytes_numpy_prod_of_a_scalar_output": ("matmul_bytes", "test_matmul_bytes", '''
def matmul_bytes(a_shape, b_shape, itemsize):
    a = tuple(a_shape) if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b = tuple(b_shape) if len(b_shape) > 1 else tuple(b_shape) + (1,)
    n = max(len(a), len(b)) - 2
    ba, bb = (1,) * (n - len(a) + 2) + a[:-2], (1,) * (n - len(b) + 2) + b[:-2]
    out_shape = tuple(y if x == 1 else x for x, y in zip(ba, bb))
    out_shape += a[-2:-1] * (len(a_shape) > 1) + b[-1:] * (len(b_shape) > 1)
    return itemsize * (np.prod(a_shape) + np.prod(b_shape) + np.prod(out_shape))
'''),
    "bytes_without_the_output": ("matmul_bytes", "test_matmul_bytes", '''
import math

def matmul_bytes(a_shape, b_shape, itemsize):
    return itemsize * (math.prod(a_shape) + math.prod(b_shape))
'''),
    "bytes_broadcast_operand_per_copy": ("matmul_bytes", "test_matmul_bytes", '''
import math

def matmul_bytes(a_shape, b_shape, itemsize):
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    M = () if len(a_shape) == 1 else a_shape[-2:-1]
    N = () if len(b_shape) == 1 else b_shape[-1:]
    ba, bb = a_shape[:-2], b_shape[:-2]
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    batch = math.prod(x if y == 1 else y for x, y in zip(ba, bb))
    a_read = batch * math.prod(a_shape[-2:])
    b_read = batch * math.prod(b_shape[-2:])
    return itemsize * (a_read + b_read + batch * math.prod(M + N))
'''),
    "bytes_counts_elements": ("matmul_bytes", "test_matmul_bytes", '''
import math

def matmul_bytes(a_shape, b_shape, itemsize):
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    M = () if len(a_shape) == 1 else a_shape[-2:-1]
    N = () if len(b_shape) == 1 else b_shape[-1:]
    ba, bb = a_shape[:-2], b_shape[:-2]
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    batch = math.prod(x if y == 1 else y for x, y in zip(ba, bb))
    return math.prod(a_shape) + math.prod(b_shape) + batch * math.prod(M + N)
'''),
}

ALTERNATIVE = {
    "shape_zip_longest": ("matmul_shape", '''
from itertools import zip_longest

def matmul_shape(a_shape, b_shape):
    if len(a_shape) < 1 or len(b_shape) < 1:
        raise ValueError("matmul: a 0-d operand has no axis to contract")
    a = list(a_shape) if len(a_shape) > 1 else [1, a_shape[0]]
    b = list(b_shape) if len(b_shape) > 1 else [b_shape[0], 1]
    if a[-1] != b[-2]:
        raise ValueError(f"a has K={a[-1]} but b has K={b[-2]}")
    batch = []
    for x, y in zip_longest(reversed(a[:-2]), reversed(b[:-2]), fillvalue=1):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"batch sizes {x} and {y} clash")
        batch.append(y if x == 1 else x)
    out = batch[::-1]
    if len(a_shape) > 1:
        out.append(a[-2])
    if len(b_shape) > 1:
        out.append(b[-1])
    return tuple(out)
'''),
    "shape_reuses_a_broadcast_helper": ("matmul_shape", '''
def _broadcast(s, t):
    n = max(len(s), len(t))
    s, t = (1,) * (n - len(s)) + tuple(s), (1,) * (n - len(t)) + tuple(t)
    out = []
    for axis, (x, y) in enumerate(zip(s, t)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError(f"batch axis {axis}: {x} vs {y}")
    return tuple(out)

def matmul_shape(a_shape, b_shape):
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    if 0 in (len(a_shape), len(b_shape)):
        raise ValueError("scalars cannot be matrix-multiplied")
    if len(a_shape) == 1 and len(b_shape) == 1:
        if a_shape != b_shape:
            raise ValueError(f"K={a_shape[0]} vs K={b_shape[0]}")
        return ()
    if len(a_shape) == 1:
        return matmul_shape((1,) + a_shape, b_shape)[:-2] + b_shape[-1:]
    if len(b_shape) == 1:
        return matmul_shape(a_shape, b_shape + (1,))[:-1]
    if a_shape[-1] != b_shape[-2]:
        raise ValueError(f"K={a_shape[-1]} vs K={b_shape[-2]}")
    return _broadcast(a_shape[:-2], b_shape[:-2]) + (a_shape[-2], b_shape[-1])
'''),
    "shape_recursive_batch": ("matmul_shape", '''
def _batch(s, t):
    if not s or not t:
        return tuple(s) or tuple(t)
    x, y = s[-1], t[-1]
    if x != y and x != 1 and y != 1:
        raise ValueError(f"batch sizes {x} and {y} do not broadcast")
    return _batch(s[:-1], t[:-1]) + (x if y == 1 else y,)

def matmul_shape(a_shape, b_shape):
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise ValueError("0-d operand")
    a = tuple(a_shape) if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b = tuple(b_shape) if len(b_shape) > 1 else tuple(b_shape) + (1,)
    if a[-1] != b[-2]:
        raise ValueError(f"inner sizes {a[-1]} and {b[-2]} differ")
    return _batch(a[:-2], b[:-2]) + a[-2:-1] * (len(a_shape) > 1) + b[-1:] * (len(b_shape) > 1)
'''),
    "shape_int_conversion_and_loop": ("matmul_shape", '''
def matmul_shape(a_shape, b_shape):
    a, b = [int(n) for n in a_shape], [int(n) for n in b_shape]
    if not a or not b:
        raise ValueError("matmul needs 1-D or more on both sides")
    keep_m, keep_n = len(a) > 1, len(b) > 1
    if not keep_m:
        a = [1] + a
    if not keep_n:
        b = b + [1]
    if a[-1] != b[-2]:
        raise ValueError(f"K={a[-1]} vs K={b[-2]}")
    ba, bb = a[:-2], b[:-2]
    while len(ba) < len(bb):
        ba = [1] + ba
    while len(bb) < len(ba):
        bb = [1] + bb
    out = []
    i = 0
    while i < len(ba):
        if ba[i] != bb[i] and 1 not in (ba[i], bb[i]):
            raise ValueError(f"batch {ba[i]} vs {bb[i]}")
        out.append(bb[i] if ba[i] == 1 else ba[i])
        i += 1
    return tuple(out + a[-2:-1] * keep_m + b[-1:] * keep_n)
'''),
    "flops_math_prod_of_the_output": ("matmul_flops", '''
import math

def matmul_flops(a_shape, b_shape):
    a, b = list(a_shape), list(b_shape)
    K = a[-1]
    out = [] if len(a) == 1 else [a[-2]]
    out += [] if len(b) == 1 else [b[-1]]
    ba, bb = a[:-2], b[:-2]
    width = max(len(ba), len(bb))
    ba, bb = [1] * (width - len(ba)) + ba, [1] * (width - len(bb)) + bb
    return 2 * K * math.prod([max(x, y) if 0 not in (x, y) else 0 for x, y in zip(ba, bb)] + out)
'''),
    "bytes_numpy_int64": ("matmul_bytes", '''
def matmul_bytes(a_shape, b_shape, itemsize):
    count = lambda shape: np.prod(np.asarray(shape, dtype=np.int64), dtype=np.int64)
    a = tuple(a_shape) if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b = tuple(b_shape) if len(b_shape) > 1 else tuple(b_shape) + (1,)
    n = max(len(a), len(b)) - 2
    ba, bb = (1,) * (n - len(a) + 2) + a[:-2], (1,) * (n - len(b) + 2) + b[:-2]
    out = count([y if x == 1 else x for x, y in zip(ba, bb)]) * a[-2] * b[-1]
    return np.int64(itemsize) * (count(a_shape) + count(b_shape) + out)
'''),
    "batched_swapaxes": ("batched_matmul", '''
def batched_matmul(a, b):
    K_a, K_b = a.shape[-1], b.shape[-2]
    if K_a != K_b:
        raise ValueError(f"K={K_a} vs K={K_b}")
    b_NK = np.swapaxes(b, -1, -2)
    return np.sum(a[..., :, None, :] * b_NK[..., None, :, :], axis=-1)
'''),
    "batched_expand_dims": ("batched_matmul", '''
def batched_matmul(a, b):
    assert a.ndim >= 2 and b.ndim >= 2
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("contracted sizes differ")
    return (np.expand_dims(a, -1) * np.expand_dims(b, -3)).sum(-2)
'''),
    "outer_implicit_and_sublists": ("outer", '''
def outer(u_M, v_N):
    out = np.einsum("i,j", u_M, v_N)
    return np.einsum(out, [0, 1], [0, 1])
'''),
    "bmm_ellipsis_optimize": ("bmm", '''
def bmm(a_BMK, b_BKN):
    return np.einsum("...ij,...jk->...ik", a_BMK, b_BKN, optimize=True)
'''),
    "bilinear_einsum_after_matmul": ("bilinear", '''
def bilinear(x_BD, w_DE, y_BE):
    return np.einsum("be,be->b", x_BD @ w_DE, y_BE)
'''),
    "scores_other_argument_names": ("attention_scores", '''
def attention_scores(query, key):
    head_size = query.shape[-1]
    return np.einsum("...qd,...kd->...qk", query, key) * head_size ** -0.5
'''),
    "scores_scale_q_first": ("attention_scores", '''
import math

def attention_scores(q_BHQD, k_BHKD):
    q_BHQD = q_BHQD * (1.0 / math.sqrt(q_BHQD.shape[-1]))
    return np.einsum("...qd,...kd->...qk", q_BHQD, k_BHKD)
'''),
    "project_heads_then_transpose": ("project_heads", '''
def project_heads(x_BLD, w_DHK):
    q_BLHK = np.einsum("btd,dnk->btnk", x_BLD, w_DHK)
    return np.transpose(q_BLHK, (0, 2, 1, 3))
'''),
    "flops_from_output_elements": ("matmul_flops", '''
def matmul_flops(a_shape, b_shape):
    a = list(a_shape) if len(a_shape) > 1 else [1] + list(a_shape)
    b = list(b_shape) if len(b_shape) > 1 else list(b_shape) + [1]
    batch_a, batch_b = a[:-2], b[:-2]
    while len(batch_a) < len(batch_b):
        batch_a.insert(0, 1)
    while len(batch_b) < len(batch_a):
        batch_b.insert(0, 1)
    outputs = int(np.prod([y if x == 1 else x for x, y in zip(batch_a, batch_b)], dtype=np.int64))
    outputs *= a[-2] * b[-1]
    return 2 * a[-1] * outputs
'''),
    "bytes_with_numpy_prod": ("matmul_bytes", '''
def matmul_bytes(a_shape, b_shape, itemsize):
    a = np.array(a_shape if len(a_shape) > 1 else (1,) + tuple(a_shape), dtype=np.int64)
    b = np.array(b_shape if len(b_shape) > 1 else tuple(b_shape) + (1,), dtype=np.int64)
    n = max(len(a), len(b)) - 2
    batch_a = np.concatenate([np.ones(n - (len(a) - 2), np.int64), a[:-2]])
    batch_b = np.concatenate([np.ones(n - (len(b) - 2), np.int64), b[:-2]])
    batch = np.where(batch_a == 1, batch_b, batch_a)
    out = np.prod(batch) * a[-2] * b[-1]
    return int(itemsize * (np.prod(a_shape) + np.prod(b_shape) + out))
'''),
}
