// deepscope Figure: a plotly.js chart as plain widget state plus small update messages.
//
// plotly.js itself (about 5 MB) travels once per page, in the state of one PlotlyJS model that
// every figure points at, and is loaded as a classic script the first time a figure draws
// (from the model's url where the server offers plotly.js as a file, else from its source).
// Nothing heavy happens while anywidget initialises the model (it allows 2 s for that).
const LOADED = "__deepscope_plotly__";
const REF = "IPY_MODEL_";

function loadPlotly(model) {
  if (!globalThis[LOADED]) {
    globalThis[LOADED] = (async () => {
      const ref = model.get("_plotly");
      const lib = await model.widget_manager.get_model(ref.slice(REF.length));
      if (!window.Plotly || window.Plotly.version !== lib.get("version")) {
        const script = document.createElement("script");
        if (lib.get("url")) {  // a file the browser keeps: fetched once, not once a page
          await new Promise((resolve, reject) => {
            script.onload = resolve;
            script.onerror = () => reject(new Error(`plotly.js did not load from ${lib.get("url")}`));
            script.src = lib.get("url");
            document.head.appendChild(script);
          });
        } else {
          script.textContent = lib.get("source");
          document.head.appendChild(script);
        }
        script.remove();
      }
      if (!window.Plotly) throw new Error("plotly.js did not load");
      return window.Plotly;
    })();
    globalThis[LOADED].catch(() => delete globalThis[LOADED]);
  }
  return globalThis[LOADED];
}

// Binary arrays arrive as DataViews inside {dtype, shape, bdata} (plotly.js's own typed-array
// spec). `unpack` makes the bdata an ArrayBuffer (the form kept in the model's state, which
// ipywidgets saves as binary); `decode` turns each spec into typed arrays once, so Plotly.react
// sees the same arrays on the next draw and recomputes only what changed.
function unpack(value) {
  if (value instanceof DataView) {
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  }
  if (Array.isArray(value)) return value.map(unpack);
  if (value && typeof value === "object" && !(value instanceof ArrayBuffer)) {
    const out = {};
    for (const key of Object.keys(value)) out[key] = unpack(value[key]);
    return out;
  }
  return value;
}

const TYPES = {
  f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array,
  i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array,
};

function typed(spec) {
  const flat = new TYPES[spec.dtype](spec.bdata);
  const shape = String(spec.shape).split(",").map(Number);
  const rows = (array, n, width) =>
    Array.from({ length: n }, (_, r) => array.subarray(r * width, (r + 1) * width));
  if (shape.length === 1) return flat;
  if (shape.length === 2) return rows(flat, shape[0], shape[1]);
  const plane = shape[1] * shape[2];
  return rows(flat, shape[0], plane).map((p) => rows(p, shape[1], shape[2]));
}

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object" && !(value instanceof ArrayBuffer)) {
    if (value.bdata instanceof ArrayBuffer && value.dtype in TYPES) return typed(value);
    const out = {};
    for (const key of Object.keys(value)) out[key] = decode(value[key]);
    return out;
  }
  return value;
}

// What a paint hands plotly.js: fresh plain objects all the way down (plotly.js writes into
// them: automatic contour levels, colour bar lengths), the data arrays shared, so that
// Plotly.react sees unchanged data as unchanged.
function fresh(value) {
  if (Array.isArray(value)) {
    const plain = value.length && value[0] && typeof value[0] === "object" && !Array.isArray(value[0])
      && !ArrayBuffer.isView(value[0]);
    return plain ? value.map(fresh) : value;
  }
  if (value && typeof value === "object" && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
    const out = {};
    for (const key of Object.keys(value)) out[key] = fresh(value[key]);
    return out;
  }
  return value;
}

function putBuffers(content, paths, buffers) {
  paths.forEach((path, i) => {
    let obj = content;
    for (const key of path.slice(0, -1)) obj = obj[key];
    obj[path[path.length - 1]] = buffers[i];
  });
}

// A copy of obj with obj[a][b]... = value for the dotted path "a.b...": the objects along the
// path are new, everything else is shared, so Plotly.react sees exactly what changed.
function setPath(obj, path, value) {
  const [head, ...rest] = path;
  const out = Array.isArray(obj) ? obj.slice() : { ...(obj || {}) };
  out[head] = rest.length ? setPath(out[head], rest, value) : value;
  return out;
}

function applyUpdate(figure, update) {
  let { traces, layout } = figure;
  for (const [index, props] of Object.entries(update.traces || {})) {
    let trace = traces[+index];
    for (const [key, value] of Object.entries(props)) trace = setPath(trace, key.split("."), value);
    traces = setPath(traces, [+index], trace);
  }
  for (const [key, value] of Object.entries(update.layout || {})) {
    layout = setPath(layout, key.split("."), value);
  }
  return { traces, layout };
}

// One store per model. anywidget hands initialize and render different proxies of the same
// model, so the store is keyed by the figure's own id; it goes when the model does.
const STORES = new Map();

function store(model) {
  const key = model.get("_uid");
  let s = STORES.get(key);
  if (!s) {
    s = { views: new Set(), quiet: false, replots: 0 };
    const reload = () => {
      if (s.quiet) return;
      s.raw = { traces: unpack(model.get("traces")), layout: unpack(model.get("plot_layout")) };
      s.shown = decode(s.raw);
      s.config = model.get("config");
      s.views.forEach((draw) => draw());
    };
    reload();
    model.on("change:traces", reload);
    model.on("change:plot_layout", reload);
    model.on("msg:custom", (msg, buffers) => {
      if (msg.kind !== "update") return;
      putBuffers(msg, msg.buffer_paths || [], buffers || []);
      const update = unpack(msg);
      s.raw = applyUpdate(s.raw, update);
      s.shown = applyUpdate(s.shown, decode(update));
      if (update.replot) s.replots += 1;
      // keep the model's own state current: a notebook saved with widget state starts
      // from what is shown now
      s.quiet = true;
      model.set("traces", s.raw.traces);
      model.set("plot_layout", s.raw.layout);
      s.quiet = false;
      s.views.forEach((draw) => draw());
    });
    model.on("destroy", () => STORES.delete(key));
    STORES.set(key, s);
  }
  return s;
}

function initialize({ model }) {
  store(model);
}

async function render({ model, el }) {
  const s = store(model);
  el.classList.add("deepscope-figure");
  el.style.width = "100%";
  const div = document.createElement("div");
  div.style.width = "100%";
  el.appendChild(div);
  let Plotly;
  try {
    Plotly = await loadPlotly(model);
  } catch (err) {
    div.textContent = `This figure could not load plotly.js: ${err}`;
    console.error("[deepscope]", err);
    return;
  }
  let queued = false;
  let drawn = Promise.resolve();
  let restUntil = 0;
  let replots = s.replots;
  let listening = false;
  // clicks go to Python by trace name (again after a new plot, which drops listeners)
  const listen = () => {
    listening = true;
    div.on("plotly_click", (event) => {
      const points = event.points.map((p) => ({
        trace: s.shown.traces[p.curveNumber] ? s.shown.traces[p.curveNumber].name : null,
        x: p.x,
        y: p.y,
        z: p.z === undefined ? null : p.z,
        index: p.pointIndex === undefined ? p.pointNumber : p.pointIndex,
      }));
      model.send({ event: "click", points });
    });
  };
  // On a dashboard a hidden figure (display: none on it or a parent: another tab, the view
  // not chosen) is drawn when it is first shown, so a page opens with only what it shows to
  // draw. In a notebook (JupyterLab) every figure draws as the cells run, as before.
  const shown = () => (el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0);
  let skipped = false;
  const paint = () => {
    queued = false;
    skipped = el.isConnected && !el.closest(".jp-NotebookPanel") && !shown();
    if (skipped) return drawn;
    const data = s.shown.traces.map(fresh);
    const layout = fresh(s.shown.layout);
    // read with the data it goes with: a paint queued behind a slow one keeps its own
    const anew = replots !== s.replots;
    replots = s.replots;
    drawn = drawn
      .then(async () => {
        const t0 = performance.now();
        await (anew ? Plotly.newPlot : Plotly.react)(div, data, layout, s.config);
        if (anew || !listening) listen();
        width = Math.round(div._fullLayout.width);
        // a heavy figure rests as long as it took to paint, so the page stays responsive
        restUntil = performance.now() + (performance.now() - t0);
      })
      .catch((err) => console.error(`[deepscope] a figure failed to draw: ${err && err.stack}`));
    return drawn;
  };
  // several messages between two paints draw once, with the latest state
  const draw = () => {
    if (queued) return;
    queued = true;
    const frame = () => (document.hidden ? setTimeout(paint, 50) : requestAnimationFrame(paint));
    const rest = restUntil - performance.now();
    if (rest > 0) setTimeout(frame, rest);
    else frame();
  };
  // follow the width of the output column (plotly.js sizes itself once, when drawn): from
  // the width it drew at, since the column may have changed while it drew (a neighbour
  // figure appearing beside it in a row)
  let width = 0;
  s.views.add(draw);
  await paint();
  const resized = new ResizeObserver(() => {
    requestAnimationFrame(() => {
      if (skipped) {
        if (shown()) draw();  // shown at last
      } else if (div._fullLayout && el.offsetWidth > 0 && el.offsetWidth !== width) {
        width = el.offsetWidth;
        Plotly.Plots.resize(div);
      }
    });
  });
  resized.observe(el);
  return () => {
    s.views.delete(draw);
    resized.disconnect();
    Plotly.purge(div);
  };
}

export default { initialize, render };
