"""Neural-network building blocks on autograd_lite (coming with the `nn` issue).

Planned: ``Module``, ``Neuron``/``Layer``/``MLP`` over ``Value``, ``Linear``/``Sequential``
over ``Tensor``, losses, optimizers, init schemes, data helpers and a training loop.
Nothing here is implemented yet; this package only reserves the name.
"""
