import numpy as np

from deepscope.widgets import AutoencoderPanel


def test_it_trains_live_then_maps_the_codes_and_decodes_a_click():
    p = AutoencoderPanel(epochs=4)  # no event loop: trains to the end
    assert p.trained and len(p.history) == 4
    assert "A code of 32 numbers for 784 pixels: 24.5× smaller" in p.message.value
    strip = np.asarray(p.train_fig.trace("strip")["z"])
    assert strip.shape == (2 * 28 + 2, 8 * 30)  # digits above, reconstructions below
    codes = p.code_fig.trace("codes")
    assert len(codes["x"]) == 500
    p.code_fig._custom_msg(None, {"event": "click", "points": [
        {"trace": "codes", "x": 1.5, "y": -0.5, "z": None, "index": 0}]}, [])  # fmt: skip
    assert (p.code_x, p.code_y) == (1.5, -0.5)
    assert list(p.code_fig.trace("clicked")["x"]) == [1.5]
    assert np.asarray(p.code_fig.trace("decoded")["z"]).shape == (28, 28)


def test_the_critique_is_shown_and_bad_widths_are_a_message():
    p = AutoencoderPanel(compute=False, epochs=2, loss="bce")
    p.train()
    assert "BCE's floor" in p.message.value
    p.state = {"architecture": "typed", "sizes": "784-10"}
    p.train()
    assert "sizes must be an odd number" in p.message.value
    p.state = {"sizes": "784-16-784", "loss": "mse", "scaled": False}
    p.train()
    assert "cannot reach them" in p.message.value
    p.loss = "bce"
    p.train()
    assert "BCE needs targets in [0, 1]" in p.message.value


def test_the_transfer_tab_trains_three_networks_and_says_which_won():
    from deepscope.widgets import AutoencoderPanel

    p = AutoencoderPanel(compute=False)
    assert p.tab_titles[:2] == ("Autoencoder", "Transfer learning")
    tab = p.transfer
    assert "FROZEN" in tab.network.value and "not run yet" in tab.status.value
    tab.start()  # no event loop: to the end (an autoencoder is pretrained first)
    acc = tab.job.result.at(100)
    bars = tab.fig.trace("at the slider's labels")
    assert list(bars["x"]) == ["frozen", "fine-tuned", "scratch"]
    np.testing.assert_allclose(bars["y"], [acc["frozen"], acc["fine-tuned"], acc["scratch"]])
    assert all(0.5 < a < 1 for a in acc.values())
    assert "with 100 labelled digits" in tab.status.value
    assert ("trails" in tab.explain.value) == (acc["frozen"] < acc["scratch"])
    assert f"{acc['frozen']:.1%}" in tab.network.value
    # the encoder the classifiers start from is the autoencoder's: frozen, it did not move
    frozen = tab.job.result.models["frozen"]
    ae = tab.job.result.autoencoder
    np.testing.assert_array_equal(frozen.layers[0].params["W"], ae.layers[0].params["W"])


def test_the_critique_tab_compares_losses_and_code_sizes():
    from deepscope.widgets import AutoencoderPanel

    p = AutoencoderPanel(compute=False, epochs=2)
    tab = p.critique
    tab.compare()  # no event loop: to the end
    c = tab.comparison
    assert set(c.mse) == {"mse", "bce"} and all(0 < v < 0.07 for v in c.mse.values())
    np.testing.assert_allclose(c.errors["mse"], (c.rebuilt["mse"] - c.images) ** 2)
    title = tab.losses_fig.plot_layout["title"]["text"]
    assert f"{c.mse['mse']:.4f} trained on MSE" in title and f"{c.bce_floor:.3f}, not 0" in title
    assert c.bce_floor > 0.03  # grey pixels: a perfect copy still costs BCE something
    tab.curve()
    k = tab.code_curve
    assert np.isfinite(k.autoencoder).all() and (np.diff(k.pca) < 0).all()
    assert k.autoencoder[-1] < k.autoencoder[0] < k.mean_digit  # a bigger code rebuilds better
    np.testing.assert_allclose(tab.sizes_fig.trace("autoencoder")["y"], k.autoencoder)
