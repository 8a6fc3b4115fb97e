"""Pictures of computation graphs: draw them, step through backprop, print them as text.

>>> from autograd_lite import Value
>>> from viz import draw_graph, backward_frames, save_frames, to_text
>>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
>>> y = (x * w).tanh(); y.label = "y"
>>> g = draw_graph(y, grads="computed", edge_labels="flow")   # .source, .save("y.svg")
>>> len(backward_frames(y))                                   # one frame per local rule
2

Rendering uses the system ``dot`` when it is on PATH, else pygraphviz
(``pip install "autograd-lite[render]"``); ``to_text`` needs neither. viz only reads
graphs: nothing here changes a ``.grad`` or a node. ``Value`` and ``Tensor`` graphs are
drawn alike (a Tensor's row adds its shape; arrays of at most 4 elements are written out).
Planned next: module clusters (``collapse=True``) and matplotlib figures of training.
"""

from .frames import save_frames
from .graph import DEFAULT_MAX_NODES, ROLE_COLORS, GraphTooLarge, backward_frames, draw_graph, draw_model, to_text
from .render import DotGraph, RendererNotFound, available_renderers, render_dot

__all__ = [
    "draw_graph",
    "draw_model",
    "backward_frames",
    "save_frames",
    "to_text",
    "DotGraph",
    "GraphTooLarge",
    "RendererNotFound",
    "available_renderers",
    "render_dot",
    "DEFAULT_MAX_NODES",
    "ROLE_COLORS",
]
