"""gradcheck: passes on correct code, and names the culprit when a rule is wrong."""

import pytest

from autograd_lite import GradcheckError, Value, gradcheck, numerical_grad


def test_numerical_grad_of_a_polynomial() -> None:
    # f(x) = 3x^2 - 4x + 5: f'(-2) = -16 (the lecture's tangent), f'(2/3) = 0
    f = lambda x: 3 * x**2 - 4 * x + 5  # noqa: E731
    assert numerical_grad(f, -2.0) == pytest.approx([-16.0], abs=1e-6)
    assert numerical_grad(f, 2 / 3) == pytest.approx([0.0], abs=1e-6)


def test_gradcheck_passes_and_leaves_inputs_alone() -> None:
    w = Value(0.3, label="w")
    assert gradcheck(lambda w, x: (w * x).tanh() + w.sigmoid() * x.exp(), w, 1.2)
    assert w.grad == 0.0


def test_gradcheck_names_the_wrong_rule(monkeypatch) -> None:
    # A student's sigmoid rule that forgot the (1 - s) factor.
    def wrong(out: Value) -> None:
        (x,) = out._prev
        x.grad += out.data * out.grad

    monkeypatch.setattr(Value, "_sigmoid_backward", staticmethod(wrong))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda w, x: (w * x).sigmoid() + w, Value(0.5, label="w"), 2.0)
    message = str(info.value)
    assert "input 'w'" in message
    assert "Culprit: the local derivative of op 'sigmoid' at (1)" in message
    assert "its rule gives 0.731059" in message and "central differences give 0.196612" in message


def test_gradcheck_blames_code_outside_the_graph() -> None:
    # Using .data hides part of f from backward(): no op is wrong, the graph is incomplete.
    def leaky(w: Value) -> Value:
        return w * w.data

    assert gradcheck(leaky, 1.5, raise_exception=False) is False
    with pytest.raises(GradcheckError, match=r"does f use x\.data"):
        gradcheck(leaky, 1.5)


def test_gradcheck_mentions_kinks() -> None:
    # relu at exactly 0: the rule says 0, the central difference says 0.5
    with pytest.raises(GradcheckError, match="within eps of the kink of relu"):
        gradcheck(lambda x: x.relu(), 0.0)


def test_gradcheck_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="f must return a Value"):
        gradcheck(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match=r"gradcheck: input 0: expected a real number"):
        gradcheck(lambda x: x, "1")
