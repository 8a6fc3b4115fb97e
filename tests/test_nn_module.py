"""nn's models: structure, the lecture networks, seeds, state dicts shared by both tracks
and PyTorch, save/load (atomic, no pickle) and their errors."""

import os
import zipfile

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, Value
from nn import init


def outputs_scalar(model, X):
    return np.array([[v.data for v in model(list(x))] for x in X])


def torch_sequential(torch, sizes, act="tanh", out_act=None, bias=True):
    acts = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(torch.nn.Linear(sizes[i], sizes[i + 1], bias=bias))
        a = act if i < len(sizes) - 2 else out_act
        if a:
            mods.append(acts[a]())
    return torch.nn.Sequential(*mods).double()


# ---------------------------------------------------------------------- lecture nets


def test_lecture_networks_have_exactly_their_parameter_counts() -> None:
    seven = nn.MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    assert seven.num_parameters() == len(seven.parameters()) == 7
    house = nn.MLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    assert house.num_parameters() == 21
    two = nn.MLP(1, [1, 1], activation="tanh", bias=False, seed=0)
    assert two.num_parameters() == 2
    assert sorted(two.state_dict()) == ["0.weight", "2.weight"]
    # the tensor twins count the same
    assert nn.TensorMLP(1, [2, 1], "sigmoid", "sigmoid").num_parameters() == 7
    assert nn.TensorMLP(2, [5, 1], "sigmoid", "sigmoid").num_parameters() == 21
    assert nn.TensorMLP(1, [1, 1], bias=False).num_parameters() == 2


def test_layers_return_lists_even_for_one_output_and_micrograds_crash_is_gone() -> None:
    layer = nn.Layer(3, 1, seed=0)
    out = layer([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)
    model = nn.MLP(2, [16, 1, 1], seed=0)  # micrograd: TypeError zipping over a Value
    y = model([0.5, -0.5])
    assert isinstance(y, list) and len(y) == 1
    y[0].backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    assert isinstance(nn.Neuron(2, seed=0)([1.0, 1.0]), Value)


def test_neuron_computes_act_of_w_dot_x_plus_b() -> None:
    for act, f in [("tanh", np.tanh), ("relu", lambda z: max(z, 0.0)), ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
                   ("linear", lambda z: z)]:
        n = nn.Neuron(3, activation=act, seed=1)
        x = [0.3, -1.2, 2.0]
        z = sum(w.data * xi for w, xi in zip(n.weight, x)) + n.bias.data
        assert n(x).data == pytest.approx(f(z), abs=1e-14)
    n = nn.Neuron(2, bias=False, seed=0)
    assert n.bias is None and len(n.parameters()) == 2


def test_named_parameters_are_stable_dotted_names_in_definition_order() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names[:3] == ["0.weight[0, 0]", "0.weight[0, 1]", "0.weight[1, 0]"]
    assert names[6:9] == ["0.bias[0]", "0.bias[1]", "0.bias[2]"]
    assert names[-1] == "2.bias[0]" and len(names) == 3 * 2 + 3 + 3 + 1
    # the Value labels are those names, for graph drawings
    assert all(p.label == name for name, p in model.named_parameters())
    tmodel = nn.TensorMLP(2, [3, 1], seed=0)
    assert [n for n, _ in tmodel.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    # a parameter shared by two attributes is listed once
    class Tied(nn.Module):
        def __init__(self):
            self.a = nn.Linear(2, 2, seed=0)
            self.b = self.a
    assert len(Tied().parameters()) == 2


def test_printed_models_read_like_their_definition() -> None:
    text = repr(nn.MLP(2, [16, 16, 1], seed=0))
    assert "(0): Layer(2 -> 16, tanh)" in text and "(4): Layer(16 -> 1, linear)" in text
    text = repr(nn.TensorMLP(2, [4, 1], activation="relu", seed=0))
    assert text.splitlines()[1:4] == ["  (0): Linear(2 -> 4)", "  (1): ReLU()", "  (2): Linear(4 -> 1)"]
    assert "total" in nn.MLP(1, [2, 1]).summary() and "7" in nn.MLP(1, [2, 1]).summary().splitlines()[-1]


# ---------------------------------------------------------------------- seeds and init


def test_same_seed_same_weights_on_both_tracks_and_different_seeds_differ() -> None:
    a = nn.MLP(2, [4, 3, 1], seed=7).state_dict()
    b = nn.TensorMLP(2, [4, 3, 1], seed=7).state_dict()
    c = nn.MLP(2, [4, 3, 1], seed=8).state_dict()
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["0.weight"], c["0.weight"])
    # seed=None draws from the global generator: reproducible after manual_seed
    init.manual_seed(3)
    first = [nn.Linear(3, 2).weight.data.copy(), nn.Linear(3, 2).weight.data.copy()]
    init.manual_seed(3)
    again = [nn.Linear(3, 2).weight.data.copy(), nn.Linear(3, 2).weight.data.copy()]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])
    # a shared Generator is a stream: two layers from it differ, and replaying it repeats them
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert np.array_equal(nn.Linear(2, 2, seed=g1).weight.data, nn.Linear(2, 2, seed=g2).weight.data)


@pytest.mark.parametrize("scheme, var", [
    ("default", lambda fi, fo: 1 / (3 * fi)),
    ("uniform", lambda fi, fo: 1 / 3),
    ("normal", lambda fi, fo: 1 / fi),
    ("xavier_uniform", lambda fi, fo: 2 / (fi + fo)),
    ("xavier_normal", lambda fi, fo: 2 / (fi + fo)),
    ("kaiming_uniform", lambda fi, fo: 2 / fi),
    ("kaiming_normal", lambda fi, fo: 2 / fi),
])
def test_init_schemes_have_the_variance_their_formula_says(scheme, var) -> None:
    fan_in, fan_out = 300, 200
    w, b = init.draw(fan_out, fan_in, init=scheme, seed=0)
    assert w.shape == (fan_out, fan_in)
    assert abs(w.mean()) < 4 * np.sqrt(var(fan_in, fan_out) / w.size)
    assert w.var() == pytest.approx(var(fan_in, fan_out), rel=0.03)
    if scheme == "default":  # PyTorch draws the bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        assert np.abs(b).max() <= 1 / np.sqrt(fan_in) and b.std() > 0
    else:
        assert not b.any()


def test_zeros_init_and_custom_init_and_bad_init() -> None:
    w, b = init.draw(3, 2, init="zeros", seed=0)
    assert not w.any() and not b.any()
    lin = nn.Linear(2, 3, init=lambda shape, rng: np.full(shape, 0.5), bias_init="zeros")
    assert (lin.weight.data == 0.5).all() and not lin.bias.data.any()
    with pytest.raises(ValueError, match=r"unknown init 'glorot'.*xavier_uniform"):
        nn.MLP(2, [3], init="glorot")
    with pytest.raises(TypeError, match="seed"):
        nn.Linear(2, 3, seed="7")
    with pytest.raises(ValueError, match="returned shape"):
        nn.Linear(2, 3, init=lambda shape, rng: np.zeros(3))


# ---------------------------------------------------------------------- both tracks, PyTorch


def test_scalar_and_tensor_tracks_compute_the_same_outputs_and_gradients() -> None:
    X = np.random.default_rng(0).normal(size=(6, 3))
    y = np.random.default_rng(1).normal(size=(6, 2))
    for act in ("tanh", "relu", "sigmoid"):
        s = nn.MLP(3, [5, 4, 2], activation=act, seed=2)
        t = nn.TensorMLP(3, [5, 4, 2], activation=act, seed=2)
        np.testing.assert_allclose(outputs_scalar(s, X), t(X).data, rtol=0, atol=1e-13)
        loss_s = sum(((v - yi) ** 2 for row, yrow in zip([s(list(x)) for x in X], y) for v, yi in zip(row, yrow)))
        loss_t = ((t(X) - y) ** 2).sum()
        loss_s.backward()
        loss_t.backward()
        # gradients laid out as the state dict, via the same named groups
        for (name, shape, ps), (_, _, pt) in zip(s.groups(), t.groups()):
            gs = np.array([p.grad for p in ps]).reshape(shape)
            np.testing.assert_allclose(gs, pt.grad, rtol=1e-11, atol=1e-12, err_msg=name)


def test_weights_move_to_pytorch_and_back_with_one_line(torch) -> None:
    X = np.random.default_rng(3).normal(size=(7, 2))
    for bias, out_act in [(True, None), (False, "sigmoid")]:
        s = nn.MLP(2, [6, 4, 1], activation="relu", output_activation=out_act or "linear", bias=bias, seed=4)
        t = nn.TensorMLP(2, [6, 4, 1], activation="relu", output_activation=out_act or "linear", bias=bias, seed=4)
        tm = torch_sequential(torch, [2, 6, 4, 1], act="relu", out_act=out_act, bias=bias)
        # ours -> torch (strict: keys and shapes must match exactly)
        tm.load_state_dict({k: torch.tensor(v) for k, v in s.state_dict().items()})
        expected = tm(torch.tensor(X)).detach().numpy()
        np.testing.assert_allclose(outputs_scalar(s, X), expected, atol=1e-13)
        np.testing.assert_allclose(t(X).data, expected, atol=1e-13)
        # torch -> ours: fresh random torch weights into both tracks
        tm2 = torch_sequential(torch, [2, 6, 4, 1], act="relu", out_act=out_act, bias=bias)
        state = {k: v.detach().numpy() for k, v in tm2.state_dict().items()}
        s.load_state_dict(state)
        t.load_state_dict(state)
        expected = tm2(torch.tensor(X)).detach().numpy()
        np.testing.assert_allclose(outputs_scalar(s, X), expected, atol=1e-13)
        np.testing.assert_allclose(t(X).data, expected, atol=1e-13)


def test_state_dict_is_a_copy_and_load_is_in_place() -> None:
    t = nn.TensorMLP(2, [3, 1], seed=0)
    weight = t[0].weight
    view = weight.data
    state = t.state_dict()
    state["0.weight"][:] = 9.0
    assert not (t[0].weight.data == 9.0).any()
    t.load_state_dict(state)
    assert t[0].weight is weight and weight.data is view and (view == 9.0).all()


# ---------------------------------------------------------------------- state dict errors


def test_load_state_dict_lists_every_problem_and_changes_nothing() -> None:
    for model in (nn.MLP(2, [3, 1], seed=0), nn.TensorMLP(2, [3, 1], seed=0)):
        before = model.state_dict()
        bad = dict(before)
        del bad["2.bias"]
        bad["9.weight"] = np.zeros(3)
        bad["0.weight"] = np.zeros((2, 3))  # transposed
        bad["0.bias"] = np.full(3, np.nan)
        with pytest.raises(nn.StateDictError) as err:
            model.load_state_dict(bad)
        msg = str(err.value)
        assert "missing keys: ['2.bias']" in msg and "unexpected keys: ['9.weight']" in msg
        assert "0.weight: shape (2, 3) in the state dict, (3, 2) in the model" in msg
        assert "0.bias: contains nan" in msg and "nothing was changed" in msg
        for k, v in model.state_dict().items():
            np.testing.assert_array_equal(v, before[k])
    with pytest.raises(TypeError, match="dict of arrays"):
        nn.MLP(2, [1]).load_state_dict([1, 2])


def test_non_strict_load_ignores_missing_and_extra_keys() -> None:
    model = nn.TensorMLP(2, [3, 1], seed=0)
    model.load_state_dict({"2.bias": np.array([4.0]), "other": np.zeros(1)}, strict=False)
    assert model[2].bias.data[0] == 4.0


# ---------------------------------------------------------------------- files


def test_save_load_round_trip_within_and_across_tracks(tmp_path) -> None:
    s = nn.MLP(2, [4, 1], seed=1)
    path = tmp_path / "model.npz"
    s.save(path)
    fresh = nn.MLP(2, [4, 1], seed=99).load(path)
    twin = nn.TensorMLP(2, [4, 1], seed=99).load(path)
    for k, v in s.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[k], v)
        np.testing.assert_array_equal(twin.state_dict()[k], v)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temp file left behind


def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "m.npz"
    nn.MLP(2, [2], seed=0).save(path)
    old = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP(2, [2], seed=1).save(path)
    assert path.read_bytes() == old and len(list(tmp_path.iterdir())) == 1


def test_truncated_corrupt_and_foreign_files_are_refused_and_leave_the_model_alone(tmp_path) -> None:
    model = nn.TensorMLP(2, [3, 1], seed=0)
    before = model.state_dict()
    good = tmp_path / "good.npz"
    nn.TensorMLP(2, [3, 1], seed=5).save(good)
    data = good.read_bytes()
    cases = {}
    cases["truncated"] = data[: len(data) // 2]
    cases["garbage"] = b"not a zip file at all" * 10
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF  # a flipped byte inside the compressed payload
    cases["flipped"] = bytes(flipped)
    for name, payload in cases.items():
        path = tmp_path / f"{name}.npz"
        path.write_bytes(payload)
        with pytest.raises(nn.StateDictError, match=str(path.name)):
            model.load(path)
    # a valid .npz that was not written by save
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, **{"0.weight": np.zeros((3, 2))})
    with pytest.raises(nn.StateDictError, match="not written by Module.save"):
        model.load(foreign)
    # tampered: one array replaced by one of the wrong shape
    tampered = tmp_path / "tampered.npz"
    with np.load(good) as z:
        entries = {k: z[k] for k in z.files}
    entries["0.weight"] = np.zeros((5, 5))
    np.savez(tampered, **entries)
    with pytest.raises(nn.StateDictError, match=r"0.weight: shape \(5, 5\)"):
        model.load(tampered)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_loading_never_unpickles(tmp_path) -> None:
    # An object array is stored with pickle: np.load(allow_pickle=False) must refuse it
    # before anything runs.
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    path = tmp_path / "evil.npz"
    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    good = nn.MLP(2, [1], seed=0)
    entries = {"__autograd_lite__": np.array('{"format": "autograd-lite/state-dict"}'), "0.weight": arr}
    np.savez(path, **entries)
    with pytest.raises(nn.StateDictError, match="Python objects"):
        good.load(path)
    assert not marker.exists()
    assert zipfile.is_zipfile(path)
    with pytest.raises(FileNotFoundError):
        good.load(tmp_path / "missing.npz")


# ---------------------------------------------------------------------- grads and modes


def test_zero_grad_on_both_engines() -> None:
    s = nn.MLP(2, [2, 1], seed=0)
    s([1.0, 2.0])[0].backward()
    assert any(p.grad for p in s.parameters())
    s.zero_grad()
    assert all(p.grad == 0.0 for p in s.parameters())
    s([1.0, 2.0])[0].backward()  # no stale-leaf error after zero_grad
    t = nn.TensorMLP(2, [2, 1], seed=0)
    t(np.ones((3, 2))).sum().backward()
    t.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in t.parameters())
    t.zero_grad()
    assert all(p.grad is None for p in t.parameters())
    t.zero_grad(set_to_none=False)  # as PyTorch: no gradient yet stays None (optimizers skip it)
    assert all(p.grad is None for p in t.parameters())


def test_train_and_eval_reach_every_child() -> None:
    t = nn.TensorMLP(2, [3, 1], seed=0)
    assert t.eval() is t and all(not m.training for _, m in t.named_modules())
    t.train()
    assert all(m.training for _, m in t.named_modules())
    s = nn.MLP(2, [3, 1]).eval()
    assert not s.layers[0].training


# ---------------------------------------------------------------------- bad input


def test_bad_sizes_activations_and_inputs_are_named() -> None:
    with pytest.raises(ValueError, match=r"MLP: nouts is a non-empty list"):
        nn.MLP(2, 16)
    with pytest.raises(ValueError, match=r"nouts\[1\] must be a positive int, got 0"):
        nn.MLP(2, [3, 0])
    with pytest.raises(ValueError, match=r"Neuron: nin must be a positive int"):
        nn.Neuron(-1)
    with pytest.raises(ValueError, match=r"unknown activation 'softmax'.*tanh"):
        nn.Layer(2, 2, activation="softmax")
    with pytest.raises(ValueError, match=r"TensorMLP: unknown activation 'gelu'"):
        nn.TensorMLP(2, [3], activation="gelu")
    with pytest.raises(ValueError, match=r"Layer: expected 2 inputs, got 3"):
        nn.MLP(2, [3])([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"Layer: every input must be a finite real number"):
        nn.MLP(2, [3])(["a", 1.0])
    with pytest.raises(ValueError, match=r"Linear\(2 -> 3\): input has shape \(4, 5\), expected \(N, 2\)"):
        nn.Linear(2, 3)(np.zeros((4, 5)))
    with pytest.raises(TypeError, match=r"use Tanh\(\), not Tanh"):
        nn.Sequential(nn.Linear(2, 2), nn.Tanh)


def test_tensor_layers_and_activation_modules_match_numpy() -> None:
    x = np.random.default_rng(0).normal(size=(4, 3))
    lin = nn.Linear(3, 2, seed=0)
    np.testing.assert_allclose(lin(x).data, x @ lin.weight.data.T + lin.bias.data, atol=1e-15)
    np.testing.assert_allclose(nn.ReLU()(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).data, np.where(x > 0, x, 0.1 * x))
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.Softmax()(x).data, e / e.sum(axis=1, keepdims=True))
    assert nn.Identity()(x).data is x or np.array_equal(nn.Identity()(x).data, x)
    f32 = nn.Linear(3, 2, seed=0, dtype=np.float32)
    assert f32.weight.dtype == np.float32 and f32(x.astype(np.float32)).dtype == np.float32
    model = nn.Sequential(nn.Linear(3, 4, seed=1), nn.ReLU(), nn.Linear(4, 1, seed=2))
    assert len(model) == 3 and isinstance(model[1], nn.ReLU)
    assert model(Tensor(x)).shape == (4, 1)


def test_docstring_examples_in_nn_run() -> None:
    import doctest

    import nn.scalar

    for module in (nn, nn.scalar):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
