import os
import sys

import pytest
from hypothesis import HealthCheck, settings

# Tests import `strategies` (this folder) and run against the checkout.
sys.path.insert(0, os.path.dirname(__file__))

# Deterministic hypothesis runs: the same examples on every machine and every run.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the oracle. Skipped when missing, except where CI says it must be there."""
    try:
        import torch as _torch
    except ImportError:
        if os.environ.get("AUTOGRAD_LITE_REQUIRE_TORCH"):
            pytest.fail("torch is required here (AUTOGRAD_LITE_REQUIRE_TORCH is set) but not installed")
        pytest.skip("torch not installed: pip install torch==2.13.0")
    _torch.set_default_dtype(_torch.float64)
    return _torch


# Figures are drawn headless: no window, the same pixels on every machine.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened (figures are never shown, only kept)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
