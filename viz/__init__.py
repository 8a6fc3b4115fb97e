"""Pictures for lectures: computation graphs, and the figures of training.

Graphs (graphviz):

>>> from autograd_lite import Value
>>> from viz import draw_graph, backward_frames, backward_steps, save_frames, to_text
>>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
>>> y = (x * w).tanh(); y.label = "y"
>>> g = draw_graph(y, grads="computed", edge_labels="flow")   # .source, .save("y.svg")
>>> len(backward_frames(y))                                   # one frame per local rule
2
>>> print(backward_steps(y)[0].formula)                       # each step with the engine's rule
y = tanh(x * w)

Rendering uses the system ``dot`` when it is on PATH, else pygraphviz
(``pip install "autograd-lite[render]"``); ``to_text`` and ``backward_steps`` need neither.
Drawings are made for a projector (``viz.layout``, ``viz.legibility``); ``inputs=[x1, x2]``
marks the leaves that are data; micrograd's own Values are drawn too. ``Value`` and
``Tensor`` graphs are drawn alike (a Tensor's row adds its shape). ``draw_model(model, x)``
boxes the nodes by module (``collapse=True``: one node per layer).

Figures (matplotlib; each takes ``ax=None`` and returns its Axes or Figure, never shows):

* training: ``plot_history``, ``plot_predictions``, ``plot_weights``      (viz.plots)
* one number: ``plot_function`` (with a tangent), ``plot_activations``, ``plot_descent_1d``
* data: ``plot_images`` (digits with labels), ``plot_matrix``, ``pca``, ``plot_pca``   (viz.images)
* loss landscapes: ``loss_surface``, ``random_plane`` (Li et al. filter normalisation),
  ``interpolate``, ``pca_directions``; ``plot_contour``, ``plot_surface3d``,
  ``plot_trajectory``                                                      (viz.landscape)
* descent on test functions: ``quadratic``, ``rosenbrock``, ``beale``, ``himmelblau``,
  ``least_squares_loss``, ``run_descent``, ``plot_lr_panel``, ``function_surface`` (for the
  3-D plots), ``animate_descent``, ``save_gif``                                                             (viz.descent)
* classifiers: ``plot_decision_boundary``, ``plot_neuron_maps``            (viz.boundary)
* inside training: ``plot_gradient_flow``, ``dead_relu_fraction``, ``plot_activation_hist``,
  ``saturation``                                                           (viz.inside)
* sliders: ``interact_activation``, ``interact_network`` (ipywidgets in Jupyter, a static
  grid of panels elsewhere); ``PARAM_NAMES`` and ``PARAM_KEYS`` (the 7 parameters'
  names and state-dict entries)                                            (viz.interact)
* ``predict(model, X)``: a float64 (N, nout) array from either engine, under no_grad
* ``style``: the one colour-blind-safe palette (colours, line styles, markers in order)
  and the lecture look every figure is drawn in; ``place_legend(ax)``: a legend where it
  covers no data (a free corner, else beside the Axes)

viz only reads: nothing here changes a ``.grad``, a node, or (after it returns) a model.
"""

from .boundary import decision_grid, plot_decision_boundary, plot_neuron_maps
from .descent import (
    DescentResult,
    TestFunction,
    animate_descent,
    animate_line_fit,
    beale,
    evaluate_grid,
    function_surface,
    himmelblau,
    least_squares_loss,
    lrs_from_curvature,
    plot_descent,
    plot_lr_panel,
    quadratic,
    rosenbrock,
    run_descent,
    save_gif,
)
from . import style
from ._figures import place_legend, predict
from .frames import save_frames
from .graph import DEFAULT_MAX_NODES, ROLE_COLORS, GraphTooLarge, backward_frames, backward_steps, draw_graph, draw_model, to_text
from .images import PCA, pca, plot_images, plot_matrix, plot_pca
from .inside import (
    GradStats,
    dead_relu_fraction,
    gradient_norms,
    layer_activations,
    plot_activation_hist,
    plot_dead_relus,
    plot_gradient_flow,
    saturation,
)
from .interact import (
    PARAM_KEYS,
    PARAM_NAMES,
    activation_curve,
    fit_network,
    interact_activation,
    interact_network,
    network_curve,
    network_from_params,
    network_loss,
    params_from_network,
)
from .landscape import (
    Line,
    PCADirections,
    Surface,
    filter_normalize,
    interpolate,
    loss_surface,
    pca_directions,
    plot_contour,
    plot_interpolation,
    plot_surface3d,
    plot_trajectory,
    random_directions,
    random_plane,
    snapshot_losses,
    trajectory,
)
from .plots import (
    activation_values,
    derivative,
    descend_1d,
    function_values,
    history_curves,
    plot_activations,
    plot_descent_1d,
    plot_function,
    plot_history,
    plot_predictions,
    plot_weights,
    smooth_series,
    weight_matrices,
)
from .render import DotGraph, RenderError, RendererNotFound, RenderWarning, available_renderers, render_dot

__all__ = [
    # graphs
    "draw_graph",
    "draw_model",
    "backward_frames",
    "backward_steps",
    "save_frames",
    "to_text",
    "DotGraph",
    "GraphTooLarge",
    "RendererNotFound",
    "RenderError",
    "RenderWarning",
    "available_renderers",
    "render_dot",
    "DEFAULT_MAX_NODES",
    "ROLE_COLORS",
    # training and one-number figures
    "plot_history",
    "plot_predictions",
    "plot_weights",
    "plot_function",
    "plot_activations",
    "plot_descent_1d",
    "history_curves",
    "smooth_series",
    "weight_matrices",
    "function_values",
    "derivative",
    "activation_values",
    "descend_1d",
    # data as pictures
    "plot_images",
    "plot_matrix",
    "pca",
    "PCA",
    "plot_pca",
    # landscapes
    "Surface",
    "Line",
    "PCADirections",
    "loss_surface",
    "random_directions",
    "filter_normalize",
    "random_plane",
    "interpolate",
    "pca_directions",
    "trajectory",
    "snapshot_losses",
    "plot_contour",
    "plot_surface3d",
    "plot_trajectory",
    "plot_interpolation",
    # descent
    "TestFunction",
    "quadratic",
    "rosenbrock",
    "beale",
    "himmelblau",
    "least_squares_loss",
    "DescentResult",
    "run_descent",
    "lrs_from_curvature",
    "evaluate_grid",
    "function_surface",
    "plot_descent",
    "plot_lr_panel",
    "animate_descent",
    "animate_line_fit",
    "save_gif",
    # classifiers and inside training
    "decision_grid",
    "plot_decision_boundary",
    "plot_neuron_maps",
    "layer_activations",
    "saturation",
    "PARAM_NAMES",
    "PARAM_KEYS",
    "predict",
    "place_legend",
    "style",
    "gradient_norms",
    "GradStats",
    "plot_gradient_flow",
    "dead_relu_fraction",
    "plot_dead_relus",
    "plot_activation_hist",
    # sliders
    "activation_curve",
    "network_curve",
    "network_loss",
    "network_from_params",
    "params_from_network",
    "fit_network",
    "interact_activation",
    "interact_network",
]
