"""Frame player shared by the panels: a Play button jslinked to a scrub slider, so playback
runs in the browser and Python renders whichever frame the slider shows (scrubbing back works).
"""

from __future__ import annotations

import ipywidgets as W


class Player(W.HBox):
    """Play / Pause plus a slider over frames 0..n-1; ``on_frame(i)`` is called for each."""

    def __init__(self, on_frame, interval_ms: int = 120, description: str = "frame"):
        self.play = W.Play(
            min=0,
            max=0,
            step=1,
            interval=interval_ms,
            description="Play",
            layout=W.Layout(width="auto"),
        )
        self.slider = W.IntSlider(
            min=0,
            max=0,
            description=description,
            continuous_update=True,
            layout=W.Layout(width="360px"),
        )
        W.jslink((self.play, "value"), (self.slider, "value"))
        self.slider.observe(lambda change: on_frame(change["new"]), names="value")
        super().__init__([self.play, self.slider])

    def load(self, n_frames: int) -> None:
        """Point the player at a new list of n frames and show frame 0."""
        self.play.playing = False
        self.play.value = 0
        self.slider.value = 0
        self.play.max = self.slider.max = max(n_frames - 1, 0)
