"""One contract, every panel in PANELS: what the gallery, the lessons and a link rely on."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from deepscope.widgets import PANELS, Panel
from deepscope.widgets.panel import format_value, parse_value
from deepscope.widgets.theme import COLUMN

NAMES = sorted(PANELS)


def build(name, **kwargs):
    return PANELS[name](compute=False, **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_built_with_no_arguments_on_the_kit(name):
    cls = PANELS[name]
    assert issubclass(cls, Panel)
    panel = cls() if not cls.train_on_start else build(name)
    assert panel.figures, "a panel draws with Figure"
    assert set(panel.state_keys()) <= set(panel.traits())


@pytest.mark.parametrize("name", NAMES)
def test_state_round_trips_through_json(name):
    panel = build(name)
    state = json.loads(json.dumps(panel.state))
    other = build(name)
    other.state = state
    assert other.state == panel.state
    with pytest.raises(ValueError, match="unknown state keys"):
        other.state = {"no_such_setting": 1}


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_argument_is_named(name):
    with pytest.raises(TypeError, match="'colour'"):
        PANELS[name](colour="red")


@pytest.mark.parametrize("name", NAMES)
def test_hidden_hides_each_control_and_is_state(name):
    panel = build(name)
    assert set(panel.controls) == set(PANELS[name].control_names())  # what a lesson may hide
    for control in panel.controls:
        panel.hidden = [control]
        assert panel.controls[control].layout.display == "none", control
        assert panel.state["hidden"] == [control]
    panel.hidden = []
    assert all(
        w.layout.display != "none"
        for n, w in panel.controls.items()
        if n not in panel._context_hidden
    )
    with pytest.raises(Exception, match="does not have"):
        panel.hidden = ["no_such_control"]


@pytest.mark.parametrize("name", NAMES)
def test_a_link_carries_the_setup(name):
    panel = build(name)
    changed = {}
    for key in panel.state_keys():
        trait = panel.traits()[key]
        values = getattr(trait, "values", None)
        if values and key != "step" and len(values) > 1:
            changed[key] = [v for v in values if v != getattr(panel, key)][0]
    panel.state = changed
    query = panel.query()
    for key in changed:
        assert f"{key}=" in query
    other = build(name)
    assert other.apply_query(query) == []
    assert other.state == panel.state
    assert panel.query() in panel.link.value.replace("&amp;", "&")


@pytest.mark.parametrize("name", NAMES)
def test_bad_values_in_a_link_give_messages_not_exceptions(name):
    panel = build(name)
    before = panel.state
    keys = [k for k in panel.state_keys() if k != "hidden"]
    query = "&".join(f"{k}=%00nonsense%00" for k in keys) + "&no_such_setting=1&hidden=nope"
    problems = panel.apply_query(query)
    assert len(problems) >= 2 and "no_such_setting" in " ".join(problems)
    assert "not used" in panel.message.value
    # text keys may take the text; every other setting kept its default
    for key in keys:
        if not isinstance(panel.traits()[key], type(panel.traits()["hidden"])):
            if panel.state[key] != before[key]:
                assert isinstance(panel.state[key], str), key


@pytest.mark.parametrize("name", NAMES)
def test_figures_are_valid_plotly_and_fit_the_column(name):
    panel = build(name)
    for fig in panel.figures:
        go.Figure(data=fig.traces, layout=fig.plot_layout)
        width = fig.plot_layout.get("width")
        assert width is None or width <= COLUMN
        font = fig.plot_layout.get("font", {}).get("size", 12)
        assert font >= 14, "readable on a projector"


@pytest.mark.parametrize("name", NAMES)
def test_one_message_per_figure_per_frame(name, messages):
    panel = build(name)
    if "step" not in panel.state_keys():
        pytest.skip("no frames")
    if panel.trains() and panel.train_on_start:
        panel.train()
    player = panel.controls["step"]
    if player.slider.max < 2:  # frames come from an action (Learn): make some
        for action in ("learn",):
            if hasattr(panel, action):
                getattr(panel, action)()
    assert player.slider.max >= 2, "a panel with a step has frames to step through"
    sent = [messages(fig) for fig in panel.figures]
    panel.step = 2
    assert all(len(s) <= 1 for s in sent)


@pytest.mark.parametrize(
    "trait_value",
    [
        (1.5, "1.5"),
        (True, "true"),
        ([1.0, 2.0], "1.0,2.0"),
        ([[1.0, 0.0], [0.0, 1.0]], "1.0,0.0;0.0,1.0"),
    ],
)
def test_link_values_round_trip(trait_value):
    import traitlets as T

    value, text = trait_value
    trait = {
        float: T.Float(),
        bool: T.Bool(),
    }.get(type(value))
    if trait is None:
        trait = T.List(T.List(T.Float())) if isinstance(value[0], list) else T.List(T.Float())
    assert format_value(value) == text
    assert parse_value(trait, text) == value
    with pytest.raises(ValueError, match="expected"):
        parse_value(T.Float(), "1e999")
    assert np.isfinite(parse_value(T.Float(), "1e300"))
