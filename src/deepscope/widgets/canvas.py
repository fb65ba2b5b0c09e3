"""DrawingCanvas: draw with the mouse (or a finger) on a small grid; the pixels arrive in
Python as a numpy array. An anywidget, so it runs in JupyterLab and in Voila alike."""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets as T

_ESM = r"""
function render({ model, el }) {
  const rows = model.get("rows"), cols = model.get("cols"), scale = model.get("scale");
  const wrap = document.createElement("div");
  wrap.className = "deepscope-canvas";
  const canvas = document.createElement("canvas");
  canvas.width = cols * scale;
  canvas.height = rows * scale;
  canvas.style.border = "1px solid #888";
  canvas.style.cursor = "crosshair";
  canvas.style.touchAction = "none";
  canvas.title = "draw here";
  const ctx = canvas.getContext("2d");
  let pixels = model.get("pixels").slice();
  let drawing = false;

  function draw() {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = Math.round(255 * Math.max(0, Math.min(1, pixels[r * cols + c] || 0)));
        ctx.fillStyle = `rgb(${v},${v},${v})`;
        ctx.fillRect(c * scale, r * scale, scale, scale);
      }
    }
  }

  let last = null;
  function paint(ev) {
    const box = canvas.getBoundingClientRect();
    const x = (ev.clientX - box.left) / (box.width / cols);
    const y = (ev.clientY - box.top) / (box.height / rows);
    // a fast stroke jumps several cells between events: ink the whole segment
    const from = last || [x, y];
    const n = Math.max(1, Math.ceil(2 * Math.hypot(x - from[0], y - from[1])));
    for (let s = 1; s <= n; s++) {
      dab(from[0] + (x - from[0]) * s / n, from[1] + (y - from[1]) * s / n);
    }
    last = [x, y];
    draw();
  }

  function dab(x, y) {
    const brush = model.get("brush");
    const reach = Math.ceil(brush + 1);
    for (let r = Math.floor(y) - reach; r <= Math.floor(y) + reach; r++) {
      for (let c = Math.floor(x) - reach; c <= Math.floor(x) + reach; c++) {
        if (r < 0 || c < 0 || r >= rows || c >= cols) continue;
        const d = Math.hypot(c + 0.5 - x, r + 0.5 - y);
        const ink = Math.max(0, Math.min(1, 1.6 - d / brush));
        const i = r * cols + c;
        pixels[i] = Math.max(pixels[i] || 0, ink);
      }
    }
  }

  function finish() {
    if (!drawing) return;
    drawing = false;
    last = null;
    model.set("pixels", pixels.slice());
    model.set("strokes", model.get("strokes") + 1);
    model.save_changes();
  }

  canvas.addEventListener("pointerdown", (ev) => {
    drawing = true;
    canvas.setPointerCapture(ev.pointerId);
    paint(ev);
  });
  canvas.addEventListener("pointermove", (ev) => { if (drawing) paint(ev); });
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  const clear = document.createElement("button");
  clear.textContent = "Clear";
  clear.className = "jupyter-button widget-button";
  clear.style.display = "block";
  clear.style.marginTop = "4px";
  clear.addEventListener("click", () => {
    pixels = new Array(rows * cols).fill(0);
    draw();
    model.set("pixels", pixels.slice());
    model.save_changes();
  });

  model.on("change:pixels", () => { pixels = model.get("pixels").slice(); draw(); });
  draw();
  wrap.appendChild(canvas);
  wrap.appendChild(clear);
  el.appendChild(wrap);
}
export default { render };
"""


class DrawingCanvas(anywidget.AnyWidget):
    """A rows x cols drawing surface (28 x 28 by default, like MNIST), white ink on black.

    ``canvas.image`` is the drawing as a float32 (rows, cols) array in [0, 1]; observe
    ``pixels`` (or ``strokes``, which counts finished strokes) to react to drawing;
    ``canvas.image = array`` shows an image; ``canvas.clear()`` wipes it.
    """

    _esm = _ESM
    rows = T.Int(28).tag(sync=True)
    cols = T.Int(28).tag(sync=True)
    scale = T.Int(8).tag(sync=True)
    brush = T.Float(1.0).tag(sync=True)
    pixels = T.List(T.Float()).tag(sync=True)
    strokes = T.Int(0).tag(sync=True)

    def __init__(self, rows: int = 28, cols: int = 28, scale: int = 8, brush: float = 1.0):
        for name, value, low, high in (
            ("rows", rows, 2, 128),
            ("cols", cols, 2, 128),
            ("scale", scale, 1, 40),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
        if not isinstance(brush, (int, float)) or not 0.3 <= brush <= 10:
            raise ValueError(f"brush must be a number of cells in [0.3, 10], got {brush!r}")
        super().__init__(
            rows=rows, cols=cols, scale=scale, brush=float(brush), pixels=[0.0] * (rows * cols)
        )

    @property
    def image(self) -> np.ndarray:
        return np.asarray(self.pixels, dtype=np.float32).reshape(self.rows, self.cols)

    @image.setter
    def image(self, value) -> None:
        arr = np.asarray(value, dtype=np.float32)
        if arr.shape != (self.rows, self.cols):
            raise ValueError(f"image must be ({self.rows}, {self.cols}), got shape {arr.shape}")
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            raise ValueError(
                f"image values must be in [0, 1], got {arr.min():.3g} .. {arr.max():.3g}"
            )
        self.pixels = arr.ravel().tolist()

    def clear(self) -> None:
        self.pixels = [0.0] * (self.rows * self.cols)
