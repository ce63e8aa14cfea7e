"""Wrong and alternative answers for 04_backprop_mlp, one solution cell each.

Each entry names the solution cell it replaces, the test cell(s) that grade it, and the code a
learner might write. A wrong answer must score zero in exactly those test cells and keep full marks
in every other; an alternative correct answer must keep full marks.

The hidden tests of mlp_forward and mlp_backward swap the learner's relu*/linear_* for correct ones,
so a bug in a helper is graded in its own exercise. Training cannot be graded that way: it runs the
learner's own functions, so a helper bug that spoils training also costs `test_train_mlp`, and
mlp_backward's test takes its cache from the learner's mlp_forward. Such entries name every test
cell they fail.
"""

TRAIN = "test_train_mlp"

WRONG = {
    # ---------------------------------------------------------------- relu
    "relu_mask_from_post_activation_ge0": ("relu", ("test_relu", TRAIN), '''
def relu(h):
    return np.maximum(h, 0)

def relu_backward(da, h):
    return da * (relu(h) >= 0)
'''),
    "relu_backward_returns_the_mask": ("relu", ("test_relu", TRAIN), '''
def relu(h):
    return np.maximum(h, 0)

def relu_backward(da, h):
    return (h > 0).astype(float)
'''),
    "relu_in_place": ("relu", "test_relu", '''
def relu(h):
    h[h < 0] = 0
    return h

def relu_backward(da, h):
    return da * (h > 0)
'''),
    "relu_backward_zeroes_da_in_place": ("relu", "test_relu", '''
def relu(h):
    return np.maximum(h, 0)

def relu_backward(da, h):
    da[h <= 0] = 0
    return da
'''),
    # float32 in, float64 out: a new array of the default dtype (training runs in float64, unaffected)
    "relu_maximum_with_float64_zeros": ("relu", "test_relu", '''
def relu(h):
    return np.maximum(h, np.zeros(h.shape))

def relu_backward(da, h):
    return da * (h > 0)
'''),
    "relu_backward_float64_mask": ("relu", "test_relu", '''
def relu(h):
    return np.maximum(h, 0)

def relu_backward(da, h):
    return da * (h > 0).astype(np.float64)
'''),
    # ---------------------------------------------------------------- linear, one example
    "linear_1_outer_transposed": ("linear_1", "test_linear_1", '''
def linear_forward_1(x_D, w_DF, b_F):
    return x_D @ w_DF + b_F

def linear_backward_1(dy_F, x_D, w_DF):
    return w_DF @ dy_F, np.outer(dy_F, x_D), dy_F
'''),
    "linear_1_bias_gradient_summed_to_a_scalar": ("linear_1", "test_linear_1", '''
def linear_forward_1(x_D, w_DF, b_F):
    return x_D @ w_DF + b_F

def linear_backward_1(dy_F, x_D, w_DF):
    return w_DF @ dy_F, np.outer(x_D, dy_F), dy_F.sum()
'''),
    "linear_1_dx_from_x": ("linear_1", "test_linear_1", '''
def linear_forward_1(x_D, w_DF, b_F):
    return x_D @ w_DF + b_F

def linear_backward_1(dy_F, x_D, w_DF):
    return x_D * dy_F.sum(), np.outer(x_D, dy_F), dy_F
'''),
    # ---------------------------------------------------------------- linear, batch
    "linear_bias_gradient_not_summed": ("linear", ("test_linear", TRAIN), '''
def linear_forward(x_BD, w_DF, b_F):
    return x_BD @ w_DF + b_F

def linear_backward(dy_BF, x_BD, w_DF):
    return dy_BF @ w_DF.T, x_BD.T @ dy_BF, dy_BF
'''),
    "linear_dw_transposed": ("linear", ("test_linear", TRAIN), '''
def linear_forward(x_BD, w_DF, b_F):
    return x_BD @ w_DF + b_F

def linear_backward(dy_BF, x_BD, w_DF):
    return dy_BF @ w_DF.T, dy_BF.T @ x_BD, dy_BF.sum(axis=0)
'''),
    "linear_bias_gradient_averaged": ("linear", "test_linear", '''
def linear_forward(x_BD, w_DF, b_F):
    return x_BD @ w_DF + b_F

def linear_backward(dy_BF, x_BD, w_DF):
    return dy_BF @ w_DF.T, x_BD.T @ dy_BF, dy_BF.mean(axis=0)
'''),
    # ---------------------------------------------------------------- softmax cross-entropy
    "softmax_without_max_shift": ("softmax_cross_entropy", "test_softmax_cross_entropy", '''
def softmax_cross_entropy(logits_BC, labels_B):
    B = logits_BC.shape[0]
    p_BC = np.exp(logits_BC) / np.exp(logits_BC).sum(axis=1, keepdims=True)
    loss = -np.log(p_BC[np.arange(B), labels_B]).mean()
    dlogits_BC = p_BC.copy()
    dlogits_BC[np.arange(B), labels_B] -= 1
    return loss, dlogits_BC / B
'''),
    "softmax_loss_summed_not_averaged": ("softmax_cross_entropy", ("test_softmax_cross_entropy", TRAIN), '''
def softmax_cross_entropy(logits_BC, labels_B):
    B = logits_BC.shape[0]
    shifted_BC = logits_BC - logits_BC.max(axis=1, keepdims=True)
    log_p_BC = shifted_BC - np.log(np.exp(shifted_BC).sum(axis=1, keepdims=True))
    loss = -log_p_BC[np.arange(B), labels_B].sum()
    dlogits_BC = np.exp(log_p_BC)
    dlogits_BC[np.arange(B), labels_B] -= 1
    return loss, dlogits_BC
'''),
    "softmax_gradient_not_divided_by_B": ("softmax_cross_entropy", ("test_softmax_cross_entropy", TRAIN), '''
def softmax_cross_entropy(logits_BC, labels_B):
    B = logits_BC.shape[0]
    shifted_BC = logits_BC - logits_BC.max(axis=1, keepdims=True)
    log_p_BC = shifted_BC - np.log(np.exp(shifted_BC).sum(axis=1, keepdims=True))
    loss = -log_p_BC[np.arange(B), labels_B].mean()
    dlogits_BC = np.exp(log_p_BC)
    dlogits_BC[np.arange(B), labels_B] -= 1
    return loss, dlogits_BC
'''),
    "softmax_label_columns_for_every_row": ("softmax_cross_entropy", ("test_softmax_cross_entropy", TRAIN), '''
def softmax_cross_entropy(logits_BC, labels_B):
    B = logits_BC.shape[0]
    shifted_BC = logits_BC - logits_BC.max(axis=1, keepdims=True)
    log_p_BC = shifted_BC - np.log(np.exp(shifted_BC).sum(axis=1, keepdims=True))
    loss = -log_p_BC[:, labels_B].mean()
    dlogits_BC = np.exp(log_p_BC)
    dlogits_BC[np.arange(B), labels_B] -= 1
    return loss, dlogits_BC / B
'''),
    # ---------------------------------------------------------------- numerical gradient
    "numerical_gradient_one_sided": ("numerical_gradient", "test_numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    base = f(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        grad[index] = (f(x) - base) / eps
        x[index] = old
    return grad
'''),
    "numerical_gradient_divides_by_eps": ("numerical_gradient", "test_numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        f_plus = f(x)
        x[index] = old - eps
        f_minus = f(x)
        x[index] = old
        grad[index] = (f_plus - f_minus) / eps
    return grad
'''),
    "numerical_gradient_does_not_restore_x": ("numerical_gradient", "test_numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += eps
        f_plus = f(x)
        x[index] -= 2 * eps
        f_minus = f(x)
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    "numerical_gradient_first_axis_only": ("numerical_gradient", "test_numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        old = x[i].copy()
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    # x.reshape(-1) is a view only where one stride walks x in C order: the hidden test's evenly strided
    # x passes, its Fortran-order x is copied, so nudging the copy changes nothing that f sees and the
    # gradient comes back as zeros. x.ravel() copies every non-contiguous x, the strided ones too.
    "numerical_gradient_nudges_a_reshaped_copy": ("numerical_gradient", "test_numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    flat = x.reshape(-1)
    grad = np.zeros(flat.size)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        f_plus = f(x)
        flat[k] = old - eps
        f_minus = f(x)
        flat[k] = old
        grad[k] = (f_plus - f_minus) / (2 * eps)
    return grad.reshape(x.shape)
'''),
    "numerical_gradient_nudges_ravel": ("numerical_gradient", "test_numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    xs, gs = x.ravel(), grad.ravel()
    for k in range(xs.size):
        xs[k] += eps
        f_plus = f(x)
        xs[k] -= 2 * eps
        f_minus = f(x)
        xs[k] += eps
        gs[k] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    "numerical_gradient_restores_only_the_last_nudge": ("numerical_gradient", "test_numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        f_plus = f(x)
        x[index] = old - eps
        f_minus = f(x)
        grad[index] = (f_plus - f_minus) / (2 * eps)
    x[index] = old
    return grad
'''),
    # ---------------------------------------------------------------- mlp_forward
    "mlp_forward_without_relu": ("mlp_forward", ("test_mlp_forward", "test_mlp_backward", TRAIN), '''
def mlp_forward(params, x_BD):
    h_BF = x_BD @ params["w1_DF"] + params["b1_F"]
    logits_BC = h_BF @ params["w2_FC"] + params["b2_C"]
    return logits_BC, {"x_BD": x_BD, "h_BF": h_BF, "a_BF": h_BF}
'''),
    "mlp_forward_relu_on_the_logits_too": ("mlp_forward", "test_mlp_forward", '''
def mlp_forward(params, x_BD):
    h_BF = linear_forward(x_BD, params["w1_DF"], params["b1_F"])
    a_BF = relu(h_BF)
    logits_BC = relu(linear_forward(a_BF, params["w2_FC"], params["b2_C"]))
    return logits_BC, {"x_BD": x_BD, "h_BF": h_BF, "a_BF": a_BF}
'''),
    "mlp_forward_forgets_b2": ("mlp_forward", "test_mlp_forward", '''
def mlp_forward(params, x_BD):
    h_BF = x_BD @ params["w1_DF"] + params["b1_F"]
    a_BF = np.maximum(h_BF, 0)
    return a_BF @ params["w2_FC"], {"x_BD": x_BD, "h_BF": h_BF, "a_BF": a_BF}
'''),
    # ---------------------------------------------------------------- mlp_backward
    "mlp_backward_bias_gradient_not_summed": ("mlp_backward", ("test_mlp_backward", TRAIN), '''
def mlp_backward(params, cache, dlogits_BC):
    dh_BF = (dlogits_BC @ params["w2_FC"].T) * (cache["h_BF"] > 0)
    return {"w1_DF": cache["x_BD"].T @ dh_BF, "b1_F": dh_BF,
            "w2_FC": cache["a_BF"].T @ dlogits_BC, "b2_C": dlogits_BC.sum(0)}
'''),
    "mlp_backward_dw_transposed": ("mlp_backward", ("test_mlp_backward", TRAIN), '''
def mlp_backward(params, cache, dlogits_BC):
    dh_BF = (dlogits_BC @ params["w2_FC"].T) * (cache["h_BF"] > 0)
    return {"w1_DF": dh_BF.T @ cache["x_BD"], "b1_F": dh_BF.sum(0),
            "w2_FC": dlogits_BC.T @ cache["a_BF"], "b2_C": dlogits_BC.sum(0)}
'''),
    "mlp_backward_relu_mask_from_the_wrong_layer": ("mlp_backward", ("test_mlp_backward", TRAIN), '''
def mlp_backward(params, cache, dlogits_BC):
    logits_BC = cache["a_BF"] @ params["w2_FC"] + params["b2_C"]
    dlogits_BC = dlogits_BC * (logits_BC > 0)
    dh_BF = dlogits_BC @ params["w2_FC"].T
    return {"w1_DF": cache["x_BD"].T @ dh_BF, "b1_F": dh_BF.sum(0),
            "w2_FC": cache["a_BF"].T @ dlogits_BC, "b2_C": dlogits_BC.sum(0)}
'''),
    "mlp_backward_mask_from_post_activation_ge0": ("mlp_backward", ("test_mlp_backward", TRAIN), '''
def mlp_backward(params, cache, dlogits_BC):
    dh_BF = (dlogits_BC @ params["w2_FC"].T) * (cache["a_BF"] >= 0)
    return {"w1_DF": cache["x_BD"].T @ dh_BF, "b1_F": dh_BF.sum(0),
            "w2_FC": cache["a_BF"].T @ dlogits_BC, "b2_C": dlogits_BC.sum(0)}
'''),
    # ---------------------------------------------------------------- train_mlp
    "train_rebinds_the_loop_variable": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key, value in params.items():
            value = value - lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_gradient_ascent": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] += lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_default_batch_size_32": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=32, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_default_seed_1": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=1):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_default_lr_0_1": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=0.1, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_default_steps_1000": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=1000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_on_the_first_batch_only": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    losses = []
    batch = np.arange(batch_size)
    for step in tqdm(range(steps)):
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    # Arguments ignored: the graded run uses the defaults, so only other values show it.
    "train_hard_codes_the_batch_size": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=64, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_ignores_lr": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= 1.0 * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_ignores_the_seed_global_rng": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    pass
    losses = []
    for step in tqdm(range(steps)):
        batch = np.random.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_ignores_the_seed_fixed_generator": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(0)
    losses = []
    for step in tqdm(range(steps)):
        batch = rng.choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
    "train_new_generator_every_step": ("train_mlp", TRAIN, '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    pass
    losses = []
    for step in tqdm(range(steps)):
        batch = np.random.default_rng(seed).choice(len(x_BD), size=batch_size, replace=False)
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        for key in params:
            params[key] -= lr * grads[key]
        losses.append(loss)
    return params, losses
'''),
}

ALTERNATIVE = {
    "relu_where_and_heaviside": ("relu", '''
def relu(h):
    return np.where(h > 0, h, 0)

def relu_backward(da, h):
    return da * np.heaviside(h, 0).astype(da.dtype)
'''),
    "relu_boolean_mask_copy": ("relu", '''
def relu(h):
    out = h.copy()
    out[h < 0] = 0
    return out

def relu_backward(da, h):
    dh = da.copy()
    dh[h <= 0] = 0
    return dh
'''),
    "relu_keeps_the_dtype_by_hand": ("relu", '''
def relu(h):
    return h * (h > 0)

def relu_backward(da, h):
    return np.where(h > 0, da, np.zeros((), dtype=da.dtype))
'''),
    "linear_1_einsum": ("linear_1", '''
def linear_forward_1(x_D, w_DF, b_F):
    return np.einsum("d,df->f", x_D, w_DF) + b_F

def linear_backward_1(dy_F, x_D, w_DF):
    return np.einsum("df,f->d", w_DF, dy_F), np.einsum("d,f->df", x_D, dy_F), dy_F
'''),
    "linear_1_loops": ("linear_1", '''
def linear_forward_1(x_D, w_DF, b_F):
    D, F = w_DF.shape
    return np.array([sum(x_D[d] * w_DF[d, f] for d in range(D)) + b_F[f] for f in range(F)])

def linear_backward_1(dy_F, x_D, w_DF):
    D, F = w_DF.shape
    dx_D = np.array([sum(w_DF[d, f] * dy_F[f] for f in range(F)) for d in range(D)])
    dw_DF = np.array([[x_D[d] * dy_F[f] for f in range(F)] for d in range(D)]).reshape(D, F)
    return dx_D, dw_DF, np.array(dy_F)
'''),
    "linear_einsum": ("linear", '''
def linear_forward(x_BD, w_DF, b_F):
    return np.einsum("bd,df->bf", x_BD, w_DF) + b_F

def linear_backward(dy_BF, x_BD, w_DF):
    return (np.einsum("bf,df->bd", dy_BF, w_DF), np.einsum("bd,bf->df", x_BD, dy_BF),
            np.einsum("bf->f", dy_BF))
'''),
    "linear_sum_of_per_example_outer_products": ("linear", '''
def linear_forward(x_BD, w_DF, b_F):
    return np.stack([linear_forward_1(x_D, w_DF, b_F) for x_D in x_BD])

def linear_backward(dy_BF, x_BD, w_DF):
    parts = [linear_backward_1(dy_F, x_D, w_DF) for dy_F, x_D in zip(dy_BF, x_BD)]
    dx_BD = np.stack([p[0] for p in parts])
    return dx_BD, sum(p[1] for p in parts), sum(p[2] for p in parts)
'''),
    "softmax_logaddexp_and_onehot": ("softmax_cross_entropy", '''
def softmax_cross_entropy(logits_BC, labels_B):
    B, C = logits_BC.shape
    lse_B = np.logaddexp.reduce(logits_BC, axis=1)
    onehot_BC = np.eye(C)[labels_B]
    loss = np.mean(lse_B - (logits_BC * onehot_BC).sum(axis=1))
    p_BC = np.exp(logits_BC - lse_B[:, None])
    return loss, (p_BC - onehot_BC) / B
'''),
    "softmax_take_along_axis": ("softmax_cross_entropy", '''
def softmax_cross_entropy(logits_BC, labels_B):
    m_B1 = np.max(logits_BC, axis=-1, keepdims=True)
    e_BC = np.exp(logits_BC - m_B1)
    s_B1 = e_BC.sum(axis=-1, keepdims=True)
    p_BC = e_BC / s_B1
    picked_B1 = np.take_along_axis(logits_BC, labels_B[:, None], axis=1)
    loss = float(np.mean(m_B1 + np.log(s_B1) - picked_B1))
    d_BC = p_BC.copy()
    np.put_along_axis(d_BC, labels_B[:, None], np.take_along_axis(p_BC, labels_B[:, None], 1) - 1, axis=1)
    return loss, d_BC / len(labels_B)
'''),
    "numerical_gradient_nditer": ("numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
        it.iternext()
    return grad
'''),
    "numerical_gradient_fresh_copies": ("numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.empty(x.size)
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        grad[k] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad.reshape(x.shape)
'''),
    "numerical_gradient_nudge_and_undo": ("numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(*x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        x[i] += eps          # back where it was, give or take an ulp
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    "numerical_gradient_flat_iterator": ("numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.empty(x.shape)
    for k in range(x.size):          # x.flat indexes in C order and writes through any strides
        saved = float(x.flat[k])
        x.flat[k] = saved + eps
        up = f(x)
        x.flat[k] = saved - eps
        down = f(x)
        x.flat[k] = saved
        grad.flat[k] = (up - down) / (2 * eps)
    return grad
'''),
    "numerical_gradient_writes_back_a_copy": ("numerical_gradient", '''
def numerical_gradient(f, x, eps=1e-5):
    original = x.copy()
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] = original[index] + eps
        f_plus = f(x)
        x[index] = original[index] - eps
        f_minus = f(x)
        grad[index] = (f_plus - f_minus) / (2 * eps)
        x[...] = original
    return grad
'''),
    "mlp_forward_einsum": ("mlp_forward", '''
def mlp_forward(params, x_BD):
    h_BF = np.einsum("bd,df->bf", x_BD, params["w1_DF"]) + params["b1_F"]
    a_BF = np.where(h_BF > 0, h_BF, 0.0)
    logits_BC = np.einsum("bf,fc->bc", a_BF, params["w2_FC"]) + params["b2_C"]
    return logits_BC, {"x_BD": x_BD, "h_BF": h_BF, "a_BF": a_BF}
'''),
    # The cache is the learner's to shape: both functions change together (the backward cell
    # comes later, so defining both there keeps mlp_forward's own test on the source version).
    "mlp_cache_as_a_tuple": ("mlp_backward", '''
def mlp_forward(params, x_BD):
    h_BF = x_BD @ params["w1_DF"] + params["b1_F"]
    a_BF = np.maximum(h_BF, 0)
    return a_BF @ params["w2_FC"] + params["b2_C"], (x_BD, a_BF)

def mlp_backward(params, cache, dlogits_BC):
    x_BD, a_BF = cache
    da_BF = dlogits_BC @ params["w2_FC"].T
    dh_BF = np.where(a_BF > 0, da_BF, 0.0)
    return {"w1_DF": x_BD.T @ dh_BF, "b1_F": dh_BF.sum(axis=0),
            "w2_FC": a_BF.T @ dlogits_BC, "b2_C": dlogits_BC.sum(axis=0)}
'''),
    "mlp_cache_as_a_dataclass": ("mlp_backward", '''
from dataclasses import dataclass

@dataclass
class MLPCache:
    x_BD: np.ndarray
    h_BF: np.ndarray
    a_BF: np.ndarray

def mlp_forward(params, x_BD):
    h_BF = x_BD @ params["w1_DF"] + params["b1_F"]
    cache = MLPCache(x_BD=x_BD, h_BF=h_BF, a_BF=np.maximum(h_BF, 0))
    return cache.a_BF @ params["w2_FC"] + params["b2_C"], cache

def mlp_backward(params, cache, dlogits_BC):
    dh_BF = (dlogits_BC @ params["w2_FC"].T) * (cache.h_BF > 0)
    return {"w1_DF": cache.x_BD.T @ dh_BF, "b1_F": dh_BF.sum(axis=0),
            "w2_FC": cache.a_BF.T @ dlogits_BC, "b2_C": dlogits_BC.sum(axis=0)}
'''),
    "mlp_backward_einsum": ("mlp_backward", '''
def mlp_backward(params, cache, dlogits_BC):
    x_BD, h_BF, a_BF = cache["x_BD"], cache["h_BF"], cache["a_BF"]
    dh_BF = np.einsum("bc,fc->bf", dlogits_BC, params["w2_FC"]) * (h_BF > 0)
    return {"w1_DF": np.einsum("bd,bf->df", x_BD, dh_BF), "b1_F": np.einsum("bf->f", dh_BF),
            "w2_FC": np.einsum("bf,bc->fc", a_BF, dlogits_BC), "b2_C": np.einsum("bc->c", dlogits_BC)}
'''),
    "train_while_loop_with_replacement_and_a_step_helper": ("train_mlp", '''
def _sgd_step(params, grads, lr):
    for key, grad in grads.items():
        params[key] -= lr * grad

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    N = x_BD.shape[0]
    losses = []
    while len(losses) < steps:
        batch = rng.integers(0, N, size=batch_size)          # with replacement: still SGD
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        _sgd_step(params, mlp_backward(params, cache, dlogits_BC), lr)
        losses.append(float(loss))
    final = mlp_forward(params, x_BD)[0].argmax(axis=1)      # one look at the whole set at the end
    print(f"training accuracy {np.mean(final == labels_B):.1%}")
    return params, losses
'''),
    "train_epochs_and_new_dicts": ("train_mlp", '''
from tqdm.auto import tqdm

def train_mlp(params, x_BD, labels_B, lr=1.0, steps=2000, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    losses, order = [], np.array([], dtype=int)
    for step in tqdm(range(steps), desc="SGD", leave=False):
        if len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(len(x_BD))])
        batch, order = order[:batch_size], order[batch_size:]
        logits_BC, cache = mlp_forward(params, x_BD[batch])
        loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B[batch])
        grads = mlp_backward(params, cache, dlogits_BC)
        params = {k: v - lr * grads[k] for k, v in params.items()}
        losses.append(loss)
    return params, losses
'''),
}
