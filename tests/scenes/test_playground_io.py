"""The playground's files: CSV data in, weights out as JSON / npz / code and back."""

import ast
import contextlib
import io
import json
import sys
import types

import numpy as np
import pytest

from deepscope.scenes import playground as pg
from deepscope.scenes import playground_io as pio


# --- networks to export ---------------------------------------------------------------------
def trained(**kw):
    settings = {k: kw.pop(k) for k in ("regularization", "regularization_rate") if k in kw}
    experiment = pg.Experiment(**kw)
    experiment.run(30, **settings)
    return experiment


@pytest.fixture(scope="module")
def experiments():
    return {
        "tanh": trained(features=("x1", "x2", "x1sq", "sinx2"), hidden=(4, 3)),
        "relu-regression": trained(
            problem="regression",
            dataset="reg-gauss",
            features=("x1", "x2", "x1x2"),
            hidden=(5,),
            activation="relu",
        ),  # fmt: skip
        "sigmoid-xor": trained(
            dataset="xor", features=("x1x2", "sinx1"), hidden=(2, 2, 2), activation="sigmoid"
        ),  # fmt: skip
        "no-hidden": trained(features=("x1sq", "x2sq"), hidden=()),
        "dead-links": trained(
            features=("x1", "x2", "x1x2"),
            hidden=(4, 3),
            regularization="L1",
            regularization_rate=0.03,
        ),  # fmt: skip
    }


def mixed_network():
    """Hidden layers of different activations and a linear output."""
    net = pg.Network(3, (3, 2), ["relu", "sigmoid"], "linear", seed=5)
    net.b[:] = np.linspace(-0.3, 0.3, net.b.size)
    return net


NAMES = ["tanh", "relu-regression", "sigmoid-xor", "no-hidden", "dead-links"]
POINTS = np.random.default_rng(0).uniform(-6, 6, (400, 2))


def test_dead_links_fixture_has_dead_links(experiments):
    assert experiments["dead-links"].network.dead.any()


def test_feature_code_computes_the_features():
    a, b = POINTS[:, 0], POINTS[:, 1]
    assert list(pio.FEATURE_CODE) == list(pg.FEATURES)
    for name, code in pio.FEATURE_CODE.items():
        ours = eval(code, {"np": np, "x1": a, "x2": b})  # our constant, not user text
        np.testing.assert_array_equal(ours, pg.FEATURES[name][1](a, b))


# --- JSON ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_json_round_trip_predicts_the_same(experiments, name):
    e = experiments[name]
    text = pio.to_json(e.network, e.features, e.problem, {"dataset": e.dataset, "epoch": 30})
    net, features, problem, extra = pio.from_json(text)
    assert (features, problem, extra) == (e.features, e.problem, {"dataset": e.dataset,
                                                                  "epoch": 30})  # fmt: skip
    X = pg.features(POINTS, features)
    np.testing.assert_array_equal(net.predict(X), e.network.predict(X))
    np.testing.assert_array_equal(net.W, e.network.W)
    np.testing.assert_array_equal(net.b, e.network.b)
    np.testing.assert_array_equal(net.dead, e.network.dead)
    assert net.activations == e.network.activations
    assert net.sizes.tolist() == e.network.sizes.tolist()


def test_json_of_mixed_activations_and_bytes_round_trip():
    net = mixed_network()
    feats = ("x1", "x2", "sinx1")
    back, *_ = pio.from_json(pio.to_json(net, feats, "regression").encode())
    assert back.activations == ("relu", "sigmoid", "linear")
    X = pg.features(POINTS, feats)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def test_json_is_readable_and_plain():
    net = mixed_network()
    text = pio.to_json(net, ["sinx1", "x1", "x2"], "regression")  # any order in: sorted out
    spec = json.loads(text)
    assert spec["format"] == "deepscope-playground" and spec["version"] == 1
    assert spec["features"] == ["x1", "x2", "sinx1"]
    assert spec["sizes"] == [3, 3, 2, 1]
    assert spec["layers"][0]["weights"] == net.weights(0).tolist()  # (nodes, inputs)
    assert spec["layers"][2]["activation"] == "linear"
    assert spec["extra"] == {}
    rows = [line.strip().rstrip(",") for line in text.splitlines()]
    assert json.dumps(net.weights(0)[1].tolist()) in rows  # a row to a line


def test_dead_links_are_exported_as_weight_zero():
    net = pg.Network(2, (2,), "tanh", "tanh", seed=1)
    net.weights(0)[1, 0] = 0.25  # a dead link's stale weight (never so after L1, but say)
    net.dead_links(0)[1, 0] = 1
    spec = json.loads(pio.to_json(net, ["x1", "x2"], "classification"))
    assert spec["layers"][0]["weights"][1][0] == 0.0
    assert spec["layers"][0]["dead"] == [[1, 0]]
    back, *_ = pio.from_json(json.dumps(spec))
    assert back.dead_links(0)[1, 0] == 1 and back.weights(0)[1, 0] == 0.0
    for code in (pio.to_nn_code, pio.to_pytorch_code, pio.to_keras_code):
        first = literal_arrays(code(net, ["x1", "x2"]))[0]
        assert 0.0 in np.asarray(first) and 0.25 not in np.asarray(first)


def test_to_json_refuses_bad_arguments():
    net = mixed_network()
    with pytest.raises(ValueError, match="2 features .* 3 inputs"):
        pio.to_json(net, ["x1", "x2"], "regression")
    with pytest.raises(ValueError, match="unknown features"):
        pio.to_json(net, ["x1", "x2", "x3"], "regression")
    with pytest.raises(ValueError, match="problem must be one of"):
        pio.to_json(net, ["x1", "x2", "sinx1"], "clustering")
    with pytest.raises(TypeError, match="JSON values"):
        pio.to_json(net, ["x1", "x2", "sinx1"], "regression", {"f": object()})
    net.W[0] = np.nan
    with pytest.raises(ValueError, match="diverged"):
        pio.to_json(net, ["x1", "x2", "sinx1"], "regression")


def good_spec():
    net = pg.Network(2, (3,), "tanh", "tanh", seed=2)
    return json.loads(pio.to_json(net, ["x1", "x2"], "classification"))


def edit(change):
    spec = good_spec()
    change(spec)
    return json.dumps(spec)


BAD_JSON = [
    ("{not json", "not valid JSON: .* line 1, column 2"),
    ("[1, 2]", "must hold an object"),
    (edit(lambda s: s.pop("layers")), "has no 'layers'"),
    (edit(lambda s: s.pop("features")), "has no 'features'"),
    (edit(lambda s: s.update(format="keras")), "not a playground weights file"),
    (edit(lambda s: s.update(version=2)), "version 2"),
    (edit(lambda s: s.update(problem="ranking")), "problem must be one of"),
    (edit(lambda s: s.update(features=["x1", "x3"])), "unknown features"),
    (edit(lambda s: s.update(features=["x2", "x1"])), "Playground's order"),
    (edit(lambda s: s.update(features=[])), "at least one input"),
    (
        edit(lambda s: s["layers"][0]["weights"][0].append(0.1)),
        "rows differ in length",
    ),  # fmt: skip
    (
        edit(lambda s: [r.append(0.1) for r in s["layers"][0]["weights"]]),
        "hidden layer 1's weights are 3x3; they must be nodes x inputs with 2 inputs",
    ),  # fmt: skip
    (
        edit(lambda s: s["layers"][1]["weights"].pop()),
        "the output layer's weights are empty; they must be nodes x inputs with 3 inputs \\(one "
        "per node of hidden layer 1\\)",
    ),  # fmt: skip
    (
        edit(lambda s: s["layers"][1].update(weights=[[0.1, 0.2], [0.3, 0.4]])),
        "output layer's weights are 2x2; they must be nodes x inputs with 3 inputs",
    ),  # fmt: skip
    (
        edit(lambda s: s["layers"][1].update(weights=[[0.1] * 3] * 2, biases=[0, 0])),
        "the output layer has 2 nodes; it must have 1",
    ),  # fmt: skip
    (edit(lambda s: s["layers"][0]["biases"].pop()), "biases have shape \\(2,\\); they must be 3"),
    (
        edit(lambda s: s["layers"][0].update(activation="softmax")),
        "hidden layer 1's activation must be one of relu, tanh, sigmoid, linear; got 'softmax'",
    ),  # fmt: skip
    (edit(lambda s: s["layers"][1].pop("activation")), "the output layer has no 'activation'"),
    (
        edit(lambda s: s["layers"][0]["weights"][1].__setitem__(0, "0.5")),
        "hidden layer 1's weights\\[1\\]\\[0\\] is '0.5', not a number",
    ),  # fmt: skip
    (edit(lambda s: s["layers"][0]["weights"][1].__setitem__(0, True)), "True, not a number"),
    (
        edit(lambda s: s["layers"][0]["weights"][0].__setitem__(1, float("nan"))),
        "weights\\[0\\]\\[1\\] is nan: every weight and bias must be finite",
    ),  # fmt: skip
    (
        edit(lambda s: s["layers"][1]["biases"].__setitem__(0, float("inf"))),
        "output layer's biases\\[0\\] is inf",
    ),  # fmt: skip
    (
        '{"problem": "classification", "features": ["x1"], "layers": [{"activation": "tanh", '
        '"weights": [[1e999]], "biases": [0]}]}',
        "is inf",
    ),  # fmt: skip
    (edit(lambda s: s["layers"][0].update(dead=[[0, 0]])), "dead link \\[0, 0\\] has weight"),
    (edit(lambda s: s["layers"][0].update(dead=[[5, 0]])), "within 3 nodes and 2 inputs"),
    (edit(lambda s: s.update(sizes=[2, 4, 1])), "disagree with the layers' shapes \\[2, 3, 1\\]"),
    (edit(lambda s: s.update(layers=s["layers"][:1] * 7 + s["layers"][1:])), "1 to 7 layers"),
    (
        edit(
            lambda s: s["layers"].insert(
                1, dict(s["layers"][0], weights=[[0.1] * 3] * 9, biases=[0.0] * 9)
            )
        ),
        "hidden layer 2 has 9 nodes; a layer has 1 to 8",
    ),  # fmt: skip
    (edit(lambda s: s.update(extra=[1])), "extra must be an object"),
]


@pytest.mark.parametrize("text, message", BAD_JSON)
def test_bad_json_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        pio.from_json(text)


def test_json_without_optional_keys_loads():
    spec = good_spec()
    for key in ("format", "version", "sizes", "extra"):
        spec.pop(key)
    for layer in spec["layers"]:
        layer.pop("dead")
    net, features, problem, extra = pio.from_json(json.dumps(spec))
    assert features == ("x1", "x2") and extra == {} and net.sizes.tolist() == [2, 3, 1]


def test_json_too_long_is_refused():
    with pytest.raises(ValueError, match="at most 1,000,000"):
        pio.from_json(" " * 1_000_001)


# --- npz -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_npz_round_trip_predicts_the_same(experiments, name, tmp_path):
    e = experiments[name]
    path = tmp_path / "weights.npz"
    pio.to_npz(path, e.network, e.features, e.problem, {"noise": 0})
    net, features, problem, extra = pio.from_npz(path)
    assert (features, problem, extra) == (e.features, e.problem, {"noise": 0})
    X = pg.features(POINTS, features)
    np.testing.assert_array_equal(net.predict(X), e.network.predict(X))
    np.testing.assert_array_equal(net.dead, e.network.dead)
    with np.load(path, allow_pickle=False) as data:  # plain arrays, the Playground's layout
        np.testing.assert_array_equal(data["weights_0"], e.network.weights(0))
        assert data["activations"].tolist() == list(e.network.activations)


def test_npz_in_memory_file():
    net = mixed_network()
    buffer = io.BytesIO()
    pio.to_npz(buffer, net, ["x1", "x2", "sinx1"], "regression")
    buffer.seek(0)
    back, *_ = pio.from_npz(buffer)
    X = pg.features(POINTS, ["x1", "x2", "sinx1"])
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    return buffer


def good_arrays():
    net = pg.Network(2, (3,), "tanh", "tanh", seed=2)
    buffer = io.BytesIO()
    pio.to_npz(buffer, net, ["x1", "x2"], "classification")
    buffer.seek(0)
    with np.load(buffer) as data:
        return dict(data)


def test_bad_npz_says_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="not a playground weights .npz"):
        pio.from_npz(io.BytesIO(b"this is no zip file at all"))
    with pytest.raises(ValueError, match="one array"):
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(3))
        buffer.seek(0)
        pio.from_npz(buffer)
    with pytest.raises(FileNotFoundError):
        pio.from_npz(tmp_path / "nothing.npz")
    arrays = good_arrays()
    arrays.pop("biases_1")
    with pytest.raises(ValueError, match="has no 'biases_1'"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays.pop("features")
    with pytest.raises(ValueError, match="has no 'features'"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays["weights_0"] = np.array([[1.0, np.nan]] * 3)
    with pytest.raises(ValueError, match="is nan"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays["weights_1"] = np.zeros((1, 4))
    with pytest.raises(ValueError, match="output layer's weights are 1x4"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays["dead_0"] = np.zeros((2, 3), np.uint8)
    with pytest.raises(ValueError, match="'dead_0' has shape \\(2, 3\\); .* \\(3, 2\\)"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays["dead_0"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match="'dead_0' must be 0/1 by link"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays["activations"] = np.array(["tanh", "gelu"])
    with pytest.raises(ValueError, match="got 'gelu'"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays["weights_0"] = np.array([[{"a": 1}] * 2] * 3, dtype=object)  # a pickle inside
    with pytest.raises(ValueError, match="Python objects"):
        pio.from_npz(npz_bytes(**arrays))
    arrays = good_arrays()
    arrays["extra"] = np.array("{oops")
    with pytest.raises(ValueError, match="'extra' is not valid JSON"):
        pio.from_npz(npz_bytes(**arrays))


# --- code ----------------------------------------------------------------------------------
def literal_arrays(code: str) -> list:
    """Every list literal given to np.array / torch.tensor in the snippet, in order."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = getattr(node.func.value, "id", None)
            if (owner, node.func.attr) in {("np", "array"), ("torch", "tensor")}:
                if node.args and isinstance(node.args[0], ast.List):
                    found.append((node.lineno, ast.literal_eval(node.args[0])))
    return [value for _, value in sorted(found, key=lambda item: item[0])]


def run_snippet(code: str) -> dict:
    namespace = {"__name__": "snippet"}
    exec(compile(code, "<snippet>", "exec"), namespace)  # our generated code, not user text
    return namespace


@pytest.mark.parametrize("name", NAMES)
def test_nn_code_builds_the_same_network(experiments, name):
    e = experiments[name]
    code = pio.to_nn_code(e.network, e.features)
    ns = run_snippet(code)
    model = ns["model"]
    assert model.dtype == np.float64
    assert len(model.layers) == 2 * e.network.n_layers
    X = pg.features(POINTS, e.features)
    np.testing.assert_array_equal(ns["features"](POINTS[:, 0], POINTS[:, 1]), X)
    np.testing.assert_allclose(ns["predict"](POINTS[:, 0], POINTS[:, 1]),
                               e.network.predict(X), rtol=0, atol=1e-12)  # fmt: skip
    assert ns["predict"](0.5, -1.0).shape == (1,)
    # the literal weights are the Playground's matrices transposed to Dense's (in, out)
    literals = literal_arrays(code)
    for l in range(e.network.n_layers):
        assert literals[2 * l] == pio._weights(e.network, l).T.tolist()
        assert literals[2 * l + 1] == e.network.biases(l).tolist()


def test_nn_code_of_mixed_activations():
    net = mixed_network()
    feats = ("x1", "x2", "sinx1")
    code = pio.to_nn_code(net, feats)
    assert "from deepscope.nn import Dense, Identity, ReLU, Sequential, Sigmoid\n" in code
    ns = run_snippet(code)
    X = pg.features(POINTS, feats)
    np.testing.assert_allclose(ns["predict"](POINTS[:, 0], POINTS[:, 1]), net.predict(X),
                               rtol=0, atol=1e-12)  # fmt: skip


def test_code_refuses_a_mismatch():
    net = mixed_network()
    for code in (pio.to_nn_code, pio.to_pytorch_code, pio.to_keras_code):
        with pytest.raises(ValueError, match="2 features"):
            code(net, ["x1", "x2"])


# A stand-in for the bit of PyTorch the snippet uses, by its documented semantics:
# Linear holds weight (out, in), bias (out,) and computes x @ weight.T + bias; torch.tensor of
# Python floats is float32 unless told otherwise; copy_ needs the same shape.
class _Param:
    def __init__(self, *shape):
        self.data = np.full(shape, np.nan, np.float32)

    def copy_(self, value):
        assert value.shape == self.data.shape, (value.shape, self.data.shape)
        self.data = np.array(value, self.data.dtype)


class _Linear:
    def __init__(self, n_in, n_out):
        self.weight, self.bias = _Param(n_out, n_in), _Param(n_out)

    def __call__(self, x):
        assert x.dtype == self.weight.data.dtype == np.float64
        return x @ self.weight.data.T + self.bias.data


class _Sequential(list):
    def __init__(self, *modules):
        super().__init__(modules)

    def double(self):
        for m in self:
            if isinstance(m, _Linear):
                m.weight.data, m.bias.data = (p.data.astype(np.float64) for p in (m.weight, m.bias))
        return self

    def __call__(self, x):
        for m in self:
            x = m(x)
        return x


def fake_torch():
    torch = types.ModuleType("torch")
    nn = types.ModuleType("torch.nn")
    nn.Linear, nn.Sequential = _Linear, _Sequential
    nn.Tanh = lambda: np.tanh
    nn.ReLU = lambda: lambda x: np.maximum(x, 0.0)
    nn.Sigmoid = lambda: lambda x: 1.0 / (1.0 + np.exp(-x))
    nn.Identity = lambda: lambda x: x
    torch.nn, torch.float64, torch.sin = nn, np.float64, np.sin
    torch.as_tensor = lambda x, dtype=None: np.asarray(x, dtype)
    torch.tensor = lambda x, dtype=None: np.array(x, np.float32 if dtype is None else dtype)
    torch.stack = lambda xs, dim=0: np.stack(xs, axis=dim)
    torch.no_grad = contextlib.nullcontext
    return torch, nn


@pytest.mark.parametrize("name", NAMES)
def test_pytorch_code_structure(experiments, name, monkeypatch):
    e = experiments[name]
    code = pio.to_pytorch_code(e.network, e.features)
    compile(code, "<pytorch>", "exec")
    net = e.network
    for l in range(net.n_layers):
        assert f"nn.Linear({net.sizes[l]}, {net.sizes[l + 1]})," in code
        assert f"model[{2 * l}].weight.copy_(" in code
    assert code.count("dtype=torch.float64") >= 2 * net.n_layers
    assert ").double()" in code
    literals = literal_arrays(code)  # torch's Linear weight is (out, in): the Playground's
    for l in range(net.n_layers):
        assert literals[2 * l] == pio._weights(net, l).tolist()
        assert literals[2 * l + 1] == net.biases(l).tolist()
    torch, nn = fake_torch()
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch.nn", nn)
    ns = run_snippet(code)
    X = pg.features(POINTS, e.features)
    np.testing.assert_allclose(ns["predict"](POINTS[:, 0], POINTS[:, 1]), net.predict(X),
                               rtol=0, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_pytorch_code_runs_in_torch(experiments, name):
    torch = pytest.importorskip("torch")
    e = experiments[name]
    ns = run_snippet(pio.to_pytorch_code(e.network, e.features))
    assert ns["model"][0].weight.dtype == torch.float64
    out = ns["predict"](POINTS[:, 0], POINTS[:, 1])
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    X = pg.features(POINTS, e.features)
    np.testing.assert_allclose(out.numpy(), e.network.predict(X), rtol=0, atol=1e-6)


# The bit of Keras the snippet uses: Dense(units, activation) with a kernel (in, units) and a
# bias set by set_weights; a Sequential whose first entry is keras.Input(shape=(k,)).
class _Dense:
    ACTS = {"tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0), "linear": lambda x: x,
            "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x))}  # fmt: skip

    def __init__(self, units, activation=None, dtype=None):
        self.units, self.act, self.dtype, self.w = units, self.ACTS[activation], dtype, None

    def set_weights(self, weights):
        kernel, bias = weights
        assert kernel.shape[1] == self.units and bias.shape == (self.units,)
        self.w = weights

    def __call__(self, x):
        return self.act(x @ self.w[0] + self.w[1])


def fake_keras():
    keras = types.ModuleType("keras")
    layers = types.ModuleType("keras.layers")
    layers.Dense = _Dense
    keras.layers, keras.Input = layers, lambda shape, dtype: ("input", shape, dtype)

    class Sequential:
        def __init__(self, entries):
            (_, self.shape, dtype), *self.dense = entries
            assert dtype == "float64"

        def predict(self, x, verbose=1):
            assert x.shape[1:] == self.shape and self.dense[0].w[0].shape[0] == self.shape[0]
            for layer in self.dense:
                x = layer(x)
            return x

    keras.Sequential = Sequential
    return keras, layers


@pytest.mark.parametrize("name", NAMES)
def test_keras_code_structure(experiments, name, monkeypatch):
    e = experiments[name]
    code = pio.to_keras_code(e.network, e.features)
    compile(code, "<keras>", "exec")
    net = e.network
    for l in range(net.n_layers):
        act = net.activations[l]
        assert f'layers.Dense({net.sizes[l + 1]}, activation="{act}", dtype="float64")' in code
    literals = literal_arrays(code)  # a Keras kernel is (in, out)
    for l in range(net.n_layers):
        assert literals[2 * l] == pio._weights(net, l).T.tolist()
    keras, layers = fake_keras()
    monkeypatch.setitem(sys.modules, "keras", keras)
    monkeypatch.setitem(sys.modules, "keras.layers", layers)
    ns = run_snippet(code)
    X = pg.features(POINTS, e.features)
    np.testing.assert_allclose(ns["predict"](POINTS[:, 0], POINTS[:, 1]), net.predict(X),
                               rtol=0, atol=1e-12)  # fmt: skip


def test_keras_code_runs_in_keras(experiments):
    pytest.importorskip("keras")
    e = experiments["tanh"]
    ns = run_snippet(pio.to_keras_code(e.network, e.features))
    X = pg.features(POINTS, e.features)
    np.testing.assert_allclose(ns["predict"](POINTS[:, 0], POINTS[:, 1]), e.network.predict(X),
                               rtol=0, atol=1e-6)  # fmt: skip


# --- CSV -----------------------------------------------------------------------------------
def test_csv_with_a_header_and_integer_labels():
    data = pio.parse_csv("x,y,class\n1.5,-2,0\n0,3e-1,1\n-4,4,1\n")
    assert data.problem == "classification"
    np.testing.assert_array_equal(data.points, [[1.5, -2], [0, 0.3], [-4, 4]])
    assert data.points.dtype == np.float64
    assert data.labels.tolist() == [0, 1, 1] and data.labels.dtype == np.int64
    assert data.classes == ("0", "1") and data.header == ("x", "y", "class")
    assert data.targets is None and len(data) == 3 and data.separator == ","


def test_csv_without_a_header_and_word_labels():
    data = pio.parse_csv("1,2,red\n3,4,blue\n 5 , 6 , red \n7,8,green")
    assert data.header is None and data.problem == "classification"
    assert data.classes == ("blue", "green", "red")
    assert data.labels.tolist() == [2, 0, 2, 1]


def test_csv_minus_one_plus_one_labels_and_one_point_zero():
    data = pio.parse_csv("0,0,-1\n1,1,1.0\n2,2,1\n")
    assert data.classes == ("-1", "1") and data.labels.tolist() == [0, 1, 1]


def test_csv_regression():
    data = pio.parse_csv("a,b,target\n0,0,0.5\n1,2,-1.25\n3,1,2\n")
    assert data.problem == "regression" and data.labels is None and data.classes == ()
    np.testing.assert_array_equal(data.targets, [0.5, -1.25, 2])
    many = "\n".join(f"{i},0,{i}" for i in range(12))  # whole numbers but many values
    assert pio.parse_csv(many).problem == "regression"
    assert pio.parse_csv(many, max_classes=12).problem == "classification"


def test_csv_problem_as_asked():
    data = pio.parse_csv("0,0,0\n1,1,1\n", problem="regression")
    assert data.problem == "regression" and data.targets.tolist() == [0.0, 1.0]
    data = pio.parse_csv("0,0,0.5\n1,1,1.5\n2,2,0.5", problem="classification")
    assert data.classes == ("0.5", "1.5") and data.labels.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="line 2: the target 'dog' is not a number"):
        pio.parse_csv("0,0,cat\n1,1,dog\n", problem="regression")
    with pytest.raises(ValueError, match="too many classes: .* 10 distinct .* at most 5"):
        pio.parse_csv("\n".join(f"{i},0,{i / 10}" for i in range(10)), problem="classification")
    with pytest.raises(ValueError, match="problem must be one of"):
        pio.parse_csv("0,0,0", problem="clustering")


def test_csv_semicolons_decimal_commas_and_tabs():
    data = pio.parse_csv("x1;x2;label\n1,5;-2,25;a\n3;4;b\n")
    assert data.separator == ";"
    np.testing.assert_array_equal(data.points, [[1.5, -2.25], [3, 4]])
    data = pio.parse_csv("1\t2\t0.5\n3\t4\t1.5\n")
    assert data.separator == "\t" and data.problem == "regression"
    data = pio.parse_csv('"1.5","2",yes\n3,4,no\n')  # quotes, the comma
    assert data.separator == "," and data.classes == ("no", "yes")


def test_csv_bytes_bom_crlf_blank_lines_and_trailing_separator():
    data = pio.parse_csv("\ufeffx,y,c\r\n1,2,0,\r\n\r\n3,4,1\r\n".encode())
    assert data.header == ("x", "y", "c") and data.labels.tolist() == [0, 1]
    with pytest.raises(ValueError, match="not UTF-8"):
        pio.parse_csv(b"1,2,\xff\n")


def test_csv_bad_rows_each_with_its_line():
    text = "\n".join([
        "x1,x2,label",  # line 1
        "1,2,0",
        "one,2,0",  # line 3: not a number
        "1,2",  # line 4: a missing cell
        "",  # line 5: blank, skipped
        "1,,0",  # line 6: an empty cell
        "1,2,0,7",  # line 7: too many cells
        "nan,2,1",  # line 8
        "1,inf,1",  # line 9
        "__import__('os').system('echo hacked'),1,0",  # line 10: read, never run
        "1,2,0",
    ])  # fmt: skip
    with pytest.raises(ValueError) as info:
        pio.parse_csv(text)
    message = str(info.value)
    assert message.startswith("the CSV has 7 bad rows, nothing was loaded:")
    for expected in [
        "line 3: x1 'one' is not a number",
        "line 4: 2 cells, 3 needed (x1, x2, label)",
        "line 6: the x2 cell is empty",
        "line 7: 4 cells, only 3 allowed",
        "line 8: x1 'nan' is not a finite number",
        "line 9: x2 'inf' is not a finite number",
        "line 10: x1 \"__import__('os').system('echo hacked')\" is not a number",
    ]:
        assert expected in message
    assert "line 2:" not in message and "line 11:" not in message
    assert "separate the columns" not in message
    with pytest.raises(ValueError, match="1 cell, 3 needed(.|\n)*separate the columns by commas"):
        pio.parse_csv("1 2 0\n3 4 1\n")


def test_csv_names_the_header_columns_and_caps_the_listing():
    text = "a,b,c\n" + "\n".join(f"{i},x,0" for i in range(25))
    with pytest.raises(ValueError) as info:
        pio.parse_csv(text)
    message = str(info.value)
    assert "the CSV has 25 bad rows" in message and "line 2: b 'x' is not a number" in message
    assert "line 11:" in message and "line 12:" not in message
    assert message.endswith("... and 15 more")
    with pytest.raises(ValueError, match="line 1: the header has 4 columns; it needs 3"):
        pio.parse_csv("a,b,c,d\n1,2,0\n")


def test_csv_too_many_classes():
    text = "\n".join(f"{i},{i},{w}" for i, w in enumerate("abcdef"))
    with pytest.raises(ValueError, match="too many classes: the label column has 6 distinct "
                                         "values, at most 5 are allowed"):  # fmt: skip
        pio.parse_csv(text)
    assert pio.parse_csv(text, max_classes=6).classes == tuple("abcdef")
    with pytest.raises(ValueError, match="too many classes: the kind column has 3 .* at most 2"):
        pio.parse_csv("x,y,kind\n0,0,a\n1,1,b\n2,2,c\n", max_classes=2)
    mixed = "\n".join(f"{i},0,{i}" for i in range(8)) + "\n9,9,oops"
    with pytest.raises(ValueError, match="mixes numbers and words .* line 9 \\('oops'\\)"):
        pio.parse_csv(mixed)


def test_csv_limits_and_empties():
    with pytest.raises(ValueError, match="at most 5,000 fit"):
        pio.parse_csv("\n".join("1,2,0" for _ in range(5001)))
    assert len(pio.parse_csv("\n".join("1,2,0" for _ in range(5000)))) == 5000
    with pytest.raises(ValueError, match="at most 3 fit"):
        pio.parse_csv("1,2,0\n" * 4, max_rows=3)
    with pytest.raises(ValueError, match="the CSV is 1,000,001 bytes; at most 1,000,000"):
        pio.parse_csv("1" * 1_000_001)
    with pytest.raises(ValueError, match="bytes; at most 100"):
        pio.parse_csv(b"1,2,0\n" * 20, max_bytes=100)
    with pytest.raises(ValueError, match="the CSV is empty"):
        pio.parse_csv(" \n\n")
    with pytest.raises(ValueError, match="no data rows, only a header"):
        pio.parse_csv("x1,x2,label\n")
    with pytest.raises(ValueError, match="max_classes"):
        pio.parse_csv("1,2,0", max_classes=1)


def test_fit_to_plane():
    inside = np.array([[1.0, -6.0], [5.9, 0.0]])
    points, factor = pio.fit_to_plane(inside)
    assert factor == 1.0
    np.testing.assert_array_equal(points, inside)
    outside = np.array([[100.0, -20.0], [-50.0, 30.0]])
    points, factor = pio.fit_to_plane(outside)
    assert factor == pytest.approx(0.06)
    np.testing.assert_allclose(points, outside * 0.06)  # both axes by one factor, not clipped
    assert np.abs(points).max() == pytest.approx(6.0)
    data = pio.parse_csv("0,0,0\n120,-30,1\n")
    points, factor = pio.fit_to_plane(data.points)
    assert factor == pytest.approx(0.05) and points[1].tolist() == pytest.approx([6.0, -1.5])
    with pytest.raises(ValueError, match="\\(n, 2\\)"):
        pio.fit_to_plane(np.zeros((3, 3)))
