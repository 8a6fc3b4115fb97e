"""autograd-lite: reverse-mode automatic differentiation you can read in one sitting.

``Value`` is a scalar node (the micrograd-shaped engine); ``Tensor`` is the same engine
over numpy arrays. Both share the graph walk in ``autograd_lite.graph``. ``grad``,
``hvp`` and ``hessian`` (``autograd_lite.functional``) return gradients as graphs that
can be differentiated again, to any order. ``detect_anomaly()`` (``autograd_lite.anomaly``)
finds the op where the numbers first became inf or nan, and the line of your code that
made it.
"""

from .engine import ClosureRule, Value, gc_paused, is_grad_enabled, no_grad, zero_grad
from .tensor import Tensor, accumulate_grad, concatenate, maximum, minimum, stack
from .graph import topological_order
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .functional import grad, hessian, hvp
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled

__all__ = [
    "Value",
    "Tensor",
    "concatenate",
    "stack",
    "maximum",
    "minimum",
    "no_grad",
    "is_grad_enabled",
    "gc_paused",
    "zero_grad",
    "topological_order",
    "gradcheck",
    "numerical_grad",
    "GradcheckError",
    "grad",
    "hvp",
    "hessian",
    "detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
    # The node protocol's two helpers, for code that reads or replays graphs (viz does):
    "ClosureRule",
    "accumulate_grad",
]
__version__ = "0.1.0"
