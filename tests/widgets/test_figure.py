import numpy as np
import pytest

from deepscope.widgets.figure import Figure, PlotlyJS, flatten, pack, plotly_js


def make():
    return Figure(
        [
            dict(type="heatmap", name="map", z=np.zeros((2, 3), np.float32)),
            dict(type="scatter", name="line", x=[0, 1], y=[1, 2], marker=dict(color="red")),
        ],
        layout={"title": {"text": "start"}, "height": 300},
    )


def test_arrays_travel_as_typed_binary_and_nan_is_a_gap():
    z = np.array([[1.0, np.nan]], np.float32)
    packed = pack({"z": z, "n": np.int64(3), "bad": float("inf"), "xs": [1.0, float("nan")]})
    assert packed["z"]["dtype"] == "f4" and packed["z"]["shape"] == "1,2"
    assert bytes(packed["z"]["bdata"]) == z.tobytes()  # NaN stays inside the array
    assert packed["n"] == 3 and packed["bad"] is None and packed["xs"] == [1.0, None]
    assert pack(np.array([True, False]))["dtype"] == "u1"
    assert pack(np.arange(3))["dtype"] == "i4"
    assert pack(np.array([2**40]))["dtype"] == "f8"
    assert pack(np.array(["a", "b"])) == ["a", "b"]


def test_a_batch_is_one_message_with_binary_buffers(monkeypatch):
    fig = make()
    sent = []
    monkeypatch.setattr(fig, "send", lambda content, buffers=None: sent.append((content, buffers)))
    with fig.batch():
        fig.update("line", y=np.array([3.0, 4.0]), marker={"size": 9})
        fig.update("map", z=np.ones((2, 3)))
        fig.relayout(title={"text": "moved"})
    assert len(sent) == 1 and fig.sent == 1
    content, buffers = sent[0]
    assert content["traces"]["1"]["marker.size"] == 9
    assert content["layout"] == {"title.text": "moved"}
    assert len(buffers) == 2 and len(content["buffer_paths"]) == 2
    fig.relayout(height=400)  # outside a batch: a message of its own
    assert len(sent) == 2


def test_a_replot_rides_with_the_update_it_redraws(monkeypatch):
    fig = make()
    sent = []
    monkeypatch.setattr(fig, "send", lambda content, buffers=None: sent.append(content))
    with fig.batch():
        fig.replot()
        fig.update("map", z=np.ones((4, 4)))
    assert len(sent) == 1 and sent[0]["replot"] is True and "0" in sent[0]["traces"]
    fig.replot()  # alone, it still reaches the browser
    assert len(sent) == 2 and sent[1]["replot"] is True


def test_the_kernel_keeps_the_current_figure():
    fig = make()
    fig.update("line", marker={"size": 9})
    fig.relayout(title={"text": "now"})
    line = fig.trace("line")
    assert line["marker"] == {"color": "red", "size": 9}  # nested: one attribute changed
    state = fig.get_state()  # what a reloaded page receives
    assert state["plot_layout"]["title"]["text"] == "now"
    assert state["traces"][1]["marker"]["size"] == 9


def test_names_are_unique_and_addressed():
    with pytest.raises(ValueError, match="two traces are named 'a'"):
        Figure([dict(type="scatter", name="a"), dict(type="bar", name="a")])
    with pytest.raises(ValueError, match="needs a 'type' and a 'name'"):
        Figure([dict(type="scatter")])
    fig = make()
    with pytest.raises(KeyError, match="no trace named 'lines'"):
        fig.update("lines", x=[1])
    fig.add("bar", "votes", x=["a"], y=[1])
    assert fig.names == ["map", "line", "votes"]


def test_clicks_reach_the_handlers_of_their_traces():
    fig = make()
    got = []
    fig.on_click(lambda name, point: got.append((name, point["x"])), traces=["map"])
    click = {"event": "click", "points": [{"trace": "map", "x": 2, "y": 1}]}
    fig._custom_msg(fig, click, [])
    fig._custom_msg(fig, {"event": "click", "points": [{"trace": "line", "x": 0}]}, [])
    assert got == [("map", 2)]


def test_plotly_js_travels_once_per_kernel():
    a, b = make(), make()
    assert a._plotly is b._plotly is plotly_js()
    assert isinstance(a._plotly, PlotlyJS) and len(a._plotly.source) > 1_000_000
    assert a._plotly.version.count(".") == 2


def test_flatten_nested_props():
    assert flatten({"marker": {"color": "red", "line": {"width": 2}}, "x": [1]}) == {
        "marker.color": "red",
        "marker.line.width": 2,
        "x": [1],
    }
