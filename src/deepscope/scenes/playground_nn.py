"""The playground's network built on ``deepscope.nn``: what TensorFlow Playground leaves out.

``NNNetwork`` has the interface of ``scenes.playground.Network`` (``sizes``, ``activations``,
``n_layers``, ``weights(l)``, ``biases(l)``, ``dead_links(l)``, ``train``, ``loss``,
``outputs``, ``predict``, ``set_weight``, ``set_bias``, ``parameters``), so the panel can
draw it the same way, but it is a ``nn.Sequential`` (float64, the cpu backend, seeded)
trained by ``nn.Trainer`` in the data's order (``shuffle=False``), and so it can also have:

- more than two classes: k softmax outputs against labels 0..k-1 (``Experiment`` on
  ``data.playground``'s "multi-spiral" and "blobs");
- cross-entropy instead of half the squared error (binary: a sigmoid output with BCE);
- another optimizer: plain SGD, SGD with momentum, or Adam;
- a different activation per hidden layer;
- dropout after each hidden activation (``dropped(l)`` says which units the last training
  sample lost, for the panel to grey them);
- batch normalisation after each hidden Dense layer, before its activation.

With two classes, ``loss="squared"``, ``optimizer="sgd"``, no dropout and no batch norm it
is the Playground's network and trains as ``Network`` does (``NNNetwork.from_network`` starts
it from a ``Network``'s weights; the two agree to rounding when the batch size divides the
number of training points: the Playground carries a partial last batch into the next epoch,
``nn.Trainer`` takes it as a short batch of its own). Its L1 is the subgradient
``rate * sign(w)`` (``SGD(l1=rate)``), not the Playground's clipping at zero, so no link
dies (``dead_links`` is all zeros).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..core.checks import as_float_array, check_choice, check_int, check_number
from ..core.reference.optim import FREE
from .playground import REGULARIZATIONS, check_hidden

HIDDEN_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                      "linear": nn.Identity}  # fmt: skip
LOSSES = ("squared", "cross-entropy")
OPTIMIZERS = ("sgd", "momentum", "adam")
MAX_CLASSES = 5
BIAS_INIT = 0.1  # the Playground's; weights uniform in +-0.5 ("uniform(0.5)")


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_layer(layer, n_layers: int) -> int:
    return check_int("layer", layer, 0, n_layers - 1)


class NNNetwork:
    """A playground network on ``deepscope.nn``: ``sizes`` = (inputs, *hidden, outputs), one
    output for 2 classes, k for k >= 3 classes.

    - ``activation``: the hidden layers' activation ("relu", "tanh", "sigmoid", "linear"),
      one name for all or a list with one per hidden layer.
    - ``classes``: 2 (labels -1/+1, the Playground's) or 3..5 (labels 0..k-1).
    - ``loss``: "squared" or "cross-entropy". Two classes: "squared" is a tanh output and
      half the squared error against -1/+1 (the Playground's); "cross-entropy" a sigmoid
      output p and binary cross-entropy against (y + 1) / 2, the caller still passing -1/+1
      labels. k classes: k outputs with a softmax; "cross-entropy" is the softmax
      cross-entropy of the logits, "squared" half the squared error of the probabilities
      against the one-hot labels (``nn.MSELoss(half=True)``: a mean over the rows and the k
      columns).
    - ``optimizer``: "sgd", "momentum" (SGD with ``momentum``) or "adam" (with ``betas``);
      the learning rate and the regularisation come with each ``train`` call, the optimizer's
      state (velocities, moments, step count) carries over from one call to the next.
    - ``dropout``: the probability of dropping each hidden unit, after each hidden
      activation (inverted dropout: the kept ones scaled by 1 / (1 - p)); 0 for none.
    - ``batch_norm``: a ``BatchNorm1d`` after each hidden Dense layer, before its
      activation; ``weights(l)`` and ``biases(l)`` are then still the Dense layer's.
    - ``seed``: the weights (uniform in +-0.5, biases 0.1, as the Playground draws them)
      and the dropout masks; ``init_zero`` starts every weight and bias at 0 instead.

    ``weights(l)`` (nodes, inputs) and ``biases(l)`` are views of the model's parameters
    (``model.theta``): what they show is what trains, and what is written into them (or
    through ``set_weight`` / ``set_bias``) changes the model. ``model`` is the
    ``nn.Sequential`` itself.
    """

    def __init__(self, n_inputs: int, hidden=(4, 2), activation="tanh", classes: int = 2,
                 loss: str = "squared", optimizer: str = "sgd", momentum: float = 0.9,
                 betas=(0.9, 0.999), dropout: float = 0.0, batch_norm: bool = False,
                 seed: int = 0, init_zero: bool = False):  # fmt: skip
        hidden = check_hidden(hidden)
        n_inputs = check_int("n_inputs (the network's input features)", n_inputs, 1)
        acts = list(activation) if isinstance(activation, (list, tuple)) else None
        if acts is None:
            acts = [activation] * len(hidden)
        elif len(acts) != len(hidden):
            raise ValueError(f"activation: {len(acts)} activations {acts} for {len(hidden)} "
                             "hidden layers; give one per hidden layer or one for all")  # fmt: skip
        for i, a in enumerate(acts):
            check_choice(f"activation of hidden layer {i + 1}", a, HIDDEN_ACTIVATIONS)
        self.classes = check_int("classes", classes, 2, MAX_CLASSES)
        self.loss_name = check_choice("loss", loss, LOSSES)
        self.optimizer_name = check_choice("optimizer", optimizer, OPTIMIZERS)
        if not _is_number(dropout) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        if not isinstance(batch_norm, bool):
            raise TypeError(f"batch_norm must be True or False, got {batch_norm!r}")
        self.batch_norm = batch_norm
        self.seed = check_int("seed", seed, 0)
        n_out = 1 if self.classes == 2 else self.classes
        self.sizes = np.array([n_inputs, *hidden, n_out], np.int64)
        if self.classes == 2:
            output = "tanh" if self.loss_name == "squared" else "sigmoid"
        else:
            output = "softmax"
        self.activations = (*acts, output)
        self.n_off = np.r_[0, np.cumsum(self.sizes)[:-1]].astype(np.int64)

        cpu = {"dtype": "float64", "backend": "cpu"}
        layers, taps = [], []
        self._dense, self._norms, self._dropouts = [], [], []
        for l, width in enumerate(self.sizes[1:]):
            width = int(width)
            dense = nn.Dense(int(self.sizes[l]), width, init="uniform(0.5)",
                             bias_init=BIAS_INIT, **cpu)  # fmt: skip
            layers.append(dense)
            self._dense.append(dense)
            if l == len(hidden):  # the output layer
                if output == "tanh":
                    layers.append(nn.Tanh(**cpu))
                elif output == "sigmoid":
                    layers.append(nn.Sigmoid(**cpu))
                elif self.loss_name == "squared":
                    layers.append(nn.Softmax(**cpu))
                # softmax cross-entropy: the model ends at the logits (nn.CrossEntropyLoss)
                taps.append(len(layers) - 1)
                break
            norm = nn.BatchNorm1d(width, **cpu) if batch_norm else None
            if norm is not None:
                layers.append(norm)
            self._norms.append(norm)
            layers.append(HIDDEN_ACTIVATIONS[acts[l]](**cpu))
            taps.append(len(layers) - 1)
            drop = nn.Dropout(self.dropout, **cpu) if self.dropout else None
            if drop is not None:
                layers.append(drop)
            self._dropouts.append(drop)
        self.model = nn.Sequential(layers, seed=self.seed, **cpu)
        self._taps = taps
        if init_zero:
            for dense in self._dense:
                dense.params["W"][...] = 0.0
                dense.params["b"][...] = 0.0
        self._dropped = [np.zeros(int(w), bool) for w in self.sizes[1:]]

        if self.loss_name == "squared":  # of the tanh output, or of the probabilities
            self._loss = nn.MSELoss(backend="cpu", half=True)
        elif self.classes == 2:
            self._loss = nn.BCELoss(backend="cpu")
        else:
            self._loss = nn.CrossEntropyLoss(backend="cpu")

        lr = 0.03  # a placeholder: every ``train`` call sets its own
        if self.optimizer_name == "adam":
            if not isinstance(betas, (tuple, list)) or len(betas) != 2:
                raise ValueError(f"betas must be a pair (beta1, beta2), each in [0, 1), "
                                 f"got {betas!r}")  # fmt: skip
            self.optimizer = nn.Adam(self.model, lr=lr, betas=tuple(betas))
        elif self.optimizer_name == "momentum":
            if not _is_number(momentum) or not 0 < momentum < 1:
                raise ValueError(f"momentum must be a number in (0, 1) with optimizer "
                                 f"'momentum', got {momentum!r}")  # fmt: skip
            self.optimizer = nn.SGD(self.model, lr=lr, momentum=momentum)
        else:
            self.optimizer = nn.SGD(self.model, lr=lr)
        # L1 / L2 on the Dense weights only: not on the biases, nor a batch norm's scale
        mask = self.optimizer.masks[0]
        for norm in self._norms:
            if norm is not None:
                off = self.model.offsets[(id(norm), "W")]
                mask[off : off + norm.features] = FREE

    # the Network interface -------------------------------------------------------------
    @classmethod
    def from_network(cls, network, **options) -> NNNetwork:
        """An NNNetwork of ``network``'s shape and hidden activations (a
        ``scenes.playground.Network`` for classification: a tanh output), starting from its
        weights and biases; ``options`` are the constructor's other arguments (loss,
        optimizer, dropout, batch_norm, seed...)."""
        if network.activations[-1] != "tanh":
            raise ValueError(f"from_network takes a classification Network (a tanh output); "
                             f"this one's output is {network.activations[-1]!r}")  # fmt: skip
        if "classes" in options and options["classes"] != 2:
            raise ValueError(f"a Network has one output, for 2 classes; got classes="
                             f"{options['classes']!r}")  # fmt: skip
        hidden = tuple(int(s) for s in network.sizes[1:-1])
        net = cls(int(network.sizes[0]), hidden, list(network.activations[:-1]), **options)
        net.load_parameters(network.parameters())
        return net

    def load_parameters(self, parameters: dict) -> None:
        """Take the weights and biases of ``parameters`` (what ``parameters()`` of this
        class or of ``Network`` gives: "sizes" and per layer "weights" (nodes, inputs),
        "biases" and "activation"). The sizes and the hidden activations must be this
        network's; a batch norm's statistics and the optimizer's state are left as they
        are."""
        sizes = [int(s) for s in parameters.get("sizes", [])]
        if sizes != self.sizes.tolist():
            raise ValueError(f"parameters of a {sizes} network do not fit this "
                             f"{self.sizes.tolist()} one")  # fmt: skip
        layers = parameters["layers"]
        for l, layer in enumerate(layers):
            act = layer.get("activation")
            if l < self.n_layers - 1 and act is not None and act != self.activations[l]:
                raise ValueError(f"layer {l}'s activation is {act!r} in the parameters, "
                                 f"{self.activations[l]!r} here")  # fmt: skip
        for l, layer in enumerate(layers):
            w, b = np.asarray(layer["weights"], np.float64), np.asarray(layer["biases"], np.float64)
            if w.shape != self.weights(l).shape or b.shape != self.biases(l).shape:
                raise ValueError(f"layer {l}: weights {w.shape} and biases {b.shape}, this "
                                 f"network needs {self.weights(l).shape} and "
                                 f"{self.biases(l).shape}")  # fmt: skip
            self.weights(l)[...] = w
            self.biases(l)[...] = b

    @property
    def n_layers(self) -> int:
        """Layers with weights (the hidden ones and the output)."""
        return len(self.sizes) - 1

    def weights(self, layer: int) -> np.ndarray:
        """Layer ``layer``'s Dense weights as (nodes, inputs): a transposed view of its
        ``params["W"]`` (inputs, nodes), itself a view of ``model.theta``."""
        return self._dense[_check_layer(layer, self.n_layers)].params["W"].T

    def biases(self, layer: int) -> np.ndarray:
        """Layer ``layer``'s Dense biases, a view of ``model.theta``."""
        return self._dense[_check_layer(layer, self.n_layers)].params["b"]

    def dead_links(self, layer: int) -> np.ndarray:
        """All zeros: no link dies here (L1 is the subgradient, see the module's docstring)."""
        layer = _check_layer(layer, self.n_layers)
        return np.zeros((int(self.sizes[layer + 1]), int(self.sizes[layer])), np.uint8)

    def dropped(self, layer: int) -> np.ndarray:
        """Which of layer ``layer``'s units dropout zeroed for the last sample of the last
        training step (a bool per node): all False for the output layer, without dropout
        and before any training. ``outputs`` and ``predict`` never drop anything."""
        return self._dropped[_check_layer(layer, self.n_layers)].copy()

    def _inputs(self, name: str, X) -> np.ndarray:
        X = as_float_array(name, X, ndim=2, dtype=np.float64)
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"{name} has {X.shape[1]} columns; this network takes "
                             f"{int(self.sizes[0])} input features")  # fmt: skip
        return np.ascontiguousarray(X)

    def _targets(self, name: str, y, n: int) -> np.ndarray:
        """``y`` as the loss wants it: -1/+1 (squared) or 0/1 (BCE) for 2 classes, labels
        0..k-1 (cross-entropy) or one-hot rows (squared) for k."""
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"{name} must be one label per row ({n},), got shape {y.shape}")
        if y.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got dtype {y.dtype}")
        if self.classes == 2:
            y = y.astype(np.float64)
            if not np.isin(y, (-1.0, 1.0)).all():
                bad = np.unique(y[~np.isin(y, (-1.0, 1.0))])[:5].tolist()
                raise ValueError(f"{name}: with 2 classes the labels are -1 and +1 (the "
                                 f"Playground's), got also {bad}")  # fmt: skip
            return y if self.loss_name == "squared" else (y + 1) / 2
        labels = np.rint(y).astype(np.int64) if y.dtype.kind == "f" else y.astype(np.int64)
        if (y.dtype.kind == "f" and not np.array_equal(labels, y)) or (
            n and (labels.min() < 0 or labels.max() >= self.classes)
        ):
            bad = np.unique(y[(labels != y) | (labels < 0) | (labels >= self.classes)])[:5]
            raise ValueError(f"{name}: with {self.classes} classes the labels are the integers "
                             f"0..{self.classes - 1}, got also {bad.tolist()}")  # fmt: skip
        if self.loss_name == "cross-entropy":
            return labels
        return np.eye(self.classes)[labels]

    def _head(self, out: np.ndarray) -> np.ndarray:
        """The model's last output as the node values the panel shows: 2p - 1 for a
        sigmoid output, the probabilities for softmax cross-entropy's logits."""
        if self.classes == 2 and self.loss_name == "cross-entropy":
            return 2 * out - 1
        if self.classes > 2 and self.loss_name == "cross-entropy":
            return self.model.backend.softmax_forward(out)
        return out

    def outputs(self, X) -> np.ndarray:
        """Every node's output (the inputs first) for each row of X: (nodes, rows), in
        evaluation mode (no dropout; batch norm with its running statistics). A hidden node's
        output is its activation's; the output nodes' as ``predict`` gives them (2p - 1
        for a binary cross-entropy network, the class probabilities for k classes)."""
        X = self._inputs("X", X)
        values = np.empty((int(self.sizes.sum()), len(X)))
        values[: self.sizes[0]] = X.T
        if not len(X):
            return values
        h, taps = X, iter(self._taps)
        tap, l = next(taps), 1
        for i, layer in enumerate(self.model.layers):
            h = layer.forward(h, training=False)
            if i == tap:
                out = self._head(h) if l == self.n_layers else h
                values[self.n_off[l] : self.n_off[l] + self.sizes[l]] = out.T
                tap, l = next(taps, -1), l + 1
        return values

    def predict(self, X) -> np.ndarray:
        """The network's answer for each row of X, in evaluation mode. Two classes: a value
        in [-1, 1] whose sign is the class, (rows,): the tanh output for "squared", 2p - 1
        for "cross-entropy" (p the sigmoid's probability of +1). k classes: the class
        probabilities, (rows, k)."""
        X = self._inputs("X", X)
        if not len(X):
            return np.zeros(0) if self.classes == 2 else np.zeros((0, self.classes))
        out = self._head(self.model.forward(X, training=False))
        return out[:, 0] if self.classes == 2 else out

    def loss(self, X, y) -> float:
        """The network's own loss on (X, y), in evaluation mode: half the squared error
        (the Playground's, mean over the rows; with k classes also over the k columns) or
        the cross-entropy (binary or softmax, mean over the rows). 0 for no rows."""
        X = self._inputs("X", X)
        return self._loss_of(X, self._targets("y", y, len(X)))

    def _loss_of(self, X: np.ndarray, target: np.ndarray) -> float:
        if not len(X):
            return 0.0
        out = self.model.forward(X, training=False)
        return float(self._loss.forward(out, target[:, None] if self.classes == 2 else target))

    def accuracy(self, X, y) -> float:
        """The fraction of rows classified right: sign(predict) == y for 2 classes (-1/+1
        labels), argmax(predict) == y for k (labels 0..k-1)."""
        X = self._inputs("X", X)
        self._targets("y", y, len(X))  # the labels checked
        if not len(X):
            return float("nan")
        pred = self.predict(X)
        if self.classes == 2:
            return float(np.mean(np.sign(pred) == np.asarray(y, np.float64)))
        return float(np.mean(np.argmax(pred, axis=1) == np.asarray(y)))

    def train(self, X, y, X_test, y_test, epochs: int, learning_rate: float,
              regularization: str = "none", regularization_rate: float = 0.0,
              batch_size: int = 10, X_val=None, y_val=None) -> np.ndarray:  # fmt: skip
        """``epochs`` epochs over the rows of X (features) and y (labels: -1/+1 for two
        classes, 0..k-1 for k) in their order, batches of ``batch_size`` rows (the last one
        shorter when the size does not divide the rows), with ``nn.Trainer`` and this
        network's optimizer at ``learning_rate``; "L2" adds ``regularization_rate * w`` to
        each Dense weight's gradient (``weight_decay``), "L1" ``regularization_rate *
        sign(w)`` (``l1``), never to a bias or a batch norm's scale.

        Returns each epoch's (training loss, test loss), and its validation loss as a third
        column when X_val and y_val are given: this network's own loss (see ``loss``: half
        the squared error or the cross-entropy), after the epoch, in evaluation mode. Stops
        after an epoch whose training loss is not finite (or whose training diverged), so
        fewer rows."""
        reg = check_choice("regularization", regularization, REGULARIZATIONS)
        epochs = check_int("epochs", epochs, 1)
        lr = check_number("learning_rate", learning_rate, 0, low_open=True)
        rate = check_number("regularization_rate", regularization_rate, 0)
        batch_size = check_int("batch_size", batch_size, 1)
        X = self._inputs("X", X)
        target = self._targets("y", y, len(X))
        X_test = self._inputs("X_test", X_test)
        t_test = self._targets("y_test", y_test, len(X_test))
        validate = X_val is not None and len(X_val) > 0
        if validate:
            X_val = self._inputs("X_val", X_val)
            t_val = self._targets("y_val", y_val, len(X_val))
        if not len(X):
            raise ValueError("X has no rows: there is nothing to train on")
        if self.batch_norm:
            last = len(X) % batch_size or batch_size
            if min(batch_size, len(X)) < 2 or last == 1:
                raise ValueError(f"batch_norm needs batches of at least 2 rows: batch_size "
                                 f"{batch_size} over {len(X)} training rows leaves a batch of "
                                 "1; pick another batch size")  # fmt: skip
        opt = self.optimizer
        opt.lr = lr
        opt.weight_decay = rate if reg == "L2" else 0.0
        opt.l1 = rate if reg == "L1" else 0.0
        trainer = nn.Trainer(self.model, X, target, self._loss, opt, batch_size=batch_size,
                             seed=self.seed, shuffle=False)  # fmt: skip
        losses = np.empty((epochs, 3))
        ran = 0
        # the dropout masks are read after each step's backward pass: the evaluations at
        # the end of an epoch clear them (and a step callback costs nothing more here,
        # where a model with dropout trains step by step anyway)
        on_step = self._note_dropped if self.dropout else None
        for e in range(epochs):
            event = trainer.epoch(on_step)
            losses[e, 0] = self._loss_of(X, target)
            losses[e, 1] = self._loss_of(X_test, t_test)
            losses[e, 2] = self._loss_of(X_val, t_val) if validate else 0.0
            ran = e + 1
            if event.kind == "diverged" or not np.isfinite(losses[e, 0]):
                break
        return losses[:ran] if validate else losses[:ran, :2]

    def _note_dropped(self, event=None) -> None:
        """Keep the last training sample's dropout masks (an evaluation clears them)."""
        for l, drop in enumerate(self._dropouts):
            mask = getattr(drop, "_mask", None)
            if mask is not None:
                self._dropped[l] = mask[-1] == 0

    def set_weight(self, layer: int, node: int, source: int, value: float) -> None:
        """A weight typed in by hand: into the model's own parameters."""
        w = self.weights(layer)
        node = check_int("node", node, 0, w.shape[0] - 1)
        source = check_int("source", source, 0, w.shape[1] - 1)
        w[node, source] = check_number("weight", value)

    def set_bias(self, layer: int, node: int, value: float) -> None:
        b = self.biases(layer)
        b[check_int("node", node, 0, len(b) - 1)] = check_number("bias", value)

    def parameters(self) -> dict:
        """Per layer its weights (nodes, inputs), biases and activation, as plain lists (the
        format of ``Network.parameters``); with batch norm each hidden layer also has
        "batch_norm": its scale, shift, running mean and running variance."""
        layers = []
        for l in range(self.n_layers):
            entry = {"weights": self.weights(l).tolist(), "biases": self.biases(l).tolist(),
                     "activation": self.activations[l]}  # fmt: skip
            norm = self._norms[l] if l < len(self._norms) else None
            if norm is not None:
                entry["batch_norm"] = {
                    "scale": norm.params["W"].tolist(),
                    "shift": norm.params["b"].tolist(),
                    "running_mean": norm.running_mean.tolist(),
                    "running_var": norm.running_var.tolist(),
                }
            layers.append(entry)
        return {"sizes": self.sizes.tolist(), "layers": layers}

    def __repr__(self) -> str:
        extra = "".join(
            f", {k}={v!r}"
            for k, v, d in (("dropout", self.dropout, 0.0), ("batch_norm", self.batch_norm, False))
            if v != d
        )
        return (f"NNNetwork(sizes={self.sizes.tolist()}, activations={self.activations}, "
                f"loss={self.loss_name!r}, optimizer={self.optimizer_name!r}{extra})")  # fmt: skip
