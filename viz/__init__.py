"""Pictures of graphs and training (coming with the `viz` issues).

Planned: computation graphs drawn with graphviz (values, gradients, step-through
backward), and matplotlib figures: loss curves, loss surfaces with descent paths,
decision boundaries. Nothing here is implemented yet; this package only reserves the name.
"""
