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


def _heads(fig):
    return " | ".join(a["text"] for a in fig.plot_layout.get("annotations", []))


def test_filling_in_masked_rebuilt_and_original_with_the_scenes_numbers():
    from deepscope.scenes import autoencoder as scene

    p = AutoencoderPanel(epochs=3)  # the default mask: rows 10-17 x columns 6-21
    z = np.asarray(p.more_fig.trace("fill")["z"], np.float64)
    assert z.shape == (3 * 28 + 4, 4 * 30)  # masked, rebuilt, original: four digits
    assert np.isnan(z[:28]).sum() == 4 * 8 * 16  # hidden pixels: gaps the blue shows through
    assert not np.isnan(z[28:]).any()
    f = scene.fill_in(p.model, p.X_test[:500], scene.rectangle_mask(10, 6, 8, 16), seed=1)
    heads = _heads(p.more_fig)
    assert "rows 10–17 × columns 6–21" in heads and "16% hidden" in heads
    assert f"{f.blank_error:.4f} left black" in heads
    assert f"{f.filled_error:.4f}</b> as rebuilt" in heads
    assert f.filled_error < f.blank_error and "trained without a mask" in heads
    assert len(p.more_fig.plot_layout["shapes"]) == 8  # the rectangle outlined on 2 rows
    # random pixels: the share slider instead of the rectangle's four
    p.mask = "pixels"
    assert p.controls["mask_fraction"].layout.display is None
    assert all(p.controls[n].layout.display == "none" for n in ("mask_top", "mask_width"))
    p.mask_fraction = 0.25
    assert "25% of the pixels at random" in _heads(p.more_fig)
    assert p.more_fig.plot_layout["shapes"] == []
    # a rectangle off the image is the scene's message; the rest of the panel still draws
    p.state = {"mask": "rectangle", "mask_top": 25}
    assert "runs off the bottom" in p.message.value and "top 25 + height 8 = 33" in p.message.value
    assert "must lie inside the image" in _heads(p.more_fig)
    p.mask_top = 20
    assert "runs off" not in p.message.value and "rows 20–27" in _heads(p.more_fig)
    # trained with the mask, it says so (and fills in closer than the one trained without)
    p.train_mask = True
    p.train()
    g = scene.fill_in(p.model, p.X_test[:500], scene.rectangle_mask(20, 6, 8, 16), seed=1)
    assert "trained with this mask" in _heads(p.more_fig) and f"{g.filled_error:.4f}" in _heads(
        p.more_fig
    )
    p.mask_height = 4
    assert "trained with another mask (rows 20–27 × columns 6–21)" in _heads(p.more_fig)


def test_the_manifold_grid_and_a_drawing_on_the_code_map(messages):
    from deepscope.scenes import autoencoder as scene

    p = AutoencoderPanel(epochs=2, architecture="784-64-2-64-784 (a 2-D code map)")
    X = p.X_test[:500]
    m = scene.manifold(p.model, X, 12)
    (image,) = p.code_fig.plot_layout["images"]
    assert image["source"].startswith("data:image/png;base64,") and image["layer"] == "below"
    x0, x1, y0, y1 = m.extent
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (x0, y1, x1 - x0, y1 - y0)
    assert p.code_fig.plot_layout["xaxis"]["range"] == [x0, x1]
    grid = p.code_fig.trace("grid")
    assert len(grid["x"]) == 144 and set(np.round(grid["x"], 6)) == set(np.round(m.xs, 6))
    assert "12 × 12 grid of decoded points" in p.code_fig.plot_layout["title"]["text"]
    # a click on a grid point decodes it
    at = {"trace": "grid", "x": float(m.xs[3]), "y": float(m.ys[5]), "z": None, "index": 0}
    p.code_fig._custom_msg(None, {"event": "click", "points": [at]}, [])
    np.testing.assert_allclose(
        np.asarray(p.code_fig.trace("decoded")["z"]).ravel(),
        np.clip(m.images[5, 3], 0, 1), rtol=1e-5, atol=1e-6,
    )  # fmt: skip
    p.manifold = 0
    assert p.code_fig.plot_layout["images"] == [] and len(p.code_fig.trace("grid")["x"]) == 0
    assert "grid" not in p.code_fig.plot_layout["title"]["text"]
    # nothing drawn: no star; a digit drawn lands where the map has that digit
    assert len(p.code_fig.trace("drawing")["x"]) == 0 and "draw on the left" in _heads(p.code_fig)
    sent = messages(p.code_fig)
    p.canvas.image = X[7].reshape(28, 28)
    assert sent == ["update"]  # the star, the rebuild and its heading: one message
    point = scene.code_plane(p.model, X, None)[0][7]
    np.testing.assert_allclose(
        [p.code_fig.trace("drawing")["x"][0], p.code_fig.trace("drawing")["y"][0]],
        point, rtol=1e-4, atol=1e-4,
    )  # fmt: skip
    placed = scene.place_on_plane(p.model, X, X[7])
    assert f"★ ({placed.point[0]:.2f}, {placed.point[1]:.2f}), MSE {placed.error:.4f}" in _heads(
        p.code_fig
    )
    drawn = np.asarray(p.code_fig.trace("drawn")["z"])
    assert drawn.shape == (28, 60)  # the drawing, then its rebuild
    np.testing.assert_allclose(drawn[:, 1:29], X[7].reshape(28, 28), rtol=1e-6)
    assert any(a.get("text") == "your drawing" for a in p.code_fig.plot_layout["annotations"])
    p.canvas.clear()
    assert len(p.code_fig.trace("drawing")["x"]) == 0 and "draw on the left" in _heads(p.code_fig)
    assert "canvas" in p.controls and "canvas" in AutoencoderPanel.control_names()
