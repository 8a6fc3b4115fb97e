"""nn.optim and nn.schedules against PyTorch, the oracle.

Every optimizer is fed the same gradients as its torch.optim twin and must land on the
same parameters (1e-12 relative in float64); every schedule must give torch's lrs.
"""

import io
import math

import numpy as np
import pytest

from autograd_lite import Tensor, Value
from nn.optim import SGD, Adam, AdamW, Optimizer, RMSProp, RMSprop, clip_grad_norm
from nn.schedules import CosineAnnealingLR, ExponentialLR, LinearLR, StepLR

SHAPES = [(3, 4), (5,), ()]
STEPS = 50
RTOL, ATOL = 1e-12, 1e-14  # parameters are O(1); atol only guards entries crossing zero

# (our class, settings): the grid of hyperparameters, each compared with torch.
CASES = [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.1, weight_decay=0.05)),
    (SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    (SGD, dict(lr=0.05, momentum=0.5, dampening=0.5, weight_decay=0.05)),
    (Adam, dict()),
    (Adam, dict(lr=0.01, amsgrad=True)),
    (Adam, dict(lr=0.01, weight_decay=0.1)),
    (Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-3)),
    (AdamW, dict(lr=0.01)),
    (AdamW, dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    (AdamW, dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.0)),
    (RMSProp, dict()),
    (RMSProp, dict(lr=0.005, centered=True)),
    (RMSProp, dict(lr=0.005, momentum=0.9)),
    (RMSProp, dict(lr=0.005, centered=True, momentum=0.9, weight_decay=0.1)),
    (RMSProp, dict(lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.01)),
]
CASE_IDS = [f"{cls.__name__}-" + "-".join(f"{k}={v}" for k, v in kw.items()) for cls, kw in CASES]


def torch_optimizer(torch, cls, params, kw):
    twin = {SGD: torch.optim.SGD, Adam: torch.optim.Adam, AdamW: torch.optim.AdamW, RMSProp: torch.optim.RMSprop}[cls]
    if cls is SGD and "lr" not in kw:
        kw = dict(kw, lr=0.1)
    return twin(params, **kw)


def gradient_sequence(seed, shapes, steps=STEPS):
    """Random gradients whose scale changes from step to step (so amsgrad's max matters),
    with an all-zero gradient now and then (a real zero: decay and momentum still act)."""
    rng = np.random.default_rng(seed)
    seq = []
    for k in range(steps):
        scale = rng.uniform(0.05, 3.0)
        grads = [np.asarray(rng.normal(size=s) * scale) for s in shapes]
        if k % 7 == 3:
            grads[k % len(shapes)] = np.zeros(shapes[k % len(shapes)])
        seq.append(grads)
    return seq


def initial(seed, shapes, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s), dtype=dtype) for s in shapes]


# ---------------------------------------------------------------------- same steps as torch


@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_tensor_params_follow_torch_step_for_step(torch, cls, kw):
    init = initial(1, SHAPES)
    ours = [Tensor(a, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt = cls(ours, **kw)
    topt = torch_optimizer(torch, cls, theirs, kw)
    for grads in gradient_sequence(2, SHAPES):
        for p, q, g in zip(ours, theirs, grads):
            p.grad = g.copy()
            q.grad = torch.tensor(g)
        opt.step()
        topt.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=RTOL, atol=ATOL)
    # The state dict has torch's buffers under torch's names and parameter indices.
    state = opt.state_dict()
    tstate = topt.state_dict()["state"]
    ours_keys = {k for k in state if k.startswith("state.")}
    assert ours_keys == {f"state.{i}.{name}" for i, bufs in tstate.items() for name in bufs}
    for i, bufs in tstate.items():
        for name, buf in bufs.items():
            np.testing.assert_allclose(state[f"state.{i}.{name}"], buf.numpy(), rtol=1e-11, atol=1e-14)
    assert state["step_count"] == STEPS
    assert all(p.data.dtype == np.float64 and p._prev == () for p in ours)


@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_value_params_follow_torch_step_for_step(torch, cls, kw):
    # 20 scalar Values against one torch vector of the same 20 numbers: the update is
    # elementwise, so each Value must follow its element.
    shapes = [(20,)]
    (init,) = initial(3, shapes)
    ours = [Value(float(x)) for x in init]
    theirs = torch.tensor(init, requires_grad=True)
    opt = cls(ours, **kw)
    topt = torch_optimizer(torch, cls, [theirs], kw)
    for (g,) in gradient_sequence(4, shapes):
        for p, gi in zip(ours, g.tolist()):
            p.grad = gi
        theirs.grad = torch.tensor(g)
        opt.step()
        topt.step()
        np.testing.assert_allclose([p.data for p in ours], theirs.detach().numpy(), rtol=RTOL, atol=ATOL)
    assert all(type(p.data) is float and p._prev == () for p in ours)


@pytest.mark.parametrize(
    "cls, kw",
    [(SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
     (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
     (AdamW, dict(lr=0.01)),
     (RMSProp, dict(lr=0.005, centered=True, momentum=0.9))],
    ids=["SGD", "Adam", "AdamW", "RMSProp"],
)
def test_float32_tensors_stay_float32_and_follow_torch(torch, cls, kw):
    init = initial(5, SHAPES, np.float32)
    ours = [Tensor(a, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    assert all(q.dtype == torch.float32 for q in theirs)
    opt = cls(ours, **kw)
    topt = torch_optimizer(torch, cls, theirs, kw)
    for grads in gradient_sequence(6, SHAPES):
        for p, q, g in zip(ours, theirs, grads):
            p.grad = g.astype(np.float32)
            q.grad = torch.tensor(g.astype(np.float32))
        opt.step()
        topt.step()
    for p, q in zip(ours, theirs):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)
    for key, buf in opt.state_dict().items():
        if key.startswith("state.") and not key.endswith(".step"):
            assert buf.dtype == np.float32, key


@pytest.mark.parametrize("cls, kw", [(SGD, dict(lr=0.05, momentum=0.9)), (Adam, dict(lr=0.05))], ids=["SGD-momentum", "Adam"])
def test_same_loss_curve_as_torch_when_each_engine_computes_its_gradients(torch, cls, kw):
    # A least-squares layer y = x W^T + b trained on fixed data, gradients from each engine.
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(16, 4)), rng.normal(size=(16, 3))
    W0, b0 = rng.normal(size=(3, 4)), rng.normal(size=3)
    W, b = Tensor(W0, requires_grad=True), Tensor(b0, requires_grad=True)
    tW, tb = torch.tensor(W0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    opt, topt = cls([W, b], **kw), torch_optimizer(torch, cls, [tW, tb], kw)
    ours, theirs = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((Tensor(X) @ W.T + b - Tensor(Y)) ** 2).mean()
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = ((torch.tensor(X) @ tW.T + tb - torch.tensor(Y)) ** 2).mean()
        tloss.backward()
        topt.step()
        ours.append(loss.item())
        theirs.append(tloss.item())
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert ours[-1] < ours[0]  # it trains


@pytest.mark.parametrize("cls, kw", [(SGD, dict(lr=0.05, momentum=0.9)), (Adam, dict(lr=0.05))], ids=["SGD-momentum", "Adam"])
def test_scalar_track_loss_curve_matches_torch(torch, cls, kw):
    # Lesson 5's two-weight network y = w2 tanh(w1 x), on Values, against torch scalars.
    rng = np.random.default_rng(8)
    xs, ys = rng.normal(size=12).tolist(), rng.normal(size=12).tolist()
    w = [Value(-1.0, label="W1"), Value(-1.0, label="W2")]
    tw = [torch.tensor(-1.0, requires_grad=True), torch.tensor(-1.0, requires_grad=True)]
    opt, topt = cls(w, **kw), torch_optimizer(torch, cls, tw, kw)
    ours, theirs = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = sum((w[1] * (w[0] * x).tanh() - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = sum((tw[1] * torch.tanh(tw[0] * x) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
        tloss.backward()
        topt.step()
        ours.append(loss.data)
        theirs.append(tloss.item())
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize(
    "cls, kw",
    [(SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)), (Adam, dict(lr=0.01)), (RMSProp, dict(lr=0.01, momentum=0.5))],
    ids=["SGD", "Adam", "RMSProp"],
)
def test_a_tensor_whose_grad_is_none_is_skipped_as_in_torch(torch, cls, kw):
    init = initial(9, [(4,), (3,)])
    ours = [Tensor(a, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt, topt = cls(ours, **kw), torch_optimizer(torch, cls, theirs, kw)
    for k, grads in enumerate(gradient_sequence(10, [(4,), (3,)], steps=20)):
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.copy(), torch.tensor(g)
        if k % 3 == 0:  # parameter 1 takes no part in this step's loss
            ours[1].grad, theirs[1].grad = None, None
        if k == 0:
            before = ours[1].data.copy()
            opt.step()
            topt.step()
            assert np.array_equal(ours[1].data, before)  # not even weight decay
            continue
        opt.step()
        topt.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=RTOL, atol=ATOL)
    if cls is not SGD:  # per-parameter step counts, as torch keeps them
        state = opt.state_dict()
        assert state["state.0.step"] == 20 and state["state.1.step"] == int(topt.state_dict()["state"][1]["step"]) == 13


def test_value_grad_zero_is_a_real_zero_gradient():
    # Weight decay still shrinks a Value whose grad is 0.0 (a Tensor with grad None would be skipped).
    p = Value(2.0)
    opt = SGD([p], lr=0.1, weight_decay=0.5)
    opt.step()
    assert p.data == 2.0 - 0.1 * (0.0 + 0.5 * 2.0)


def test_mixed_value_and_tensor_params(torch):
    v, t = [Value(0.5), Value(-1.5)], Tensor([1.0, 2.0], requires_grad=True)
    tv, tt = torch.tensor([0.5, -1.5], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    opt, topt = Adam([v[0], t, v[1]], lr=0.1), torch.optim.Adam([tv, tt], lr=0.1)
    for grads in gradient_sequence(11, [(2,), (2,)], steps=10):
        v[0].grad, v[1].grad = grads[0].tolist()
        t.grad = grads[1].copy()
        tv.grad, tt.grad = torch.tensor(grads[0]), torch.tensor(grads[1])
        opt.step()
        topt.step()
    np.testing.assert_allclose([v[0].data, v[1].data], tv.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(t.data, tt.detach().numpy(), rtol=RTOL)


def test_updates_are_in_place_and_record_no_graph():
    arr = np.array([1.0, 2.0, 3.0])
    t = Tensor.from_numpy(arr, requires_grad=True)
    data_before = t.data
    v = Value(1.0)
    for opt in (SGD([t, v], lr=0.1), Adam([t, v], lr=0.1), SGD([t, v], lr=0.1, momentum=0.9)):
        t.grad, v.grad = np.ones(3), 1.0
        opt.step()
    assert t.data is data_before and arr[0] < 1.0  # the shared array itself moved
    assert t._prev == () and t._op == "" and v._prev == () and v._op == ""
    assert type(v.data) is float


def test_zero_grad_values_become_zero_floats():
    vs = [Value(1.0), Value(2.0)]
    opt = SGD(vs, lr=0.1)
    for set_to_none in (True, False):
        vs[0].grad, vs[1].grad = 3.0, -1.0
        opt.zero_grad(set_to_none=set_to_none)
        assert [v.grad for v in vs] == [0.0, 0.0] and all(type(v.grad) is float for v in vs)


def test_zero_grad_tensors_as_torch(torch):
    ours = [Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2, dtype=np.float32), requires_grad=True)]
    theirs = [torch.ones(3, requires_grad=True), torch.ones(2, dtype=torch.float32, requires_grad=True)]
    opt, topt = SGD(ours, lr=0.1), torch.optim.SGD(theirs, lr=0.1)
    ours[0].grad, theirs[0].grad = np.full(3, 5.0), torch.full((3,), 5.0)  # parameter 1 keeps grad None
    opt.zero_grad(set_to_none=False)
    topt.zero_grad(set_to_none=False)
    assert theirs[1].grad is None and ours[1].grad is None  # nothing to zero: stays None
    assert np.array_equal(ours[0].grad, theirs[0].grad.numpy()) and ours[0].grad.dtype == np.float64
    ours[1].grad, theirs[1].grad = np.ones(2, np.float32), torch.ones(2, dtype=torch.float32)
    opt.zero_grad(set_to_none=False)
    assert ours[1].grad.dtype == np.float32 and not ours[1].grad.any()
    opt.zero_grad()
    topt.zero_grad()
    assert ours[0].grad is None and ours[1].grad is None and theirs[0].grad is None and theirs[1].grad is None


def test_zero_grad_lets_the_next_backward_run():
    # The engines raise on a stale leaf gradient; zero_grad is what clears it.
    w, v = Tensor([1.0, 2.0], requires_grad=True), Value(3.0)
    opt = SGD([w, v], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        (v * v).backward()
        opt.step()
    assert np.allclose(w.data, [1.0 * 0.8**2, 2.0 * 0.8**2]) and math.isclose(v.data, 3.0 * 0.8**2)


# ---------------------------------------------------------------------- state dict


ROUND_TRIP = [
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (SGD, dict(lr=0.05)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    (AdamW, dict(lr=0.01)),
    (RMSProp, dict(lr=0.005, centered=True, momentum=0.9)),
]


def _make_params(kind, seed):
    a, b = initial(seed, [(3, 2), (4,)])
    if kind == "tensor":
        return [Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)]
    if kind == "value":
        return [Value(x) for x in a.ravel().tolist()]
    return [Value(x) for x in a.ravel().tolist()[:3]] + [Tensor(b, requires_grad=True)]


def _feed(params, grads):
    for p, g in zip(params, grads):
        if isinstance(p, Value):
            p.grad = float(g)
        else:
            p.grad = g.copy()


@pytest.mark.parametrize("kind", ["tensor", "value", "mixed"])
@pytest.mark.parametrize("cls, kw", ROUND_TRIP, ids=[c.__name__ + str(i) for i, (c, _) in enumerate(ROUND_TRIP)])
def test_state_dict_round_trip_through_npz_equals_uninterrupted_run(cls, kw, kind):
    a = _make_params(kind, 12)
    shapes = [() if isinstance(p, Value) else p.shape for p in a]
    seq = gradient_sequence(13, shapes, steps=10)
    opt = cls(a, **kw)
    for grads in seq:
        _feed(a, grads)
        opt.step()

    b = _make_params(kind, 12)
    first = cls(b, **kw)
    for grads in seq[:5]:
        _feed(b, grads)
        first.step()
    buffer = io.BytesIO()
    np.savez(buffer, **first.state_dict())  # numbers and arrays only: no pickle needed
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        saved = {k: npz[k] for k in npz.files}
    second = cls(b, lr=0.5)  # other settings: the state dict brings the saved ones back
    second.load_state_dict(saved)
    assert second.lr == kw["lr"] and second.step_count == 5
    for grads in seq[5:]:
        _feed(b, grads)
        second.step()
    for p, q in zip(a, b):
        assert np.array_equal(np.asarray(p.data), np.asarray(q.data))


def test_state_dict_is_a_copy():
    t = Tensor([1.0, 2.0], requires_grad=True)
    opt = Adam([t], lr=0.1)
    t.grad = np.ones(2)
    opt.step()
    saved = opt.state_dict()
    before = saved["state.0.exp_avg"].copy()
    t.grad = np.ones(2)
    opt.step()
    assert np.array_equal(saved["state.0.exp_avg"], before)


def test_load_state_dict_errors_name_the_problem_and_change_nothing():
    t, v = Tensor(np.ones((2, 3)), requires_grad=True), Value(1.0)
    opt = Adam([t, v], lr=0.1)
    t.grad, v.grad = np.ones((2, 3)), 1.0
    opt.step()
    good = opt.state_dict()
    before = opt.state_dict()

    def broken(**changes):
        d = dict(good)
        for k, val in changes.items():
            if val is None:
                d.pop(k)
            else:
                d[k] = val
        return d

    with pytest.raises(ValueError, match=r"state is for 3 parameters, this optimizer has 2"):
        opt.load_state_dict(broken(num_params=3))
    with pytest.raises(ValueError, match=r"state\.0\.exp_avg has shape \(3, 2\).*shape \(2, 3\)"):
        opt.load_state_dict(broken(**{"state.0.exp_avg": np.zeros((3, 2))}))
    with pytest.raises(ValueError, match=r"missing keys \['eps'\]"):
        opt.load_state_dict(broken(eps=None))
    with pytest.raises(ValueError, match=r"unknown key 'momentum'"):
        opt.load_state_dict(broken(momentum=0.9))
    with pytest.raises(ValueError, match=r"unknown buffer 'max_exp_avg_sq'"):
        opt.load_state_dict(broken(**{"state.0.max_exp_avg_sq": np.zeros((2, 3))}))
    with pytest.raises(ValueError, match=r"parameter 0 has buffers \['exp_avg', 'step'\]"):
        opt.load_state_dict(broken(**{"state.0.exp_avg_sq": None}))
    with pytest.raises(ValueError, match=r"state\.0\.exp_avg contains nan"):
        opt.load_state_dict(broken(**{"state.0.exp_avg": np.full((2, 3), np.nan)}))
    with pytest.raises(TypeError, match=r"state\.1\.exp_avg: parameter 1 \(Value\) is a Value"):
        opt.load_state_dict(broken(**{"state.1.exp_avg": np.zeros(3)}))
    with pytest.raises(ValueError, match=r"invalid betas\[1\] 1\.0"):
        opt.load_state_dict(broken(betas=np.array([0.9, 1.0])))
    with pytest.raises(ValueError, match=r"key 'state\.5\.exp_avg' names parameter 5"):
        opt.load_state_dict(broken(**{"state.5.exp_avg": np.zeros(1)}))
    with pytest.raises(TypeError, match=r"expected a dict"):
        opt.load_state_dict([1, 2])
    # An SGD state into Adam: the keys say so.
    sgd = SGD([t, v], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"missing keys \['amsgrad', 'betas', 'eps'\]"):
        opt.load_state_dict(sgd.state_dict())
    after = opt.state_dict()
    assert after.keys() == before.keys()
    assert all(np.array_equal(after[k], before[k]) for k in before)


def test_load_state_dict_values_share_one_step_count():
    vs = [Value(1.0), Value(2.0)]
    opt = Adam(vs, lr=0.1)
    vs[0].grad = vs[1].grad = 1.0
    opt.step()
    d = opt.state_dict()
    d["state.1.step"] = 7
    with pytest.raises(ValueError, match=r"different step counts \[1, 7\]"):
        opt.load_state_dict(d)
    d = opt.state_dict()
    for name in ("step", "exp_avg", "exp_avg_sq"):
        del d[f"state.1.{name}"]
    with pytest.raises(ValueError, match=r"some Value parameters have buffers and others \(e\.g\. \[1\]\)"):
        opt.load_state_dict(d)


# ---------------------------------------------------------------------- errors


def test_non_finite_gradient_raises_naming_the_parameter_and_changes_nothing():
    a = Tensor([1.0, 2.0], requires_grad=True, label="W1")
    b = Tensor([3.0], requires_grad=True, label="b1")
    v = Value(0.5, label="w7")
    opt = Adam([a, b, v], lr=0.1)
    a.grad, b.grad, v.grad = np.ones(2), np.ones(1), 1.0
    opt.step()
    saved = opt.state_dict()
    data = (a.data.copy(), b.data.copy(), v.data)
    a.grad, b.grad = np.ones(2), np.array([np.nan])
    with pytest.raises(ValueError, match=r"Adam\.step: parameter 1 \(label 'b1'\) has a non-finite gradient \(1 of 1"):
        opt.step()
    b.grad, v.grad = np.ones(1), math.inf
    with pytest.raises(ValueError, match=r"parameter 2 \(label 'w7'\) has a non-finite gradient \(inf\)"):
        opt.step()
    assert np.array_equal(a.data, data[0]) and np.array_equal(b.data, data[1]) and v.data == data[2]
    after = opt.state_dict()
    assert all(np.array_equal(after[k], saved[k]) for k in saved)
    # The plain-SGD loop on Values checks first too.
    w = [Value(1.0), Value(2.0)]
    w[0].grad, w[1].grad = 1.0, math.nan
    with pytest.raises(ValueError, match=r"SGD\.step: parameter 1 \(Value\) has a non-finite gradient"):
        SGD(w, lr=0.1).step()
    assert w[0].data == 1.0


def test_bad_gradients_raise():
    t = Tensor(np.ones((2, 2)), requires_grad=True)
    opt = SGD([t], lr=0.1)
    t.grad = np.ones(4)
    with pytest.raises(ValueError, match=r"grad of shape \(4,\) for data of shape \(2, 2\)"):
        opt.step()
    t.grad = "oops"
    with pytest.raises(TypeError, match=r"grad of type str"):
        opt.step()
    v = Value(1.0)
    v.grad = None
    with pytest.raises(TypeError, match=r"parameter 0 \(Value\) has grad None; a Value's grad must be a number"):
        SGD([v], lr=0.1).step()


def test_parameter_list_errors():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD: got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"parameter 1 is a float"):
        SGD([w, 1.0], lr=0.1)
    with pytest.raises(TypeError, match=r"parameter 0 is a ndarray"):
        Adam([np.ones(3)])
    with pytest.raises(TypeError, match=r"named_parameters\(\) gives \(name, param\) pairs"):
        Adam([("w", w)])
    with pytest.raises(ValueError, match=r"parameter 0 \(Tensor of shape \(2,\)\) has requires_grad=False"):
        SGD([Tensor([1.0, 2.0])], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 0 \(label 'c'\) has requires_grad=False"):
        SGD([Value(1.0, label="c", requires_grad=False)], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 1 \(Tensor of shape \(1,\)\) is not a leaf: it was computed by op '\*'"):
        SGD([w, w * 2], lr=0.1)
    with pytest.raises(ValueError, match=r"is not a leaf: it was computed by op '\+'"):
        SGD([Value(1.0) + 1.0], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 2 \(Tensor of shape \(1,\)\) is the same object as parameter 0"):
        RMSProp([w, Tensor([2.0], requires_grad=True), w])
    with pytest.raises(TypeError, match=r"got a single Tensor; pass \[p\]"):
        SGD(w, lr=0.1)
    with pytest.raises(TypeError, match=r"got a single Value; pass \[p\]"):
        SGD(Value(1.0), lr=0.1)
    with pytest.raises(TypeError, match=r"params must be an iterable .* got int"):
        SGD(3, lr=0.1)

    class Model:
        def parameters(self):
            return [w]

    with pytest.raises(TypeError, match=r"got a Model \(a model\?\); pass model\.parameters\(\)"):
        SGD(Model(), lr=0.1)
    # A generator works (it is consumed once, into a list).
    assert SGD((p for p in [w]), lr=0.1).params == (w,)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda ps: SGD(ps, lr=-0.1), ValueError, r"SGD: invalid learning rate lr -0\.1; it must be >= 0"),
        (lambda ps: SGD(ps, lr=math.nan), ValueError, r"invalid learning rate lr nan; it must be finite"),
        (lambda ps: SGD(ps, lr="0.1"), TypeError, r"learning rate lr must be a number, got str"),
        (lambda ps: SGD(ps, lr=True), TypeError, r"learning rate lr must be a number, got bool"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), ValueError, r"SGD: invalid momentum -0\.5"),
        (lambda ps: SGD(ps, lr=0.1, dampening=1.5), ValueError, r"invalid dampening 1\.5; it must be in \[0\.0, 1\.0\]"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), ValueError, r"SGD: invalid weight_decay -1\.0"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=True), ValueError,
         r"nesterov=True needs momentum > 0 and dampening = 0 \(got momentum=0\.0"),
        (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, r"dampening=0\.1"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=1), TypeError, r"nesterov must be True or False, got int"),
        (lambda ps: Adam(ps, betas=(1.0, 0.999)), ValueError, r"Adam: invalid betas\[0\] 1\.0; it must be in \[0\.0, 1\.0\)"),
        (lambda ps: Adam(ps, betas=(0.9, -0.1)), ValueError, r"Adam: invalid betas\[1\] -0\.1"),
        (lambda ps: Adam(ps, betas=0.9), TypeError, r"betas must be a pair \(beta1, beta2\)"),
        (lambda ps: Adam(ps, betas=(0.9, 0.99, 0.9)), TypeError, r"betas must be a pair"),
        (lambda ps: Adam(ps, eps=-1e-8), ValueError, r"Adam: invalid eps -1e-08"),
        (lambda ps: Adam(ps, weight_decay=-0.1), ValueError, r"Adam: invalid weight_decay"),
        (lambda ps: Adam(ps, amsgrad="yes"), TypeError, r"amsgrad must be True or False"),
        (lambda ps: AdamW(ps, lr=-1.0), ValueError, r"AdamW: invalid learning rate lr -1\.0"),
        (lambda ps: AdamW(ps, weight_decay=math.inf), ValueError, r"AdamW: invalid weight_decay inf; it must be finite"),
        (lambda ps: RMSProp(ps, alpha=1.5), ValueError, r"RMSProp: invalid alpha 1\.5; it must be in \[0\.0, 1\.0\]"),
        (lambda ps: RMSProp(ps, eps=-1.0), ValueError, r"RMSProp: invalid eps -1\.0"),
        (lambda ps: RMSProp(ps, momentum=-0.9), ValueError, r"RMSProp: invalid momentum -0\.9"),
        (lambda ps: RMSProp(ps, weight_decay=-0.9), ValueError, r"RMSProp: invalid weight_decay -0\.9"),
        (lambda ps: RMSProp(ps, centered=None), TypeError, r"centered must be True or False"),
    ],
)
def test_hyperparameter_errors(make, error, message):
    with pytest.raises(error, match=message):
        make([Tensor([1.0], requires_grad=True)])


def test_lr_can_be_set_and_is_checked():
    opt = SGD([Value(1.0)], lr=0.1)
    opt.lr = 0.5
    assert opt.lr == 0.5 and opt.state_dict()["lr"] == 0.5
    with pytest.raises(ValueError, match=r"SGD\.lr: invalid learning rate lr -1\.0"):
        opt.lr = -1.0
    assert opt.lr == 0.5


def test_base_class_needs_an_update_rule_and_rmsprop_alias():
    opt = Optimizer([Value(1.0)], lr=0.1)
    with pytest.raises(NotImplementedError, match=r"Optimizer\._update is not defined"):
        opt.step()
    assert RMSprop is RMSProp
    assert "momentum=0.9" in repr(SGD([Value(1.0)], lr=0.1, momentum=0.9))


# ---------------------------------------------------------------------- clip_grad_norm


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    rng = np.random.default_rng(14)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5), rng.normal(size=())]
    ours = [Tensor(np.zeros(g.shape), requires_grad=True) for g in grads] + [Tensor(np.zeros(2), requires_grad=True)]
    theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads] + [torch.zeros(2, requires_grad=True)]
    for p, q, g in zip(ours, theirs, grads):  # the last parameter keeps grad None (skipped)
        p.grad, q.grad = g.copy(), torch.tensor(g)
    total = clip_grad_norm(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert math.isclose(total, ttotal.item(), rel_tol=1e-12)
    for p, q in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)
    assert ours[3].grad is None
    if max_norm < total:  # it did clip (else the grads must be untouched, checked above)
        assert math.isclose(clip_grad_norm(ours, max_norm, norm_type), max_norm, rel_tol=1e-5)


def test_clip_grad_norm_on_values_matches_torch(torch):
    rng = np.random.default_rng(15)
    g = rng.normal(size=30) * 10
    vs = [Value(0.0) for _ in g]
    for v, gi in zip(vs, g.tolist()):
        v.grad = gi
    q = torch.zeros(30, requires_grad=True)
    q.grad = torch.tensor(g)
    total = clip_grad_norm(vs, 1.0)
    assert math.isclose(total, torch.nn.utils.clip_grad_norm_([q], 1.0).item(), rel_tol=1e-12)
    np.testing.assert_allclose([v.grad for v in vs], q.grad.numpy(), rtol=1e-12)
    assert all(type(v.grad) is float for v in vs)
    assert clip_grad_norm(Value(1.0), 1.0) == 0.0  # a single parameter; its grad is 0.0


def test_clip_grad_norm_errors():
    t = Tensor([1.0], requires_grad=True)
    t.grad = np.array([np.inf])
    with pytest.raises(ValueError, match=r"clip_grad_norm: parameter 0 \(Tensor of shape \(1,\)\) has a non-finite gradient"):
        clip_grad_norm([t], 1.0)
    t.grad = np.array([1.0])
    with pytest.raises(ValueError, match=r"clip_grad_norm: invalid max_norm -1\.0"):
        clip_grad_norm([t], -1.0)
    with pytest.raises(ValueError, match=r"norm_type must be a number > 0"):
        clip_grad_norm([t], 1.0, norm_type=0)
    with pytest.raises(TypeError, match=r"parameter 1 is a float"):
        clip_grad_norm([t, 1.0], 1.0)
    assert t.grad[0] == 1.0


# ---------------------------------------------------------------------- schedules


SCHEDULES = [
    (StepLR, dict(step_size=7, gamma=0.5)),
    (StepLR, dict(step_size=1, gamma=0.9)),
    (ExponentialLR, dict(gamma=0.9)),
    (ExponentialLR, dict(gamma=1.05)),
    (LinearLR, dict(start_factor=1.0, end_factor=0.1, total_iters=20)),
    (LinearLR, dict(start_factor=0.25, end_factor=1.0, total_iters=10)),
    (CosineAnnealingLR, dict(T_max=10)),
    (CosineAnnealingLR, dict(T_max=12, eta_min=0.01)),
]


@pytest.mark.parametrize("cls, kw", SCHEDULES, ids=[f"{c.__name__}-{kw}" for c, kw in SCHEDULES])
def test_schedule_lrs_and_training_match_torch(torch, cls, kw):
    twin = getattr(torch.optim.lr_scheduler, cls.__name__)
    init = initial(16, [(4,)])[0]
    p, q = Tensor(init, requires_grad=True), torch.tensor(init, requires_grad=True)
    opt, topt = SGD([p], lr=0.3, momentum=0.5), torch.optim.SGD([q], lr=0.3, momentum=0.5)
    sched, tsched = cls(opt, **kw), twin(topt, **kw)
    ours, theirs = [opt.lr], [topt.param_groups[0]["lr"]]
    assert sched.get_last_lr() == [opt.lr]
    for (g,) in gradient_sequence(17, [(4,)], steps=30):
        p.grad, q.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        ours.append(opt.lr)
        theirs.append(topt.param_groups[0]["lr"])
        assert sched.get_last_lr() == [opt.lr]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert sched.last_epoch == tsched.last_epoch == 30


def test_linear_lr_reproduces_micrograd_demo_exactly():
    opt = SGD([Value(0.0)], lr=1.0)
    sched = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    for k in range(100):
        assert opt.lr == 1.0 - 0.9 * k / 100  # bit for bit: the formula in micrograd's demo
        sched.step()
    # After total_iters it stays at the end of the line (the same formula at k = 100).
    assert opt.lr == 1.0 - 0.9 * 100 / 100
    sched.step()
    assert opt.lr == 1.0 - 0.9 * 100 / 100


def test_schedule_state_dict_round_trip():
    opt = Adam([Value(1.0)], lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=20, eta_min=0.001)
    for _ in range(7):
        sched.step()
    buffer = io.BytesIO()
    np.savez(buffer, **sched.state_dict())
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        saved = {k: npz[k] for k in npz.files}
    opt2 = Adam([Value(1.0)], lr=0.7)
    sched2 = CosineAnnealingLR(opt2, T_max=3)
    sched2.load_state_dict(saved)
    assert opt2.lr == opt.lr and sched2.base_lr == 0.1 and sched2.T_max == 20
    sched.step()
    sched2.step()
    assert opt2.lr == opt.lr and sched2.last_epoch == 8
    with pytest.raises(ValueError, match=r"missing keys \['T_max', 'eta_min'\], unexpected keys \['step_size', 'gamma'\]"):
        sched2.load_state_dict(StepLR(opt, step_size=3).state_dict())
    bad = sched.state_dict()
    bad["last_epoch"] = -2
    with pytest.raises(ValueError, match=r"last_epoch must be an integer >= 0, got -2"):
        sched2.load_state_dict(bad)
    assert sched2.last_epoch == 8


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: StepLR("sgd", step_size=2), TypeError, r"StepLR: expected an optimizer from nn\.optim .* got str"),
        (lambda o: StepLR(o, step_size=0), ValueError, r"StepLR: invalid step_size 0; it must be >= 1"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, r"StepLR: step_size must be a whole number of steps"),
        (lambda o: StepLR(o, step_size=2, gamma=0.0), ValueError, r"StepLR: invalid gamma 0\.0; it must be > 0"),
        (lambda o: ExponentialLR(o, gamma=-0.5), ValueError, r"ExponentialLR: invalid gamma -0\.5"),
        (lambda o: ExponentialLR(o, gamma=math.nan), ValueError, r"ExponentialLR: invalid gamma nan; it must be finite"),
        (lambda o: LinearLR(o, start_factor=0.0, end_factor=1.0, total_iters=5), ValueError,
         r"LinearLR: invalid start_factor 0\.0; it must be in \(0, 1\]"),
        (lambda o: LinearLR(o, start_factor=1.5, end_factor=1.0, total_iters=5), ValueError, r"invalid start_factor 1\.5"),
        (lambda o: LinearLR(o, end_factor=1.2, total_iters=5), ValueError, r"LinearLR: invalid end_factor 1\.2"),
        (lambda o: LinearLR(o, end_factor=0.1, total_iters=0), ValueError, r"LinearLR: invalid total_iters 0"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, r"CosineAnnealingLR: invalid T_max 0"),
        (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-0.1), ValueError, r"CosineAnnealingLR: invalid eta_min -0\.1"),
    ],
)
def test_schedule_errors(make, error, message):
    opt = SGD([Value(1.0)], lr=0.1)
    with pytest.raises(error, match=message):
        make(opt)
    assert opt.lr == 0.1
