"""A failed call changes nothing: validate first, then write.

Property tests: any optimizer step, schedule step, load or backward that raises leaves
every parameter, gradient, buffer and counter bit-identical (compared as bytes, so a
-0.0 for a 0.0 or a float32 for a float64 would count as a change).
"""

import copy
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Tensor, Value
from autograd_lite.graph import topological_order
from nn.files import atomic_open, remove_stale_temporaries, save_npz

from strategies import programs, run_program

# ---------------------------------------------------------------------- bit-identical


def fingerprint(x):
    """Bytes that change whenever x changes at all (value, sign of zero, dtype, shape)."""
    if x is None:
        return None
    if isinstance(x, float):
        return ("float", struct.pack("<d", x))
    if isinstance(x, np.ndarray):
        return ("array", x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, np.generic):
        return ("scalar", x.dtype.str, x.tobytes())
    if isinstance(x, dict):
        return ("dict", tuple((k, fingerprint(v)) for k, v in sorted(x.items())))
    if isinstance(x, (list, tuple)):
        return ("seq", tuple(fingerprint(v) for v in x))
    return ("other", repr(x))


def params_state(params):
    return [(fingerprint(p.data if isinstance(p, Value) else p.data.copy()), fingerprint(p.grad)) for p in params]


# ---------------------------------------------------------------------- optimizers

OPTIMIZERS = {
    "sgd": lambda ps, lr: nn.SGD(ps, lr=lr),
    "sgd_momentum": lambda ps, lr: nn.SGD(ps, lr=lr, momentum=0.9, weight_decay=0.01),
    "nesterov": lambda ps, lr: nn.SGD(ps, lr=lr, momentum=0.5, nesterov=True),
    "adam": lambda ps, lr: nn.Adam(ps, lr=lr),
    "amsgrad": lambda ps, lr: nn.Adam(ps, lr=lr, amsgrad=True, weight_decay=0.1),
    "adamw": lambda ps, lr: nn.AdamW(ps, lr=lr),
    "rmsprop": lambda ps, lr: nn.RMSProp(ps, lr=lr),
    "rmsprop_centered": lambda ps, lr: nn.RMSProp(ps, lr=lr, centered=True, momentum=0.9),
}
BADNESS = ["nan", "inf", "overflow", "wrong_shape", "not_a_number", "read_only"]


def make_params(kinds, rng):
    out = []
    for i, kind in enumerate(kinds):
        if kind == "value":
            out.append(Value(float(rng.normal()), label=f"v{i}"))
        else:
            dtype = np.float32 if kind == "f32" else np.float64
            out.append(Tensor(rng.normal(size=(2, 3)), requires_grad=True, label=f"t{i}", dtype=dtype))
    return out


def set_grads(params, rng, scale=1.0):
    for p in params:
        if isinstance(p, Value):
            p.grad = float(rng.normal()) * scale
        else:
            p.grad = (rng.normal(size=p.shape) * scale).astype(p.dtype)


def spoil(p, badness):
    """Make parameter p's next update fail in the way ``badness`` names."""
    if badness == "nan":
        if isinstance(p, Value):
            p.grad = float("nan")
        else:
            p.grad = p.grad.copy()
            p.grad[0, 1] = np.nan
    elif badness == "inf":
        p.grad = float("-inf") if isinstance(p, Value) else np.full(p.shape, np.inf, dtype=p.dtype)
    elif badness == "overflow":  # finite gradient, non-finite update (lr is 1e10 here)
        big = float(np.finfo(np.float64 if isinstance(p, Value) else p.dtype).max)
        p.grad = big if isinstance(p, Value) else np.full(p.shape, big, dtype=p.dtype)
    elif badness == "wrong_shape":
        assume(isinstance(p, Tensor))
        p.grad = np.ones(7, dtype=p.dtype)
    elif badness == "not_a_number":
        p.grad = "0.1" if isinstance(p, Value) else [[0.1] * 3] * 2
    elif badness == "read_only":
        assume(isinstance(p, Tensor))
        p.data.flags.writeable = False


@given(
    opt=st.sampled_from(sorted(OPTIMIZERS)),
    kinds=st.lists(st.sampled_from(["value", "f64", "f32"]), min_size=1, max_size=5),
    bad_index=st.integers(0, 4),
    badness=st.sampled_from(BADNESS),
    warm=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=250, suppress_health_check=[HealthCheck.filter_too_much])
def test_an_optimizer_step_that_raises_changes_nothing(opt, kinds, bad_index, badness, warm, seed):
    rng = np.random.default_rng(seed)
    params = make_params(kinds, rng)
    lr = 1e10 if badness == "overflow" else 0.01
    optimizer = OPTIMIZERS[opt](params, lr)
    for _ in range(warm):  # some state first: buffers and step counts to keep intact
        set_grads(params, rng, scale=1e-12 if badness == "overflow" else 1.0)
        optimizer.step()
    set_grads(params, rng, scale=1e-12 if badness == "overflow" else 1.0)
    spoil(params[bad_index % len(params)], badness)
    before = (params_state(params), fingerprint(optimizer.state_dict()), optimizer.step_count)
    with pytest.raises((ValueError, TypeError)) as info:
        optimizer.step()
    after = (params_state(params), fingerprint(optimizer.state_dict()), optimizer.step_count)
    assert after == before
    assert "parameter" in str(info.value)  # it names which one
    if badness in ("nan", "inf", "overflow"):
        assert isinstance(info.value, nn.optim.NonFiniteError) and info.value.parameter == bad_index % len(params)


def test_non_finite_update_is_refused_before_any_parameter_moves():
    # The issue's case: fit said "stopped at the last good step" with -inf in the model,
    # because lr * grad overflowed in an update nothing checked.
    a, b = Value(1.0, label="a"), Value(1e308, label="b")
    a.grad, b.grad = 1.0, -1e308
    opt = nn.SGD([a, b], lr=10.0)
    with pytest.raises(nn.optim.NonFiniteError, match=r"updating parameter 1 \(label 'b'\) would put inf or nan into it"):
        opt.step()
    assert (a.data, b.data, opt.step_count) == (1.0, 1e308, 0)


def test_adam_refuses_eps_0_which_writes_nan_on_a_zero_gradient():
    for make in (nn.Adam, nn.AdamW, nn.RMSProp):
        with pytest.raises(ValueError, match=r"eps 0\.0; it must be > 0"):
            make([Value(1.0)], eps=0.0)


def test_a_read_only_parameter_is_named_when_the_optimizer_is_made():
    a = np.ones(2)
    a.flags.writeable = False
    with pytest.raises(ValueError, match=r"parameter 1 \(Tensor of shape \(2,\)\) holds a read-only array"):
        nn.Adam([Value(1.0), Tensor.from_numpy(a, requires_grad=True)])


# ---------------------------------------------------------------------- schedules

SCHEDULES = {
    "step": lambda o, g: nn.StepLR(o, step_size=2, gamma=g),
    "exponential": lambda o, g: nn.ExponentialLR(o, gamma=g),
    "linear": lambda o, g: nn.LinearLR(o, start_factor=0.5, end_factor=1.0, total_iters=5),
    "cosine": lambda o, g: nn.CosineAnnealingLR(o, T_max=4),
}


def schedule_state(sched):
    return fingerprint(sched.state_dict()), sched.optimizer.lr, sched.get_last_lr(), sched.last_epoch


@given(
    kind=st.sampled_from(sorted(SCHEDULES)),
    gamma=st.floats(1.5, 1e10),
    base=st.floats(1e-3, 1e300),
    steps=st.integers(1, 3000),
)
@settings(max_examples=120)
def test_a_schedule_step_that_raises_changes_nothing(kind, gamma, base, steps):
    opt = nn.SGD([Value(1.0)], lr=base)
    sched = SCHEDULES[kind](opt, gamma)
    for _ in range(steps):
        before = schedule_state(sched)
        try:
            sched.step()
        except OverflowError as exc:
            assert "beyond float64" in str(exc) and "nothing was changed" in str(exc)
            assert schedule_state(sched) == before
            return
        assert np.isfinite(opt.lr) and opt.lr == sched.get_last_lr()[0] == sched.lr_at(sched.last_epoch)


@given(
    kind=st.sampled_from(sorted(SCHEDULES)),
    key=st.sampled_from(["last_epoch", "base_lr", "gamma", "step_size", "T_max", "extra", "missing"]),
    bad=st.sampled_from([-1, 5000, 10**400, 1e309, float("nan"), "3", None, True, 2.5]),
)
@settings(max_examples=150)
def test_a_schedule_load_that_raises_changes_nothing(kind, key, bad):
    opt = nn.SGD([Value(1.0)], lr=0.1)
    sched = SCHEDULES[kind](opt, 2.0)
    for _ in range(3):
        sched.step()
    state = sched.state_dict()
    if key == "extra":
        state["surprise"] = bad
    elif key == "missing":
        state.pop("last_epoch")
    else:
        assume(key in state)
        state[key] = bad
    before = schedule_state(sched)
    try:
        sched.load_state_dict(state)
    except (ValueError, TypeError, OverflowError):
        assert schedule_state(sched) == before
    else:  # accepted: then it was a valid state (5000 epochs of a gentle schedule, say)
        assert np.isfinite(opt.lr) and sched.last_epoch == state["last_epoch"]


def test_the_issues_schedule_cases():
    opt = nn.SGD([Value(1.0)], lr=1.0)
    sched = nn.ExponentialLR(opt, gamma=2.0)
    with pytest.raises(OverflowError, match=r"ExponentialLR\.step: the learning rate of epoch 1024 is beyond float64"):
        for _ in range(2000):
            sched.step()
    assert sched.last_epoch == 1023 and opt.lr == 2.0**1023
    with pytest.raises(OverflowError, match=r"load_state_dict: the learning rate of epoch 5000"):
        sched.load_state_dict({"last_epoch": 5000, "base_lr": 1.0, "gamma": 2.0})
    assert sched.last_epoch == 1023 and opt.lr == 2.0**1023


# ---------------------------------------------------------------------- loading

MODELS = {
    "mlp": lambda: nn.MLP(2, [3, 1], seed=0),
    "tensor64": lambda: nn.TensorMLP(2, [3, 1], seed=0),
    "tensor32": lambda: nn.TensorMLP(2, [3, 1], seed=0, dtype=np.float32),
}
CORRUPTIONS = {
    "nan": lambda a: np.full(a.shape, np.nan),
    "inf": lambda a: np.full(a.shape, -np.inf),
    "1e300": lambda a: np.full(a.shape, 1e300),
    "longdouble": lambda a: np.full(a.shape, np.longdouble("1e400")),
    "shape": lambda a: np.zeros(a.size + 1),
    "complex": lambda a: a.astype(np.complex128),
    "strings": lambda a: np.full(a.shape, "x"),
    "objects": lambda a: np.array([object()] * a.size, dtype=object),
}


def model_state(model):
    return [fingerprint(p.data if isinstance(p, Value) else p.data.copy()) for p in model.parameters()]


@given(
    model=st.sampled_from(sorted(MODELS)),
    corruption=st.sampled_from(sorted(CORRUPTIONS)),
    key_index=st.integers(0, 3),
    extra=st.booleans(),
)
@settings(max_examples=150)
def test_a_load_that_raises_changes_nothing(model, corruption, key_index, extra):
    m = MODELS[model]()
    state = {k: v * 2.0 for k, v in m.state_dict().items()}  # a good state for the other keys
    key = sorted(state)[key_index]
    state[key] = CORRUPTIONS[corruption](state[key])
    if extra:
        state["surprise.weight"] = np.zeros(3)
    assume(not (corruption == "1e300" and model != "tensor32"))  # 1e300 fits float64
    before = model_state(m)
    with pytest.raises(nn.StateDictError) as info:
        m.load_state_dict(state)
    assert key in str(info.value) and "nothing was changed" in str(info.value)
    assert model_state(m) == before


def test_loading_finite_numbers_that_overflow_the_parameter_dtype_is_refused():
    m = nn.TensorMLP(2, [1], seed=0, dtype=np.float32)
    state = m.state_dict()
    state["0.weight"] = np.full((1, 2), 1e300)
    with pytest.raises(nn.StateDictError, match=r"0\.weight: holds 1e\+300 \(for example\), out of float32 range"):
        m.load_state_dict(state)
    scalar = nn.MLP(2, [1], seed=0)
    state = scalar.state_dict()
    state["0.bias"] = np.full(1, np.longdouble("1e400"))
    with pytest.raises(nn.StateDictError, match=r"0\.bias: holds 1e\+400 \(for example\), out of float64 range"):
        scalar.load_state_dict(state)


def test_optimizer_buffers_are_checked_after_the_cast_to_the_parameter_dtype():
    t = Tensor(np.ones(3), requires_grad=True, dtype=np.float32)
    opt = nn.Adam([t])
    t.grad = np.ones(3, dtype=np.float32)
    opt.step()
    state = opt.state_dict()
    state["state.0.exp_avg_sq"] = np.full(3, 1e300)
    before = fingerprint(opt.state_dict())
    with pytest.raises(ValueError, match=r"state\.0\.exp_avg_sq holds 1e\+300 .*out of float32 range"):
        opt.load_state_dict(state)
    assert fingerprint(opt.state_dict()) == before


def test_a_read_only_parameter_fails_the_whole_load_before_any_write():
    m = nn.TensorMLP(2, [2, 1], seed=0)
    m.modules[2].weight.data.flags.writeable = False  # the last layer's
    before = model_state(m)
    state = {k: v + 1.0 for k, v in m.state_dict().items()}
    with pytest.raises(nn.StateDictError, match=r"2\.weight: the parameter's array is read-only"):
        m.load_state_dict(state)
    assert model_state(m) == before  # the first layer was not written either


def corrupt_files(folder):
    """(name, path) of files that are not readable state files, each in its own way."""
    out = []
    path = os.path.join(folder, "single.npy")
    np.save(path, np.ones(3))
    out.append(("npy", path))
    path = os.path.join(folder, "deflate.npz")
    np.savez_compressed(path, a=np.arange(20000.0))
    data = bytearray(open(path, "rb").read())
    for i in range(200, 600):
        data[i] ^= 0x5A
    open(path, "wb").write(bytes(data))
    out.append(("deflate", path))
    path = os.path.join(folder, "truncated.npz")
    nn.MLP(2, [1], seed=0).save(path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    out.append(("truncated", path))
    path = os.path.join(folder, "text.npz")
    open(path, "w").write("not numbers\n")
    out.append(("text", path))
    path = os.path.join(folder, "pickled.npz")
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    out.append(("pickled", path))
    path = os.path.join(folder, "empty.npz")
    with zipfile.ZipFile(path, "w"):
        pass
    out.append(("empty zip", path))
    return out


def test_unreadable_files_raise_the_loaders_error_naming_the_path(tmp_path):
    for name, path in corrupt_files(str(tmp_path)):
        model = nn.MLP(2, [1], seed=0)
        before = model_state(model)
        with pytest.raises(nn.StateDictError) as info:
            model.load(path)
        assert repr(path) in str(info.value), name
        assert model_state(model) == before
        with pytest.raises(ValueError, match=f"History.load\\({repr(path)}\\)"):
            nn.History.load(path)


def test_a_npy_file_is_named_as_such(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.ones((2, 2)))
    with pytest.raises(nn.StateDictError, match=r"not an autograd-lite state file: this is a single \.npy array \(shape \(2, 2\)\)"):
        nn.MLP(2, [1]).load(path)


# ---------------------------------------------------------------------- backward


def snapshot_grads(root):
    return [(n, fingerprint(n.grad if not isinstance(n.grad, np.ndarray) else n.grad.copy())) for n in topological_order(root)]


@given(programs(max_leaves=3, max_ops=25), st.integers(0, 2), st.booleans())
@settings(max_examples=150)
def test_a_value_backward_that_raises_midway_changes_nothing(program, which, accumulate):
    leaves, steps = program
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    # A log node in the first input of the root, so that the depth-first sort emits it
    # first and its rule runs last: every other rule has written its grads when it fails.
    z = xs[which % len(xs)] * xs[which % len(xs)] + 2.0  # >= 2: log is defined when the graph is built
    out = (z.log() + 1.0) * run_program(xs, steps)
    out.backward()  # a first, good backward: every node holds a gradient now
    if not accumulate:
        for x in xs:
            x.grad = 0.0
    z.data = 0.0  # changed after the graph was built: d log z / dz = 1 / 0 now
    before = snapshot_grads(out)
    with pytest.raises(ZeroDivisionError) as info:
        out.backward(accumulate=accumulate)
    assert snapshot_grads(out) == before
    assert "every .grad is as it was" in " ".join(getattr(info.value, "__notes__", ["every .grad is as it was"]))


@given(st.integers(0, 3), st.booleans(), st.sampled_from([np.float64, np.float32]))
@settings(max_examples=40)
def test_a_tensor_backward_that_raises_midway_changes_nothing(seed, accumulate, dtype):
    rng = np.random.default_rng(seed)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True, dtype=dtype)
    b = Tensor(rng.normal(size=4), requires_grad=True, dtype=dtype)
    x = Tensor(rng.normal(size=(5, 3)), dtype=dtype)
    z = (W * 1.0 + 3.0)
    out = ((x @ z.log() + b).tanh() * 2.0).sum()
    out.backward()
    if not accumulate:
        W.grad = b.grad = None
    z.data[...] = 0.0  # the log's rule divides by it
    before = snapshot_grads(out)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        out.backward(accumulate=accumulate)
    assert snapshot_grads(out) == before


def test_accumulate_with_a_wrong_shaped_leaf_grad_changes_nothing():
    # The issue's case: the other leaf used to be doubled before the error.
    a, b = Tensor([1.0, 2.0], requires_grad=True, label="a"), Tensor([3.0], requires_grad=True, label="b")
    out = (a * b).sum()
    out.backward()
    b.grad = np.ones(5)
    before = snapshot_grads(out)
    with pytest.raises(ValueError, match=r"leaf 'b' has a grad of shape \(5,\) for data of shape \(1,\)"):
        out.backward(accumulate=True)
    assert snapshot_grads(out) == before
    b.grad = "zero"
    with pytest.raises(TypeError, match=r"leaf 'b' has a grad that is str"):
        out.backward(accumulate=True)


def test_value_leaf_grads_that_are_not_numbers_are_refused_first():
    a = Value(1.0, label="a")
    out = a * 3.0 + a
    a.grad = None
    with pytest.raises(TypeError, match=r"leaf 'a' has grad None \(NoneType\)"):
        out.backward(accumulate=True)


# ---------------------------------------------------------------------- temporary files

WRITER = """
import sys; sys.path.insert(0, {root!r})
import numpy as np
from nn.files import save_npz
data = {{"a": np.random.default_rng(0).random(400_000)}}
while True:
    save_npz({target!r}, data)
"""


def temporaries(folder, name):
    return sorted(n for n in os.listdir(folder) if n.startswith(f".{name}.") and n.endswith(".tmp"))


def test_a_killed_save_leaves_no_temporary_file_after_the_next_save(tmp_path):
    target = str(tmp_path / "model.npz")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=root, target=target)])
        time.sleep(0.6)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # each save removes what killed ones left: at most the last kill's file is there now
    assert len(temporaries(tmp_path, "model.npz")) <= 1
    save_npz(target, {"a": np.zeros(3)})
    assert temporaries(tmp_path, "model.npz") == []
    assert np.load(target)["a"].shape == (3,)


def test_only_stale_temporaries_of_the_same_target_are_removed(tmp_path):
    target = tmp_path / "m.npz"
    stale = tmp_path / ".m.npz.abcd1234.tmp"  # as mkstemp names them: 8 characters
    other_target = tmp_path / ".m.npz.old.abcd1234.tmp"
    not_ours = tmp_path / ".m.npz.notes.tmp"
    started, release = threading.Event(), threading.Event()
    live = []

    def writer():  # a save in progress elsewhere: its temporary file must survive
        with atomic_open(target) as f:
            live.extend(temporaries(tmp_path, "m.npz"))
            f.write(b"partial")
            started.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait(10)
    for f in (stale, other_target, not_ours):  # left behind, say, by a killed process
        f.write_bytes(b"x")
    assert remove_stale_temporaries(target) == 1  # the stale one only
    left = set(temporaries(tmp_path, "m.npz"))
    assert stale.name not in left and other_target.exists() and not_ours.exists()
    assert len(left & (set(live) - {stale.name})) == 1  # the live writer's file is still there
    release.set()
    thread.join()
    assert target.read_bytes() == b"partial"


def test_a_failed_save_keeps_the_old_file_and_its_own_error(tmp_path):
    target = tmp_path / "m.npz"
    target.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError):
        with atomic_open(target) as f:
            f.write(b"half")
            1 / 0
    assert target.read_bytes() == b"old" and temporaries(tmp_path, "m.npz") == []
    # its temporary file already gone (removed by hand, say): still the block's error, not
    # a FileNotFoundError from the clean-up
    with pytest.raises(ZeroDivisionError):
        with atomic_open(target) as f:
            (name,) = temporaries(tmp_path, "m.npz")
            os.unlink(tmp_path / name)
            1 / 0
    assert target.read_bytes() == b"old" and temporaries(tmp_path, "m.npz") == []
