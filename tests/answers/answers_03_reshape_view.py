"""Wrong and alternative answers for 03_reshape_view, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks.
"""

WRONG = {
    "predictions_forgiving_squeeze_and_rounding": ("predictions", "test_predictions", '''
answers = [(60,), (32, 150528), (10, 20, 1), (2, 5, 20), (10, 3, 7), (4, 6), (5,), (1, 5, 1),
           (1, 4, 1, 5), (3, 16), "error", (2, 3, 2, 2), (1, 8, 1), (2, 6)]
'''),
    "predictions_transpose_swaps_last_two": ("predictions", "test_predictions", '''
answers = [(60,), (32, 150528), (10, 20, 1), (2, 5, 20), "error", (4, 6), (5,), "error",
           (1, 4, 5, 1), (3, 16), "error", (2, 3, 2, 2), (1, 1, 8), (2, 6)]
'''),
    "split_by_reshape_only": ("split_merge_heads", "test_split_merge_heads", '''
def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    if D % H:
        raise ValueError(f"H={H} does not divide D={D}")
    return x_BLD.reshape(B, H, L, D // H)

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    return x_BHLK.reshape(B, L, H * K)
'''),
    "split_interleaves_heads": ("split_merge_heads", "test_split_merge_heads", '''
def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    if D % H:
        raise ValueError(f"H={H} does not divide D={D}")
    return x_BLD.reshape(B, L, D // H, H).transpose(0, 3, 1, 2)

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    return x_BHLK.transpose(0, 2, 3, 1).reshape(B, L, H * K)
'''),
    "merge_forgets_the_transpose": ("split_merge_heads", "test_split_merge_heads", '''
def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    if D % H:
        raise ValueError(f"H={H} does not divide D={D}")
    return x_BLD.reshape(B, L, H, D // H).transpose(0, 2, 1, 3)

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    return x_BHLK.reshape(B, L, H * K)
'''),
    "split_without_a_clear_error": ("split_merge_heads", "test_split_merge_heads", '''
def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    return x_BLD.reshape(B, L, H, D // H).transpose(0, 2, 1, 3)

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    return x_BHLK.transpose(0, 2, 1, 3).reshape(B, L, H * K)
'''),
    # Right on a C-contiguous float64 input only: strides assumed, or a new array of the default dtype.
    "split_heads_as_strided_assumes_c_order": ("split_merge_heads", "test_split_merge_heads", '''
from numpy.lib.stride_tricks import as_strided

def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    if D % H:
        raise ValueError(f"H={H} does not divide D={D}")
    K, s = D // H, x_BLD.itemsize
    return as_strided(x_BLD, shape=(B, H, L, K), strides=(L * D * s, K * s, D * s, s))

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    return x_BHLK.transpose(0, 2, 1, 3).reshape(B, L, H * K)
'''),
    "split_heads_fills_float64_zeros": ("split_merge_heads", "test_split_merge_heads", '''
def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    if D % H:
        raise ValueError(f"H={H} does not divide D={D}")
    K = D // H
    out = np.zeros((B, H, L, K))
    for h in range(H):
        out[:, h] = x_BLD[:, :, h * K:(h + 1) * K]
    return out

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    return x_BHLK.transpose(0, 2, 1, 3).reshape(B, L, H * K)
'''),
    "patchify_loops_into_float64": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    out = np.empty((B, (H // p) * (W // p), C * p * p))
    for i in range(H // p):
        for j in range(W // p):
            out[:, i * (W // p) + j] = img_BCHW[:, :, i * p:(i + 1) * p, j * p:(j + 1) * p].reshape(B, -1)
    return out

def unpatchify(patches_BNP, p, C, H, W):
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    B = patches_BNP.shape[0]
    x = patches_BNP.reshape(B, H // p, W // p, C, p, p).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(B, C, H, W)
'''),
    "patchify_channels_last": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p).transpose(0, 2, 4, 3, 5, 1)
    return x.reshape(B, (H // p) * (W // p), p * p * C)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    B = patches_BNP.shape[0]
    x = patches_BNP.reshape(B, H // p, W // p, p, p, C).transpose(0, 5, 1, 3, 2, 4)
    return x.reshape(B, C, H, W)
'''),
    "patchify_plain_reshape": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    return img_BCHW.reshape(B, (H // p) * (W // p), C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    return patches_BNP.reshape(patches_BNP.shape[0], C, H, W)
'''),
    "patchify_column_major_patches": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p).transpose(0, 4, 2, 1, 3, 5)
    return x.reshape(B, (H // p) * (W // p), C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p or W % p:
        raise ValueError(f"p={p} must divide H={H} and W={W}")
    B = patches_BNP.shape[0]
    x = patches_BNP.reshape(B, W // p, H // p, C, p, p).transpose(0, 3, 2, 4, 1, 5)
    return x.reshape(B, C, H, W)
'''),
    "patchify_without_a_clear_error": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p).transpose(0, 2, 4, 1, 3, 5)
    return x.reshape(B, (H // p) * (W // p), C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    B = patches_BNP.shape[0]
    x = patches_BNP.reshape(B, H // p, W // p, C, p, p).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(B, C, H, W)
'''),
    "unpatchify_checks_only_H": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"patch size p={p} must divide H={H} and W={W}")
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p).transpose(0, 2, 4, 1, 3, 5)
    return x.reshape(B, (H // p) * (W // p), C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p:
        raise ValueError(f"patch size p={p} must divide H={H}")
    B = patches_BNP.shape[0]
    x = patches_BNP.reshape(B, H // p, W // p, C, p, p).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(B, C, H, W)
'''),
    "unpatchify_names_only_H": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"patch size p={p} must divide H={H} and W={W}")
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p).transpose(0, 2, 4, 1, 3, 5)
    return x.reshape(B, (H // p) * (W // p), C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p or W % p:
        raise ValueError(f"patch size p={p} does not divide the image height H={H}")
    B = patches_BNP.shape[0]
    x = patches_BNP.reshape(B, H // p, W // p, C, p, p).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(B, C, H, W)
'''),
    "unpatchify_infers_W_with_minus_one": ("patchify", "test_patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"patch size p={p} must divide H={H} and W={W}")
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p).transpose(0, 2, 4, 1, 3, 5)
    return x.reshape(B, (H // p) * (W // p), C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p or W % p:
        raise ValueError(f"patch size p={p} must divide H={H} and W={W}")
    B = patches_BNP.shape[0]
    x = patches_BNP.reshape(B, H // p, -1, C, p, p).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(B, C, H, -1)
'''),
    "view_transpose_thought_contiguous": ("view_predictions", "test_view_predictions", '''
view_answers = [(True, True), (True, True), (False, True), (True, True), (True, False), (True, False),
                (False, True), (True, True), (False, True), (True, True), (False, True), (False, True),
                (False, True), (True, True), (False, True), (True, False), (False, True)]
'''),
    "view_reshape_always_a_view": ("view_predictions", "test_view_predictions", '''
view_answers = [(True, True), (True, False), (True, False), (True, True), (True, False), (True, False),
                (False, True), (True, True), (False, True), (True, True), (False, True), (False, True),
                (False, True), (True, False), (True, False), (True, False), (True, False)]
'''),
    "view_slices_thought_copies": ("view_predictions", "test_view_predictions", '''
view_answers = [(True, True), (True, False), (False, True), (False, True), (False, True), (False, True),
                (False, True), (True, True), (False, True), (True, True), (False, True), (False, True),
                (False, True), (True, False), (False, True), (False, True), (False, True)]
'''),
    "view_reshape_copies_silently": ("view_reshape", "test_view_reshape", '''
def view_reshape(x, shape):
    return x.reshape(shape)
'''),
    "view_reshape_makes_contiguous_first": ("view_reshape", "test_view_reshape", '''
def view_reshape(x, shape):
    return np.ascontiguousarray(x).reshape(shape)
'''),
    "view_reshape_refuses_every_noncontiguous": ("view_reshape", "test_view_reshape", '''
def view_reshape(x, shape):
    if not x.flags.c_contiguous:
        raise ValueError("x is not contiguous: call np.ascontiguousarray first")
    return x.reshape(shape)
'''),
    "fold_the_original_bug": ("fold_heads", "test_fold_heads", '''
def fold_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    return x_BLD.reshape(B * H, L, D // H)
'''),
    "fold_head_major": ("fold_heads", "test_fold_heads", '''
def fold_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    return x_BLD.reshape(B, L, H, D // H).transpose(2, 0, 1, 3).reshape(H * B, L, D // H)
'''),
    "fold_interleaved_features": ("fold_heads", "test_fold_heads", '''
def fold_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    return x_BLD.reshape(B, L, D // H, H).transpose(0, 3, 1, 2).reshape(B * H, L, D // H)
'''),
}

ALTERNATIVE = {
    "unpatchify_infers_the_batch_with_minus_one": ("patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p or W % p:
        raise ValueError(f"patch size p={p} must divide H={H} and W={W}")
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p).transpose(0, 2, 4, 1, 3, 5)
    return x.reshape(B, (H // p) * (W // p), C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p or W % p:
        raise ValueError(f"patch size p={p} must divide H={H} and W={W}")
    x = patches_BNP.reshape(-1, H // p, W // p, C, p, p).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(-1, C, H, W)
'''),
    "predictions_lists_and_capitals": ("predictions", '''
answers = [[60], [32, 150528], [10, 20, 1], [2, 5, 20], "Error", [4, 6], [5], " error",
           [1, 4, 1, 5], [3, 16], "ERROR", [2, 3, 2, 2], [1, 8, 1], [2, 6]]
'''),
    "split_swapaxes_and_concatenate": ("split_merge_heads", '''
def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    K, rest = divmod(D, H)
    if rest:
        raise ValueError(f"D={D} is not a multiple of H={H}")
    return np.swapaxes(x_BLD.reshape(B, L, H, -1), 1, 2)

def merge_heads(x_BHLK):
    return np.concatenate([x_BHLK[:, h] for h in range(x_BHLK.shape[1])], axis=-1)
'''),
    "split_stack_of_slices": ("split_merge_heads", '''
def split_heads(x_BLD, H):
    D = x_BLD.shape[-1]
    if D % H != 0:
        raise ValueError(f"cannot split D={D} into H={H} equal heads")
    K = D // H
    return np.stack([x_BLD[..., h * K:(h + 1) * K] for h in range(H)], axis=1)

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    return np.moveaxis(x_BHLK, 1, 2).reshape(B, L, -1)
'''),
    "split_heads_as_strided_with_the_inputs_strides": ("split_merge_heads", '''
from numpy.lib.stride_tricks import as_strided

def split_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    if D % H:
        raise ValueError(f"H={H} does not divide D={D}")
    sB, sL, sD = x_BLD.strides                  # whatever layout x has
    return as_strided(x_BLD, shape=(B, H, L, D // H), strides=(sB, (D // H) * sD, sL, sD))

def merge_heads(x_BHLK):
    B, H, L, K = x_BHLK.shape
    out = np.empty((B, L, H * K), dtype=x_BHLK.dtype)
    for h in range(H):
        out[:, :, h * K:(h + 1) * K] = x_BHLK[:, h]
    return out
'''),
    "patchify_loops": ("patchify", '''
def _check(p, H, W):
    for name, size in (("H", H), ("W", W)):
        if size % p:
            raise ValueError(f"p={p} does not divide {name}={size}")

def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    _check(p, H, W)
    out = np.empty((B, (H // p) * (W // p), C * p * p), dtype=img_BCHW.dtype)
    n = 0
    for i in range(0, H, p):
        for j in range(0, W, p):
            out[:, n] = img_BCHW[:, :, i:i + p, j:j + p].reshape(B, -1)
            n += 1
    return out

def unpatchify(patches_BNP, p, C, H, W):
    _check(p, H, W)
    B = patches_BNP.shape[0]
    img = np.empty((B, C, H, W), dtype=patches_BNP.dtype)
    n = 0
    for i in range(0, H, p):
        for j in range(0, W, p):
            img[:, :, i:i + p, j:j + p] = patches_BNP[:, n].reshape(B, C, p, p)
            n += 1
    return img
'''),
    "patchify_moveaxis": ("patchify", '''
def patchify(img_BCHW, p):
    B, C, H, W = img_BCHW.shape
    if H % p != 0 or W % p != 0:
        raise ValueError(f"image {H}x{W} is not a whole number of {p}x{p} patches")
    x = img_BCHW.reshape(B, C, H // p, p, W // p, p)
    x = np.moveaxis(x, (2, 4), (1, 2))
    return x.reshape(B, -1, C * p * p)

def unpatchify(patches_BNP, p, C, H, W):
    if H % p != 0 or W % p != 0:
        raise ValueError(f"image {H}x{W} is not a whole number of {p}x{p} patches")
    x = patches_BNP.reshape(-1, H // p, W // p, C, p, p)
    x = np.moveaxis(x, (1, 2), (2, 4))
    return x.reshape(-1, C, H, W)
'''),
    "view_answers_as_lists_of_numpy_bools": ("view_predictions", '''
T, F = np.True_, np.False_
view_answers = [[T, T], [T, F], [F, T], [T, T], [T, F], [T, F], [F, T], [T, T], [F, T], [T, T],
                [F, T], [F, T], [F, T], [T, F], [F, T], [T, F], [F, T]]
'''),
    "view_reshape_checks_shared_memory": ("view_reshape", '''
def view_reshape(x, shape):
    y = x.reshape(shape)
    if not np.shares_memory(x, y):
        raise ValueError(f"{x.shape} -> {shape} needs a copy")
    return y
'''),
    "view_reshape_assigns_the_shape_of_a_view": ("view_reshape", '''
def view_reshape(x, shape):
    y = x.view()
    try:
        y.shape = shape      # refuses (AttributeError) when the strides need a copy
    except AttributeError as exc:
        raise ValueError(f"{x.shape} with strides {x.strides} cannot be viewed as {shape}") from exc
    return y
'''),
    "view_reshape_copy_false_where_numpy_has_it": ("view_reshape", '''
def view_reshape(x, shape):
    try:
        return np.reshape(x, shape, copy=False)       # NumPy 2.1 and later
    except TypeError:                                  # older NumPy: no copy argument
        y = np.reshape(x, shape)
        if not np.shares_memory(x, y):
            raise ValueError(f"{x.shape} -> {shape} needs a copy") from None
        return y
'''),
    "view_reshape_as_strided_with_numpys_strides": ("view_reshape", '''
from numpy.lib.stride_tricks import as_strided

def view_reshape(x, shape):
    y = np.reshape(x, shape)
    if not np.shares_memory(x, y):
        raise ValueError(f"{x.shape} -> {shape} needs a copy")
    return as_strided(x, shape=y.shape, strides=y.strides)     # the same view, made by hand
'''),
    "fold_swapaxes_minus_one": ("fold_heads", '''
def fold_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    return np.swapaxes(x_BLD.reshape(B, L, H, -1), 1, 2).reshape(-1, L, D // H)
'''),
    "fold_loops": ("fold_heads", '''
def fold_heads(x_BLD, H):
    B, L, D = x_BLD.shape
    K = D // H
    return np.stack([x_BLD[b, :, h * K:(h + 1) * K] for b in range(B) for h in range(H)])
'''),
}
