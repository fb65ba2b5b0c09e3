"""Gradient descent on loss landscapes you can see: surfaces, curves, and the walk.

Guess a point, measure the slope, step downhill, repeat. ``descend`` walks a surface with the
very optimizer classes that train the networks (``deepscope.nn.SGD``, ``Adam``, ...), and
records every step: where it is, the loss, the gradient, the update and its parts.

>>> walk = descend("rosenbrock", "adam", start=(-1.5, 2.0), steps=500, lr=0.05)
>>> walk[-1].position, walk.diverged_at
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..core.checks import check_int
from ..nn import optim
from .expression import Expression

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad")
HYPERPARAMETERS = {  # what each optimizer name takes besides lr
    "sgd": (),
    "momentum": ("momentum",),
    "nesterov": ("momentum",),
    "rmsprop": ("alpha", "eps"),
    "adam": ("beta1", "beta2", "eps"),
    "adagrad": ("eps",),
}
SCHEDULES = ("constant", "step", "exponential", "inverse-time", "dynamic")
DIVERGE_SPANS = 100.0  # a walk farther than this many window widths from the window has left
NEAR_ZERO = 1e-12  # a difference this small relative to its terms is rounding: shown as 0


@dataclass(frozen=True)
class Surface:
    """A loss surface f(x, y) (or a curve f(x) when ``dims == 1``) with its exact gradient.

    Callable on arrays: ``surface(x, y)``. ``minima`` are the known minimisers (global first),
    ``window`` the (x range, y range) worth looking at, ``start`` a standard starting point.
    """

    name: str
    formula: str
    f: Callable
    gradient: Callable
    window: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...] = ()
    dims: int = 2
    note: str = ""
    lr: float = 0.01  # a learning rate at which plain gradient descent makes visible progress

    def __call__(self, x, y=0.0):
        with np.errstate(all="ignore"):
            return self.f(x, y)

    def grad(self, x, y=0.0) -> tuple:
        """(df/dx, df/dy); for a curve df/dy is 0."""
        with np.errstate(all="ignore"):
            return self.gradient(x, y)

    def grid(self, n: int = 101):
        """(xs, ys, Z) over the window: Z[i, j] = f(xs[j], ys[i]) (plotly's orientation)."""
        xs = np.linspace(*self.window[0], n)
        ys = np.linspace(*self.window[1], n) if self.dims == 2 else np.zeros(1)
        X, Y = np.meshgrid(xs, ys)
        return xs, ys, np.asarray(self(X, Y), dtype=np.float64)


def bowl(condition: float = 1.0) -> Surface:
    """0.5 (x^2 + condition * y^2): a round bowl at 1, a narrowing valley as condition grows.

    The condition number is the ratio of the largest to the smallest curvature; plain gradient
    descent needs a learning rate below 2 / (largest curvature) and then crawls along the
    flattest direction, so the number of steps grows with the condition number.
    """
    c = float(condition)
    if not math.isfinite(c) or c < 1:
        raise ValueError(f"condition must be a finite number >= 1, got {condition!r}")
    return Surface(
        "bowl",
        f"0.5 (x² + {c:g} y²)",
        lambda x, y: 0.5 * (x * x + c * y * y),
        lambda x, y: (x, c * y),
        ((-3.0, 3.0), (-3.0, 3.0)),
        (-2.5, 2.0),
        ((0.0, 0.0),),
        note=f"condition number {c:g}: the learning rate must stay below {2 / c:.3g}",
        lr=min(0.1, 0.5 / c),
    )


_COS, _SIN = math.cos(math.pi / 6), math.sin(math.pi / 6)
_RAVINE_C = 40.0


def _ravine(x, y):
    u, v = _COS * x + _SIN * y, -_SIN * x + _COS * y
    return 0.5 * (u * u + _RAVINE_C * v * v)


def _ravine_grad(x, y):
    u, v = _COS * x + _SIN * y, -_SIN * x + _COS * y
    gu, gv = u, _RAVINE_C * v
    return _COS * gu - _SIN * gv, _SIN * gu + _COS * gv


def _himmelblau_grad(x, y):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _camel(x, y):
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def _camel_grad(x, y):
    return 8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _beale_grad(x, y):
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    gx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
    return gx, gy


_TWO_PI = 2 * math.pi


def _zero_like(x):
    return x * 0.0


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        bowl(1.0),
        Surface(
            "ravine",
            "a long narrow valley, 40 times steeper across than along, tilted 30°",
            _ravine,
            _ravine_grad,
            ((-3.0, 3.0), (-3.0, 3.0)),
            (-2.5, 0.0),
            ((0.0, 0.0),),
            note="plain descent zig-zags across the valley; momentum rolls along it",
            lr=0.02,
        ),
        Surface(
            "rosenbrock",
            "(1 - x)² + 100 (y - x²)²",
            lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
            lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
            ((-2.0, 2.0), (-1.0, 3.0)),
            (-1.5, 2.0),
            ((1.0, 1.0),),
            note="finding the curved valley is easy; following it to (1, 1) is slow",
            lr=0.001,
        ),
        Surface(
            "himmelblau",
            "(x² + y - 11)² + (x + y² - 7)²",
            lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
            _himmelblau_grad,
            ((-5.0, 5.0), (-5.0, 5.0)),
            (0.0, 0.0),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
            note="four equally good minima: the start decides which one you reach",
            lr=0.01,
        ),
        Surface(
            "rastrigin",
            "20 + x² - 10 cos(2πx) + y² - 10 cos(2πy)",
            lambda x, y: 20 + x * x - 10 * np.cos(_TWO_PI * x) + y * y - 10 * np.cos(_TWO_PI * y),
            lambda x, y: (
                2 * x + 10 * _TWO_PI * np.sin(_TWO_PI * x),
                2 * y + 10 * _TWO_PI * np.sin(_TWO_PI * y),
            ),
            ((-5.12, 5.12), (-5.12, 5.12)),
            (3.2, -2.7),
            ((0.0, 0.0),),
            note="a local minimum near every integer point: gradient descent stops in the nearest",
            lr=0.002,
        ),
        Surface(
            "saddle",
            "x² - y²",
            lambda x, y: x * x - y * y,
            lambda x, y: (2 * x, -2 * y),
            ((-2.0, 2.0), (-2.0, 2.0)),
            (-1.8, 0.01),
            (),
            note="a minimum along x, a maximum along y: the gradient at the centre is zero",
            lr=0.05,
        ),
        Surface(
            "monkey-saddle",
            "x³ - 3 x y²",
            lambda x, y: x**3 - 3 * x * y * y,
            lambda x, y: (3 * x * x - 3 * y * y, -6 * x * y),
            ((-1.5, 1.5), (-1.5, 1.5)),
            (1.2, 0.3),
            (),
            note="three ways down and three up around a flat point",
            lr=0.05,
        ),
        Surface(
            "six-hump-camel",
            "(4 - 2.1 x² + x⁴/3) x² + x y + (4 y² - 4) y²",
            _camel,
            _camel_grad,
            ((-2.0, 2.0), (-1.1, 1.1)),
            (-1.5, -0.8),
            ((0.0898, -0.7126), (-0.0898, 0.7126)),
            note="two global minima, four local ones",
            lr=0.02,
        ),
        Surface(
            "beale",
            "(1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²",
            _beale,
            _beale_grad,
            ((-4.5, 4.5), (-4.5, 4.5)),
            (1.0, 1.4),
            ((3.0, 0.5),),
            note="flat valleys and steep walls: a fixed learning rate suits neither",
            lr=0.002,
        ),
        Surface(
            "parabola",
            "x²",
            lambda x, y: x * x + _zero_like(y),
            lambda x, y: (2 * x, _zero_like(y)),
            ((-3.0, 3.0), (0.0, 0.0)),
            (2.5, 0.0),
            ((0.0, 0.0),),
            dims=1,
            note="the slope 2x shrinks as you near the bottom, so the steps shrink too",
            lr=0.1,
        ),
        Surface(
            "double-well",
            "x⁴/4 - x² + 0.3 x",
            lambda x, y: x**4 / 4 - x * x + 0.3 * x + _zero_like(y),
            lambda x, y: (x**3 - 2 * x + 0.3, _zero_like(y)),
            ((-2.2, 2.2), (0.0, 0.0)),
            (2.0, 0.0),
            ((-1.48483, 0.0), (1.33224, 0.0)),
            dims=1,
            note="a global minimum on the left, a local one on the right that traps a walk "
            "starting right",
            lr=0.05,
        ),
        Surface(
            "plateau",
            "1 - exp(-x²)",
            lambda x, y: 1 - np.exp(-x * x) + _zero_like(y),
            lambda x, y: (2 * x * np.exp(-x * x), _zero_like(y)),
            ((-3.5, 3.5), (0.0, 0.0)),
            (2.5, 0.0),
            ((0.0, 0.0),),
            dims=1,
            note="far out the curve is flat: the slope nearly vanishes and so do the steps",
            lr=0.3,
        ),
    )
}


def surface_from_expression(text: str, window=((-3.0, 3.0), (-3.0, 3.0))) -> Surface:
    """A Surface from a formula in x (and y) typed by a user, e.g. ``"x**2 + 3*sin(y)"``.

    Parsed against a whitelist (never ``eval``); raises ValueError (an ``ExpressionError``)
    saying what is wrong and at which column. The gradient is taken by central differences.
    """
    expr = Expression(text)
    dims = 2 if "y" in expr.names else 1
    (x0, x1), (y0, y1) = window
    if not (x0 < x1 and (dims == 1 or y0 < y1)):
        raise ValueError(
            f"window must be ((xmin, xmax), (ymin, ymax)) with min < max, got {window}"
        )

    def gradient(x, y):
        hx = 1e-5 * np.maximum(1.0, np.abs(x))
        hy = 1e-5 * np.maximum(1.0, np.abs(y))
        gx = (expr(x + hx, y) - expr(x - hx, y)) / (2 * hx)
        gy = (expr(x, y + hy) - expr(x, y - hy)) / (2 * hy) if dims == 2 else gx * 0.0
        return gx, gy

    window = (window[0], window[1] if dims == 2 else (0.0, 0.0))
    start = (round(x0 + 0.8 * (x1 - x0), 9), round(y0 + 0.75 * (y1 - y0), 9) if dims == 2 else 0.0)
    return Surface("custom", expr.text, expr, gradient, window, start, (), dims, "your formula")


def get_surface(surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str) and surface in SURFACES:
        return SURFACES[surface]
    raise ValueError(
        f"surface must be a Surface or one of {', '.join(SURFACES)}; got {surface!r} "
        "(for a formula use surface_from_expression)"
    )


def make_schedule(name: str, decay: float = 0.01):
    """A learning-rate schedule by name; "dynamic" is handled in :func:`descend`."""
    if name in ("constant", "dynamic"):
        return optim.ConstantLR()
    if name == "step":
        return optim.StepLR(50, 0.5)
    if name == "exponential":
        return optim.ExponentialLR(1.0 - decay)
    if name == "inverse-time":
        return optim.InverseTimeLR(decay)
    raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {name!r}")


def make_optimizer(name: str, params, lr: float, schedule=None, **hyper) -> optim.Optimizer:
    """The deepscope.nn optimizer behind each name, with the hyperparameters it takes."""
    if name not in HYPERPARAMETERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {name!r}")
    extra = set(hyper) - set(HYPERPARAMETERS[name])
    if extra:
        raise TypeError(
            f"{name} takes {', '.join(HYPERPARAMETERS[name]) or 'no hyperparameters'}; "
            f"got {', '.join(sorted(extra))}"
        )
    if name == "sgd":
        return optim.SGD(params, lr, schedule=schedule)
    if name in ("momentum", "nesterov"):
        return optim.SGD(
            params, lr, hyper.get("momentum", 0.9), nesterov=name == "nesterov", schedule=schedule
        )
    if name == "rmsprop":
        return optim.RMSprop(
            params, lr, hyper.get("alpha", 0.99), hyper.get("eps", 1e-8), schedule=schedule
        )
    if name == "adam":
        betas = (hyper.get("beta1", 0.9), hyper.get("beta2", 0.999))
        return optim.Adam(params, lr, betas, hyper.get("eps", 1e-8), schedule=schedule)
    return optim.Adagrad(params, lr, hyper.get("eps", 1e-10), schedule=schedule)


@dataclass(frozen=True)
class Frame:
    """Frame k of a walk: the position after k steps and the step taken from there.

    ``grad`` is the gradient at ``position`` (noise included when the walk is noisy),
    ``update`` the move to frame k + 1 and ``parts`` what it is made of: the plain gradient
    term -lr*g, the momentum term, Adam's first moment and the per-coordinate rates of the
    adaptive methods. The last frame has no next move: its update is (0, 0).
    """

    step: int
    position: tuple[float, float]
    loss: float
    grad: tuple[float, float]
    update: tuple[float, float] = (0.0, 0.0)
    parts: dict = field(default_factory=dict)
    lr: float = 0.0
    diverged: bool = False


class Walk(list):
    """The frames of one descent (a list) plus what produced them."""

    def __init__(self, frames, surface, optimizer, lr, diverged_at=None):
        super().__init__(frames)
        self.surface, self.optimizer, self.lr = surface, optimizer, lr
        self.diverged_at = diverged_at

    @property
    def positions(self) -> np.ndarray:
        return np.array([f.position for f in self], dtype=np.float64).reshape(-1, 2)

    @property
    def losses(self) -> np.ndarray:
        return np.array([f.loss for f in self], dtype=np.float64)

    @property
    def in_view(self) -> np.ndarray:
        """Per frame: is the walk inside its surface's window, with a finite loss?"""
        pos, losses = self.positions, self.losses
        (x0, x1), (y0, y1) = self.surface.window
        inside = np.isfinite(pos).all(axis=1) & np.isfinite(losses)
        inside &= (pos[:, 0] >= x0) & (pos[:, 0] <= x1)
        if self.surface.dims == 2:
            inside &= (pos[:, 1] >= y0) & (pos[:, 1] <= y1)
        return inside

    @property
    def last_in_view(self) -> int:
        """The last step at which the walk was on the map (0 if never): where the map shows
        a diverged walk leaving."""
        inside = self.in_view
        return int(np.flatnonzero(inside)[-1]) if inside.any() else 0

    def __repr__(self):
        end = f", diverged at step {self.diverged_at}" if self.diverged_at is not None else ""
        return f"Walk({self.optimizer} on {self.surface.name}, {len(self) - 1} steps{end})"


def _difference(a, b) -> tuple[float, ...]:
    """a - b per coordinate, with what is only float rounding (relative to the sizes of a
    and b) as an exact 0: the momentum term of the first step is 0, not 2.8e-17."""
    return tuple(
        0.0 if abs(p - q) <= NEAR_ZERO * max(abs(p), abs(q)) else p - q for p, q in zip(a, b)
    )


def _parts(name, opt, g, lr, update):
    s1, s2 = opt.state[0]
    grad_term = (-lr * g[0], -lr * g[1])
    if name == "sgd":
        return {"gradient term": grad_term}
    if name in ("momentum", "nesterov"):
        return {"gradient term": grad_term, "momentum term": _difference(update, grad_term)}
    if name == "adam":
        b1, b2 = opt.betas
        c1, c2 = 1 - b1**opt.t, 1 - b2**opt.t
        m_hat = (float(s1[0] / c1), float(s1[1] / c1))
        rate = tuple(lr / (math.sqrt(s2[i] / c2) + opt.eps) for i in range(2))
        return {"gradient term": grad_term, "first moment m̂": m_hat, "rate per coordinate": rate}
    rate = tuple(lr / (math.sqrt(s1[i]) + opt.eps) for i in range(2))
    return {"gradient term": grad_term, "rate per coordinate": rate}


def _check_start(start, surface):
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a pair of numbers (x, y), got {start!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"start must be finite, got {start!r}")
    return x, 0.0 if surface.dims == 1 else y


def descend(
    surface,
    optimizer: str = "adam",
    start=None,
    steps: int = 200,
    lr: float = 0.01,
    schedule: str | object = "constant",
    decay: float = 0.01,
    noise: float = 0.0,
    seed: int = 0,
    **hyper,
) -> Walk:
    """Walk ``surface`` downhill with a ``deepscope.nn`` optimizer; return its frames.

    optimizer: "sgd", "momentum", "nesterov", "rmsprop", "adam" or "adagrad"; hyper: momentum,
    beta1, beta2, alpha, eps as the optimizer takes them. schedule: a name in SCHEDULES (with
    ``decay`` for exponential / inverse-time) or a schedule object from ``deepscope.nn``;
    "dynamic" is the lecture's dynamic learning rate: lr times the size of the gradient, big
    far from the minimum, small near it. noise: standard deviation of Gaussian noise added to
    every gradient (stochastic descent). A walk that produces NaN/inf or leaves the window by
    more than 100 window widths stops; its last frame has ``diverged=True`` and
    ``walk.diverged_at`` is that step.
    """
    surface = get_surface(surface)
    steps = check_int("steps", steps, 1)
    x, y = _check_start(surface.start if start is None else start, surface)
    if not isinstance(noise, (int, float)) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    dynamic = schedule == "dynamic"
    sched = make_schedule(schedule, decay) if isinstance(schedule, str) else schedule
    p = np.array([x, y], dtype=np.float64)
    opt = make_optimizer(optimizer, p, lr, sched, **hyper)
    rng = np.random.default_rng(seed) if noise else None
    (wx0, wx1), (wy0, wy1) = surface.window
    span = max(wx1 - wx0, wy1 - wy0) * DIVERGE_SPANS
    cx, cy = 0.5 * (wx0 + wx1), 0.5 * (wy0 + wy1)
    frames, diverged_at = [], None
    g = np.empty(2)
    for k in range(steps + 1):
        loss = float(surface(x, y))
        gx, gy = surface.grad(x, y)
        gx, gy = float(gx), float(gy)
        if rng is not None:
            gx += noise * rng.standard_normal()
            gy += noise * rng.standard_normal() if surface.dims == 2 else 0.0
        bad = not (math.isfinite(x) and math.isfinite(y) and math.isfinite(loss))
        bad = bad or abs(x - cx) > span or abs(y - cy) > span
        if bad or k == steps:
            frames.append(Frame(k, (x, y), loss, (gx, gy), diverged=bad))
            diverged_at = k if bad else None
            break
        if dynamic:
            opt.lr = lr * math.hypot(gx, gy)
        step_lr = opt.current_lr()
        g[0], g[1] = gx, gy
        opt.step(g)
        update = (float(p[0]) - x, float(p[1]) - y)
        parts = _parts(optimizer, opt, (gx, gy), step_lr, update)
        frames.append(Frame(k, (x, y), loss, (gx, gy), update, parts, step_lr))
        x, y = float(p[0]), float(p[1])
    return Walk(frames, surface, optimizer, lr, diverged_at)


def race(surface, optimizers=OPTIMIZERS[:5], **kwargs) -> dict[str, Walk]:
    """One walk per optimizer from the same start with the same settings.

    Hyperparameters an optimizer does not take (momentum for Adam, betas for SGD) are left
    out for it rather than rejected, so one set of sliders drives the whole race.
    """
    hyper_names = {n for names in HYPERPARAMETERS.values() for n in names}
    common = {k: v for k, v in kwargs.items() if k not in hyper_names}
    hyper = {k: v for k, v in kwargs.items() if k in hyper_names}
    walks = {}
    for name in optimizers:
        own = {k: v for k, v in hyper.items() if k in HYPERPARAMETERS.get(name, ())}
        walks[name] = descend(surface, name, **common, **own)
    return walks


# ---- what the descent panel draws --------------------------------------------------------
# How a picture is drawn is decided here, from the walks: which colour scale, which loss axis,
# how long the arrows are, where a diverged walk left and where its label goes. The panel only
# draws these numbers, and they are tested without a browser.

GRID = 101  # samples per side of a surface's map
CONTOURS = 30  # contour lines on a map
LIFT = 0.02  # a walk in 3-D floats this share of the height range above the surface
LOG_SPREAD = 12.0  # heights spanning more than this many times their median rise: log colours
ARROW_SHARE = 0.15  # the longer of the two arrows is drawn this share of the window
MAX_MAGNIFY = 1e4  # a step that would need more magnification than this is not drawn
TANGENT_SHARE = 0.12  # half the tangent's width (and most of its rise), as a share of the map
DECADE_TICKS = 6  # at most about this many ticks on a log loss axis (whole decades apart)
LABEL_OFFSET = 34  # px from a diverged walk's last point on the map to the nearest label
LABEL_GAP = 26  # px between stacked labels (a line of 14 px text is about 18 px high)


@dataclass(frozen=True)
class SurfaceMap:
    """A surface sampled over its window, as the panel draws it.

    ``z[i, j] = f(xs[j], ys[i])`` (NaN where f is not finite). ``height`` is what is coloured
    and drawn in 3-D: f, or log10(1 + f - min) when f spans many decades (``log``), so a deep
    valley is not one flat colour; ``label`` names it, ``levels`` (start, end, size) are its
    contour lines. A curve (dims 1) has its ``slope`` f'(x) and ``yrange``, the curve's own
    height range (a walk flying off does not squash it).
    """

    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray
    height: np.ndarray
    log: bool
    zmin: float
    label: str
    levels: tuple[float, float, float] = (0.0, 1.0, 1.0)
    slope: np.ndarray | None = None
    yrange: tuple[float, float] | None = None

    def heights(self, f) -> np.ndarray:
        """Losses as drawn heights (on a log scale, clipped at the window's minimum)."""
        f = np.asarray(f, dtype=np.float64)
        if not self.log:
            return f
        with np.errstate(all="ignore"):
            return np.log10(1.0 + np.maximum(f - self.zmin, 0.0))

    def above(self, f) -> np.ndarray:
        """Heights for a walk drawn in 3-D: LIFT of the surface's height range above it, so
        the surface does not hide a path that lies on it."""
        return self.heights(f) + LIFT * (self.levels[1] - self.levels[0])


def surface_map(surface, n: int = GRID) -> SurfaceMap:
    """The surface on an n x n grid (n points for a curve) with its colour scale decided."""
    surface = get_surface(surface)
    n = check_int("n", n, 3)
    xs, ys, z = surface.grid(n)
    z = np.where(np.isfinite(z), z, np.nan)
    finite = z[np.isfinite(z)]
    if not finite.size:
        raise ValueError(f"{surface.name} has no finite value in its window {surface.window}")
    zmin, zmax, zmed = float(finite.min()), float(finite.max()), float(np.median(finite))
    if surface.dims == 1:
        pad = 0.08 * (zmax - zmin) or 1.0
        slope = np.asarray(surface.grad(xs, np.zeros_like(xs))[0], dtype=np.float64)
        yrange = (zmin - pad, zmax + pad)
        return SurfaceMap(xs, ys, z, z, False, zmin, "f(x)", slope=slope, yrange=yrange)
    log = zmax - zmin > LOG_SPREAD * max(zmed - zmin, 1e-12)
    height = np.log10(1.0 + z - zmin) if log else z
    lo, hi = float(np.nanmin(height)), float(np.nanmax(height))
    size = _nice((hi - lo) / CONTOURS, up=False) if hi > lo else 1.0  # round levels
    levels = (math.ceil(lo / size) * size, hi, size)
    label = "log10(1 + f − min)" if log else "f"
    return SurfaceMap(xs, ys, z, height, log, zmin, label, levels)


@dataclass(frozen=True)
class LossAxis:
    """The loss chart's y axis. ``log``: the losses shown are positive and span a decade or
    more. ``range`` (in axis units: log10 of the loss on a log axis) fits the losses of the
    walks while they are on the map, so a walk that leaves the map leaves the chart through
    its edge. ``dtick``: decades from one tick to the next on a log axis (whole decades
    only, so no "2 5" between them; None on a linear axis)."""

    log: bool
    range: tuple[float, float] | None
    dtick: int | None = None


def loss_axis(walks: dict[str, Walk]) -> LossAxis:
    values = np.concatenate([w.losses[w.in_view] for w in walks.values()] or [np.empty(0)])
    if not values.size:  # no walk was ever on the map: fit what there is
        values = np.concatenate([w.losses for w in walks.values()] or [np.empty(0)])
        values = values[np.isfinite(values)]
    if not values.size:
        return LossAxis(False, None)
    lo, hi = float(values.min()), float(values.max())
    if lo > 0 and hi >= 10 * lo:  # a decade or more: a log scale shows it
        a, b = math.log10(max(lo, hi * 1e-16)), math.log10(hi)
        pad = 0.05 * (b - a)
        return LossAxis(True, (a - pad, b + pad), max(1, math.ceil((b - a) / DECADE_TICKS)))
    pad = max(0.05 * (hi - lo), 0.02 * max(abs(lo), abs(hi)), 1e-12)
    return LossAxis(False, (lo - pad, hi + pad))


@dataclass(frozen=True)
class Exit:
    """Where a diverged walk was last on the map (``y`` is f(x) on a curve) and where its
    label goes: ``dx``, ``dy`` pixels from that point (down is positive). Labels of several
    walks are stacked at least LABEL_GAP apart, so they never overlap."""

    optimizer: str
    step: int
    x: float
    y: float
    dx: int
    dy: int


def exits(walks: dict[str, Walk], surface: Surface, yrange) -> tuple[Exit, ...]:
    """The exits of the diverged walks, labels stacked away from the nearer edge of
    ``yrange`` (the map's y range): the lowest point gets the lowest label above it, so going
    up each label is one gap higher than the one before (or the mirror image below)."""
    points = []
    for name, walk in walks.items():
        if walk.diverged_at is not None:
            fr = walk[walk.last_in_view]
            y = fr.loss if surface.dims == 1 else fr.position[1]
            points.append((name, fr.step, fr.position[0], y))
    if not points:
        return ()
    (x0, x1), (lo, hi) = surface.window[0], yrange
    up = float(np.median([p[3] for p in points])) < 0.5 * (lo + hi)
    out = []
    for k, (name, step, x, y) in enumerate(sorted(points, key=lambda p: p[3], reverse=not up)):
        share = (x - x0) / (x1 - x0)
        dx = 50 if share < 0.3 else -50 if share > 0.7 else 0
        dy = LABEL_OFFSET + LABEL_GAP * k
        out.append(Exit(name, step, x, y, dx, -dy if up else dy))
    return tuple(out)


@dataclass(frozen=True)
class Arrows:
    """The arrows at a frame, from ``origin`` (its point; f(x) on a curve) on one common
    scale: ``gradient`` and ``update`` are the tips of -lr*gradient and of the real update
    (None: not drawn). ``same``: the two coincide (plain GD), one arrow is enough. ``scale``:
    drawn length over real length; ``note`` says so in words, or why nothing is drawn."""

    origin: tuple[float, float]
    gradient: tuple[float, float] | None
    update: tuple[float, float] | None
    same: bool
    scale: float | None
    note: str


def _nice(value: float, up: bool) -> float:
    """The 1-2-5 number just below (or with ``up`` just above) a positive value."""
    base = 10.0 ** math.floor(math.log10(value))
    steps = [m * base for m in (1, 2, 5, 10)]
    if up:
        return min(v for v in steps if v >= value * (1 - 1e-12))
    return max(v for v in steps if v <= value * (1 + 1e-12))


def arrows(frame: Frame, surface: Surface) -> Arrows:
    """The arrows for ``frame``: the longer one about ARROW_SHARE of the window, on a round
    scale (true length when that is within a factor 2); a step that would need more than
    MAX_MAGNIFY times is too small to draw, and the note says the slope is almost 0."""
    x, y = frame.position
    origin = (x, frame.loss if surface.dims == 1 else y)

    def nothing(note):
        return Arrows(origin, None, None, False, None, note)

    term = frame.parts.get("gradient term")
    if term is None:
        return nothing("the walk left the map" if frame.diverged else "the last step")
    update = frame.update
    if not all(math.isfinite(c) for c in (*term, *update)):
        return nothing("this step is not a finite number")
    (wx0, wx1), (wy0, wy1) = surface.window
    longest = max(math.hypot(*term), math.hypot(*update))
    raw = ARROW_SHARE * max(wx1 - wx0, wy1 - wy0) / longest if longest > 0 else math.inf
    if raw > MAX_MAGNIFY:
        return nothing(
            f"this step ({longest:.2g} long) is too small to draw: the slope is almost 0"
        )
    if 0.5 <= raw <= 2:
        scale, note = 1.0, "drawn to scale"
    elif raw > 2:
        scale = _nice(raw, up=False)
        note = f"drawn {scale:g}× longer than they are"
    else:
        k = _nice(1 / raw, up=True)
        scale, note = 1 / k, f"drawn at 1/{k:g} of their length"
    same = all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=NEAR_ZERO * longest) for a, b in zip(term, update)
    )

    def tip(v):
        return (origin[0] + scale * v[0], origin[1] + scale * v[1])

    return Arrows(origin, tip(term), tip(update), same, scale, note)


def tangent(frame: Frame, surface: Surface, yrange) -> tuple[tuple[float, float], ...]:
    """The two ends of the tangent at a frame of a curve: TANGENT_SHARE of the window either
    side, shorter where it is steep (it rises at most TANGENT_SHARE of ``yrange``, the map's
    height, each way). Its slope is the gradient the optimizer measured (noise included)."""
    x0, f0, slope = frame.position[0], frame.loss, frame.grad[0]
    half = TANGENT_SHARE * (surface.window[0][1] - surface.window[0][0])
    if slope:
        half = min(half, TANGENT_SHARE * (yrange[1] - yrange[0]) / abs(slope))
    return (x0 - half, f0 - slope * half), (x0 + half, f0 + slope * half)


@dataclass(frozen=True)
class Picture:
    """Everything the descent panel draws for one setting: one walk per optimizer from one
    start, the surface's map, the loss chart's axis and where diverged walks left the map."""

    surface: Surface
    walks: dict[str, Walk]
    map: SurfaceMap
    loss: LossAxis
    exits: tuple[Exit, ...]
    steps: int
    start: tuple[float, float]  # where it is drawn: (x, f(x)) on a curve, (x, y) on a map
    minima: np.ndarray  # (k, 2), drawn the same way


def picture(surface, optimizers=OPTIMIZERS[:5], steps: int = 200, **kwargs) -> Picture:
    """``race`` the optimizers (kwargs as ``race`` takes them) and decide how to draw it."""
    surface = get_surface(surface)
    walks = race(surface, optimizers, steps=steps, **kwargs)
    smap = surface_map(surface)
    yrange = smap.yrange if surface.dims == 1 else surface.window[1]
    minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
    x0, y0 = kwargs.get("start", surface.start)
    if surface.dims == 1:  # a curve: points sit on it
        minima[:, 1] = surface(minima[:, 0], 0.0)
        y0 = float(surface(x0, 0.0))
    return Picture(
        surface, walks, smap, loss_axis(walks), exits(walks, surface, yrange), steps,
        (float(x0), float(y0)), minima,
    )  # fmt: skip
