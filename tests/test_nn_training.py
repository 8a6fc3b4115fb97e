"""nn trains the lectures' networks, and trains them exactly as PyTorch does.

Each training test can fail: it trains from a seeded start and asserts the outcome the
lesson needs (an accuracy or a loss), never a number copied from an earlier run.
"""

import numpy as np
import pytest

import nn
from autograd_lite import Tensor


def test_moons_scalar_mlp_reaches_97_percent_in_100_steps() -> None:
    # micrograd's demo on the scalar track: MLP 2-16-16-1 (ReLU, U(-1, 1) weights), SVM
    # loss + 1e-4 L2, full-batch SGD with lr = 1.0 - 0.9 k / 100.
    X, y = nn.moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=1)
    opt = nn.SGD(model.parameters(), lr=1.0)
    schedule = nn.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    history = nn.fit(model, nn.hinge, (X, 2 * y - 1), opt, epochs=100, scheduler=schedule,
                     scheduler_interval="step", regularizer=lambda m: nn.l2(m.parameters(), alpha=1e-4),
                     metrics={"acc": nn.accuracy}, log_every=0)
    assert history.steps == 100 and history.stopped is None
    scores = [model(list(x))[0].data for x in X]
    assert nn.accuracy(np.array(scores), 2 * y - 1) >= 0.97
    assert history.metrics["acc"][0] < 0.9  # it learned this: the start was far from it
    assert history.lr[0] == 1.0 and history.lr[-1] == pytest.approx(1.0 - 0.9 * 99 / 100)


def test_digits_tensor_mlp_reaches_93_percent_test_accuracy() -> None:
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    X, y = nn.load_digits()
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_fraction=0.1, seed=0)
    model = nn.TensorMLP(64, [50, 10], activation="relu", seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = nn.accuracy(model(X_test), y_test)
    nn.fit(model, nn.cross_entropy, nn.Batches(X_train, y_train, 100, seed=0), opt, epochs=10, log_every=0)
    assert before < 0.3
    assert nn.accuracy(model(X_test), y_test) >= 0.93


def test_xor_is_solved_on_both_tracks() -> None:
    X, y = nn.xor()
    for model in (nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0),
                  nn.TensorMLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)):
        opt = nn.SGD(model.parameters(), lr=0.5, momentum=0.9)
        history = nn.fit(model, nn.binary_cross_entropy, (X, y), opt, epochs=300, log_every=0)
        assert history.loss[-1] < 0.05
        if model.engine == "tensor":
            probs = model(X).data.ravel()
        else:
            probs = np.array([model(list(x))[0].data for x in X])
        assert ((probs > 0.5) == (y == 1)).all(), probs  # all four corners right


def test_house_price_net_loss_falls_below_0_2() -> None:
    # Lesson 3: 2 -> 5 sigmoid hidden -> 1 (linear output: the targets are standardised,
    # so they are not in a sigmoid's (0, 1)), E = 1/2 sum (y - y_pred)^2, lr 0.01,
    # 10,000 full-batch epochs.
    X, y, _ = nn.house_prices()
    model = nn.TensorMLP(2, [5, 1], activation="sigmoid", seed=0)
    history = nn.fit(model, nn.half_sse, (X, y), nn.SGD(model.parameters(), lr=0.01), epochs=10_000, log_every=0)
    assert history.loss[0] > 1.0 and history.loss[-1] < 0.2
    # the scalar track, from the same seed, walks the same loss curve (first 100 epochs)
    scalar = nn.MLP(2, [5, 1], activation="sigmoid", seed=0)
    h2 = nn.fit(scalar, nn.half_sse, (X, y), nn.SGD(scalar.parameters(), lr=0.01), epochs=100, log_every=0)
    np.testing.assert_allclose(h2.loss, history.loss[:100], rtol=1e-12)


# ---------------------------------------------------------------------- PyTorch


def torch_twin(torch, model):
    """The PyTorch Sequential with model's layers and weights (Linear/Tanh/ReLU/Sigmoid)."""
    acts = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}
    layers = model.layers if model.engine == "value" else [m for m in model.modules if isinstance(m, nn.Linear)]
    mods = []
    for i, layer in enumerate(layers):
        mods.append(torch.nn.Linear(layer.nin, layer.nout))
        act = model.activation if i < len(layers) - 1 else model.output_activation
        if act != "linear":
            mods.append(acts[act]())
    twin = torch.nn.Sequential(*mods).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return twin


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("optimizer", ["sgd_momentum", "adam"])
def test_same_init_and_data_give_pytorchs_loss_curve_for_50_steps(torch, engine, optimizer) -> None:
    X, y = nn.moons(60, noise=0.2, seed=3)
    batches = list(nn.Batches(X, y.astype(float), 20, seed=4))  # fixed, so torch sees the same ones
    batches = [batches[i % len(batches)] for i in range(50)]
    make = nn.MLP if engine == "value" else nn.TensorMLP
    model = make(2, [8, 8, 1], activation="tanh", seed=5)
    twin = torch_twin(torch, model)
    if optimizer == "sgd_momentum":
        ours = nn.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
        theirs = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    else:
        ours = nn.Adam(model.parameters(), lr=0.01)
        theirs = torch.optim.Adam(twin.parameters(), lr=0.01)
    history = nn.fit(model, nn.binary_cross_entropy_with_logits, batches, ours, epochs=1, log_every=0)
    torch_losses = []
    for xb, yb in batches:
        theirs.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(twin(torch.tensor(xb))[:, 0], torch.tensor(yb))
        loss.backward()
        theirs.step()
        torch_losses.append(loss.item())
    assert len(history.loss) == 50
    np.testing.assert_allclose(history.loss, torch_losses, rtol=1e-9, atol=1e-12)
    assert torch_losses[-1] < torch_losses[0]  # a real training run, not a flat line
    for k, v in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k], v.numpy(), rtol=1e-9, atol=1e-12)


def test_a_trained_model_survives_a_save_and_load_into_the_other_track_and_pytorch(torch, tmp_path) -> None:
    X, y = nn.moons(80, noise=0.1, seed=0)
    model = nn.TensorMLP(2, [16, 16, 1], activation="relu", seed=0)
    nn.fit(model, nn.binary_cross_entropy_with_logits, (X, y.astype(float)), nn.Adam(model.parameters(), lr=0.02),
           epochs=50, log_every=0)
    model.save(tmp_path / "moons.npz")
    scalar = nn.MLP(2, [16, 16, 1], activation="relu", seed=99).load(tmp_path / "moons.npz")
    expected = model(Tensor(X)).data[:, 0]
    np.testing.assert_allclose([scalar(list(x))[0].data for x in X], expected, atol=1e-12)
    twin = torch_twin(torch, scalar)
    np.testing.assert_allclose(twin(torch.tensor(X)).detach().numpy()[:, 0], expected, atol=1e-12)
