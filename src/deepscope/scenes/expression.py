"""Safe arithmetic expressions in x and y, for the surface a student types.

A text box in a Voila dashboard that ran Python would be a door into the server, so nothing
here calls ``eval`` or ``exec``. The text is parsed with :mod:`ast` and every node is checked
against a whitelist: numbers, the names x, y, pi and e, the operators + - * / ** and unary
minus, and calls of a few numpy functions with one argument. The checked tree becomes nested
Python closures that evaluate on numpy arrays.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np

FUNCTIONS: dict[str, Callable] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
}
CONSTANTS = {"pi": np.pi, "e": np.e}
VARIABLES = ("x", "y")
MAX_LENGTH = 300
_BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_OPERATOR_TEXT = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
ALLOWED = "numbers, x, y, pi, e, + - * / ** (power), unary minus, parentheses and " + ", ".join(
    f"{name}(...)" for name in FUNCTIONS
)


class ExpressionError(ValueError):
    """A typed surface that is not allowed or not valid; ``column`` is 1-based (or None)."""

    def __init__(self, message: str, column: int | None = None):
        where = f" (at column {column})" if column else ""
        super().__init__(message + where)
        self.column = column


class Expression:
    """A checked expression: ``Expression("x**2 + 3*sin(y)")(x, y)`` evaluates on arrays."""

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
        self.text = text.strip()
        if not self.text:
            raise ExpressionError(f"the expression is empty; allowed: {ALLOWED}")
        if len(self.text) > MAX_LENGTH:
            raise ExpressionError(
                f"the expression has {len(self.text)} characters; at most {MAX_LENGTH} allowed"
            )
        try:
            tree = ast.parse(self.text, mode="eval")
        except SyntaxError as err:
            raise ExpressionError(f"not a formula: {err.msg}", err.offset) from None
        self.names: set[str] = set()
        self._fn = self._compile(tree.body)

    @property
    def variables(self) -> tuple[str, ...]:
        """The variables the expression uses, in order x, y."""
        return tuple(v for v in VARIABLES if v in self.names)

    def __call__(self, x, y=0.0) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        with np.errstate(all="ignore"):
            value = self._fn(x, y)
        return np.broadcast_to(value, np.broadcast(x, y).shape).astype(np.float64)

    def __repr__(self):
        return f"Expression({self.text!r})"

    def _compile(self, node) -> Callable:
        col = getattr(node, "col_offset", None)
        col = None if col is None else col + 1
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ExpressionError(f"{value!r} is not a number; allowed: {ALLOWED}", col)
            value = np.float64(value)  # float powers: 10**10**10 is inf, not a hung kernel
            return lambda x, y: value
        if isinstance(node, ast.Name):
            if node.id == "x":
                self.names.add("x")
                return lambda x, y: x
            if node.id == "y":
                self.names.add("y")
                return lambda x, y: y
            if node.id in CONSTANTS:
                value = CONSTANTS[node.id]
                return lambda x, y: value
            raise ExpressionError(f"unknown name {node.id!r}; allowed: {ALLOWED}", col)
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
                raise ExpressionError(
                    f"the operator {text} is not allowed; allowed: {ALLOWED}", col
                )
            left, right = self._compile(node.left), self._compile(node.right)
            return lambda x, y: op(left(x, y), right(x, y))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self._compile(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            return lambda x, y: np.negative(inner(x, y))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExpressionError(
                    f"{name}(...) is not an allowed function; allowed: {', '.join(FUNCTIONS)}",
                    col,
                )
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise ExpressionError(f"{node.func.id}(...) takes exactly one argument", col)
            fn, arg = FUNCTIONS[node.func.id], self._compile(node.args[0])
            return lambda x, y: fn(arg(x, y))
        kind = {
            ast.Attribute: "attribute access (a.b)",
            ast.Lambda: "lambda",
            ast.ListComp: "a comprehension",
            ast.GeneratorExp: "a comprehension",
            ast.SetComp: "a comprehension",
            ast.DictComp: "a comprehension",
            ast.Subscript: "indexing (a[i])",
            ast.Compare: "a comparison",
            ast.BoolOp: "and/or",
            ast.IfExp: "if/else",
            ast.NamedExpr: "assignment (:=)",
        }.get(type(node), type(node).__name__)
        raise ExpressionError(f"{kind} is not allowed in a formula; allowed: {ALLOWED}", col)
