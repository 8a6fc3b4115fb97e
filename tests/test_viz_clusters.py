"""Module clusters and collapsed drawings: which nn module call made which node.

The record comes from ``nn.record_calls()``; ``viz.draw_graph(root, modules=record)`` boxes
the nodes by call, ``collapse=True``/``"neuron"`` draws one node per layer/neuron call.
Expected memberships are derived from the networks' formulas (a tanh neuron with bias over
nin inputs makes nin products, nin adds, one tanh, and owns nin + 1 parameters), never
from the code under test.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, Value
from autograd_lite.graph import topological_order
from nn.record import _ACTIVE
from viz import GraphTooLarge, available_renderers, backward_frames, draw_graph, draw_model

SNAPSHOTS = Path(__file__).parent / "snapshots"


from dot_read import boxes, cells, node_texts  # noqa: E402


def node_labels(source: str) -> Dict[str, str]:
    """DOT id -> the visible text of its label, on one line."""
    return node_texts(source)


def sq_loss(out, target):
    return (out[0] - target) ** 2


# ---------------------------------------------------------------------- the record


def test_record_calls_lists_module_calls_inner_first_and_stops_at_the_block() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    with nn.record_calls() as rec:
        out = model([1.0, -2.0])
    assert [type(c.module).__name__ for c in rec.calls] == ["Neuron"] * 3 + ["Layer", "Neuron", "Layer", "MLP"]
    layer0 = model.layers[0]
    assert rec.calls[3].module is layer0 and rec.calls[3].outputs[0] is rec.calls[0].outputs[0]
    assert rec.calls[-1].outputs == tuple(out)
    names = rec.names()
    assert names[id(model)] == "" and names[id(layer0)] == "0" and names[id(model.layers[1])] == "2"
    assert names[id(layer0.neurons[2])] == "0.neurons.2"
    model([0.0, 0.0])  # outside the block: nothing recorded, recording is off
    assert len(rec) == 7 and _ACTIVE == []


def test_nested_records_both_see_calls_and_an_error_closes_the_block() -> None:
    model = nn.TensorMLP(2, [2], seed=0)
    with nn.record_calls() as outer:
        with nn.record_calls() as inner:
            model(np.ones((1, 2)))
        model(np.ones((1, 2)))
    assert len(inner) == 2 and len(outer) == 4  # Linear, then the TensorMLP around it
    with pytest.raises(ZeroDivisionError):
        with nn.record_calls():
            1 / 0
    assert _ACTIVE == []


def test_recording_changes_no_number() -> None:
    model = nn.MLP(2, [4, 1], seed=1)
    plain = model([0.3, -0.7])[0].data
    with nn.record_calls():
        recorded = model([0.3, -0.7])[0].data
    assert recorded == plain


# ---------------------------------------------------------------------- clusters (boxes)


def test_scalar_mlp_boxes_every_neuron_inside_its_layer_inside_the_model() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    with nn.record_calls() as rec:
        loss = sq_loss(model([0.5, -1.0]), 1.0)
    src = draw_graph(loss, modules=rec, grads="computed").source
    got = boxes(src)
    labels = node_labels(src)
    # Names for people: layers and neurons numbered from 1, in order (not Sequential positions).
    assert set(got) == {
        "MLP(2 -> 3 -> 1)", "layer 1 (2 -> 3, tanh)", "layer 2 (3 -> 1, linear)",
        "neuron 1 of layer 1", "neuron 2 of layer 1", "neuron 3 of layer 1", "neuron 1 of layer 2",
    }
    for j in range(3):
        ids = got[f"neuron {j + 1} of layer 1"]
        # tanh neuron over 2 inputs: 2 products, 2 adds (from the bias), 1 tanh = 5 ops,
        # and its 3 parameters: 5 values with an op node each, plus 3 leaves
        assert sum(i.endswith("op") for i in ids) == 5 and len(ids) == 5 * 2 + 3
        leaves = [i for i in ids if not i.endswith("op") and not labels[i].startswith("data")]
        # a parameter's name for people, then its state-dict key on a smaller second line
        named = sorted(tuple(cells(src, i)[0].split("\n")) for i in leaves)
        assert named == [
            (f"W1[{j + 1}, 1]", f"0.weight[{j}, 0]"), (f"W1[{j + 1}, 2]", f"0.weight[{j}, 1]"), (f"b1[{j + 1}]", f"0.bias[{j}]"),
        ]
    # linear output neuron over 3 inputs: 3 products + 3 adds, no activation node
    assert sum(i.endswith("op") for i in got["neuron 1 of layer 2"]) == 6
    # layer and model boxes hold nothing directly: everything is in a neuron
    assert got["layer 1 (2 -> 3, tanh)"] == [] and got["MLP(2 -> 3 -> 1)"] == []
    # the sample's numbers and the loss ops stay outside every box
    inside = {i for ids in got.values() for i in ids}
    outside = [labels[i] for i in labels if i not in inside and not i.endswith("op")]
    assert "0.5000" in outside and "-1.0000" in outside  # the sample (and the loss's -1 constant)
    assert any(t.startswith("data") and "grad 1.0000" in t for t in outside)  # the loss


def test_tensor_mlp_boxes_linear_and_activation_modules_and_leaves_the_data_outside() -> None:
    model = nn.TensorMLP(2, [3, 1], seed=0)
    X, y = np.ones((4, 2)), np.zeros((4, 1))
    with nn.record_calls() as rec:
        loss = nn.mse(model(X), y)
    src = draw_graph(loss, modules=rec, params=dict(model.named_parameters()), grads="computed").source
    got, labels = boxes(src), node_labels(src)
    assert list(got) == ["TensorMLP", "layer 1 (2 -> 3)", "tanh", "layer 2 (3 -> 1)"]
    for name, key in (("layer 1 (2 -> 3)", "0"), ("layer 2 (3 -> 1)", "2")):
        texts = [labels[i] for i in got[name]]
        assert any(t.startswith(f"{key}.weight") for t in texts) and any(t.startswith(f"{key}.bias") for t in texts)
        ops = sorted(labels[i] for i in got[name] if i.endswith("op"))
        assert ops == ["+", "matmul", "transpose(1, 0)"]  # x W^T + b
    assert [labels[i] for i in got["tanh"] if i.endswith("op")] == ["tanh"]
    inside = {i for ids in got.values() for i in ids}
    data_leaf = [i for i, t in labels.items() if t.startswith("(4, 2)")]
    assert data_leaf and not set(data_leaf) & inside
    # Without params=, the model's own parameters get people's names over their keys.
    plain = draw_graph(loss, modules=rec, grads="computed").source
    named = {tuple(cells(plain, i)[0].split("\n")) for i in dot_read_ids(plain) if cells(plain, i)[:1] and cells(plain, i)[0].startswith(("W", "b"))}
    assert named == {("W1", "0.weight"), ("b1", "0.bias"), ("W2", "2.weight"), ("b2", "2.bias")}


def dot_read_ids(source: str) -> List[str]:
    from dot_read import dot_nodes

    return [k for k in dot_nodes(source) if not k.endswith("op")]


def test_a_batch_through_a_scalar_model_gets_one_box_per_call() -> None:
    model = nn.MLP(1, [1], seed=0)
    with nn.record_calls() as rec:
        outs = [model([x])[0] for x in (0.5, -0.5)]
        loss = outs[0] + outs[1]
    labels = list(boxes(draw_graph(loss, modules=rec).source))
    assert "MLP(1 -> 1)  (call 1 of 2)" in labels and "MLP(1 -> 1)  (call 2 of 2)" in labels
    assert "layer 1 (1 -> 1, linear)  (call 2 of 2)" in labels


def test_clustered_drawings_are_byte_identical_across_runs() -> None:
    def make() -> str:
        model = nn.MLP(2, [3, 1], seed=0)
        return draw_model(model, [0.5, -1.0], 1.0, sq_loss, edge_labels="flow").source

    assert make() == make()


def test_backward_frames_keep_the_boxes() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    with nn.record_calls() as rec:
        loss = sq_loss(model([0.5, -1.0]), 1.0)
    frames = backward_frames(loss, modules=rec)
    assert len(frames) == sum(1 for n in topological_order(loss) if n._prev)
    assert all(len(boxes(f.source)) == 6 for f in frames)


# ---------------------------------------------------------------------- collapse


def test_collapse_draws_the_lecture_mlp_as_three_layers_and_it_renders(tmp_path: Path) -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    x = [0.5, -1.0]
    with nn.record_calls() as rec:
        out = model(x)[0]
    n_nodes = len(topological_order(out))
    with pytest.raises(GraphTooLarge, match=r"pass collapse=True"):
        draw_graph(out, modules=rec)  # node by node it is far over the guard
    g = draw_graph(out, modules=rec, collapse=True, grads="computed")
    labels = node_labels(g.source)
    modules = {k: v for k, v in labels.items() if k.startswith("c")}
    assert len(modules) == 3
    # nodes per tanh layer of nout neurons over nin inputs: nout * (2 nin + 1 + nin + 1);
    # the linear output neuron: 2 nin ops + nin + 1 parameters
    per_layer = [16 * (2 * 2 + 1 + 3), 16 * (2 * 16 + 1 + 17), 2 * 16 + 17]
    texts = list(modules.values())
    for text, count, params in zip(texts, per_layer, [48, 272, 17]):
        assert f"{count} nodes, {params} parameters" in text
    assert sum(per_layer) + 2 == n_nodes  # + the two input numbers, drawn as they are
    # the output node shows the model's output and d out/d out = 1
    assert f"data {out.data:.4f}" in texts[2] and "grad 1.0000" in texts[2]
    # every hidden value flows on: 16 values from layer to layer
    assert re.findall(r"(c\d+) -> (c\d+) \[label=<(\d+) values>\]", g.source) == [
        (list(modules)[0], list(modules)[1], "16"), (list(modules)[1], list(modules)[2], "16")]
    assert boxes(g.source) == {"MLP(2 -> 16 -> 16 -> 1)": list(modules)}
    if not available_renderers():
        pytest.skip("no Graphviz renderer")
    svg = html.unescape(g.save(tmp_path / "mlp.svg").read_text())
    assert "layer 2 (16 -> 16, tanh)" in svg and "800 nodes" in svg
    # the layers read as people name them, in order
    assert [t.split(" (")[0] for t in texts] == ["layer 1", "layer 2", "layer 3"]


def test_collapse_to_neurons_shows_each_neurons_output_and_gradient() -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=3)
    x = np.array([0.5, -1.0])
    g = draw_model(model, list(x), 1.0, sq_loss, collapse="neuron")
    labels = node_labels(g.source)
    state = model.state_dict()
    hidden = np.tanh(state["0.weight"] @ x + state["0.bias"])  # numpy, from the weights
    out = state["2.weight"] @ hidden + state["2.bias"]
    dloss_dout = 2 * (out[0] - 1.0)
    neurons = {re.match(r"(neuron \d+ of layer \d+)", t).group(1): t for k, t in labels.items()
               if k.startswith("c") and t.startswith("neuron")}
    assert len(neurons) == 4
    # the loss is drawn as one node too, with the loss and d loss/d loss = 1
    (loss,) = [t for k, t in labels.items() if k.startswith("c") and t.startswith("loss")]
    assert loss.startswith("loss: sq_loss") and f"data {(out[0] - 1.0) ** 2:.4f}" in loss and "grad 1.0000" in loss
    for j in range(3):
        text = neurons[f"neuron {j + 1} of layer 1"]
        assert f"data {hidden[j]:.4f}" in text
        assert f"grad {dloss_dout * state['2.weight'][0, j]:.4f}" in text
    # the parameter .grad fields were not touched: the gradients were simulated
    assert all(p.grad == 0.0 for p in model.parameters())


def test_collapse_works_on_tensor_models_and_groups_by_module() -> None:
    model = nn.TensorMLP(4, [8, 3], activation="relu", seed=0)
    X = np.random.default_rng(0).normal(size=(5, 4))
    g = draw_model(model, X, np.zeros(5, dtype=int), nn.cross_entropy, collapse=True)
    labels = [t for k, t in node_labels(g.source).items() if k.startswith("c")]
    # an activation module right after a layer is drawn with it; the loss is one node
    assert [cells(g.source, k)[0] for k in node_labels(g.source) if k.startswith("c")] == [
        "layer 1 (4 -> 8, relu)", "layer 2 (8 -> 3)", "loss: cross_entropy"]
    assert "out (5, 8)" in labels[0] and "out (5, 3)" in labels[1] and "out ()" in labels[2]
    # collapse='neuron' keeps them apart (a Tensor layer has no neurons: each module is a node)
    apart = draw_model(model, X, np.zeros(5, dtype=int), nn.cross_entropy, collapse="neuron").source
    assert [cells(apart, k)[0] for k in node_labels(apart) if k.startswith("c")] == [
        "layer 1 (4 -> 8)", "relu", "layer 2 (8 -> 3)", "loss: cross_entropy"]


def test_collapse_and_module_errors_say_what_to_do() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    with nn.record_calls() as rec:
        out = model([1.0, 2.0])[0]
    with pytest.raises(ValueError, match=r"collapse='bogus'; use True \(= 'layer'"):
        draw_graph(out, modules=rec, collapse="bogus")
    with pytest.raises(ValueError, match=r"collapsed drawings use style='record'"):
        draw_graph(out, modules=rec, collapse=True, style="circuit")
    with pytest.raises(TypeError, match=r"modules= takes the record of nn.record_calls\(\)"):
        draw_graph(out, modules=[1, 2])
    with pytest.raises(ValueError, match=r"draw_model: the model returns 2 outputs; pass loss_fn="):
        draw_model(nn.MLP(2, [2], seed=0), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"draw_model: expected an nn model"):
        draw_model(lambda x: x, [1.0])
    with pytest.raises(GraphTooLarge, match=r"collapsed to one node per neuron, this graph still has \d+ nodes"):
        draw_graph(out, modules=rec, collapse="neuron", max_nodes=3)


def test_a_record_from_another_graph_draws_no_boxes() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    with nn.record_calls() as rec:
        model([1.0, 2.0])
    other = Value(1.0, label="a") * 2.0
    assert "subgraph cluster_m" not in draw_graph(other, modules=rec).source
    assert isinstance(Tensor, type)


# ---------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("name, collapse", [("mlp_clusters", False), ("mlp_collapsed", True)])
def test_cluster_dot_snapshots(name: str, collapse: bool) -> None:
    """The exact DOT of the small scalar MLP, boxed and collapsed (regenerate with
    AUTOGRAD_LITE_UPDATE_SNAPSHOTS=1 after a deliberate change, and look at the pictures)."""
    model = nn.MLP(2, [3, 1], seed=0)
    source = draw_model(model, [0.5, -1.0], 1.0, sq_loss, collapse=collapse, edge_labels="flow").source
    path = SNAPSHOTS / f"{name}.dot"
    if os.environ.get("AUTOGRAD_LITE_UPDATE_SNAPSHOTS"):
        path.write_text(source)
    assert path.exists(), f"missing snapshot {path}; run with AUTOGRAD_LITE_UPDATE_SNAPSHOTS=1"
    assert source == path.read_text()
