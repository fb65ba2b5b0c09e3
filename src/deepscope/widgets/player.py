"""Frame player shared by the panels: a Play button jslinked to a scrub slider, so playback
runs in the browser and Python renders whichever frame the slider shows (scrubbing back works).
"""

from __future__ import annotations

import ipywidgets as W


class Player(W.HBox):
    """Play / Pause plus a slider over frames 0..n-1; ``on_frame(i)`` is called for each.

    With ``buttons=True`` it also has Step (one frame on) and Reset (back to frame 0).
    ``bind(panel, "step")`` keeps a panel's integer traitlet and the slider equal both ways.
    """

    def __init__(
        self,
        on_frame=None,
        interval_ms: int = 120,
        description: str = "frame",
        buttons: bool = False,
    ):
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
            style={"description_width": "initial"},
            layout=W.Layout(width="250px"),
        )
        W.jslink((self.play, "value"), (self.slider, "value"))
        self._bound = None
        if on_frame is not None:
            self.slider.observe(lambda change: on_frame(change["new"]), names="value")
        children = [self.play, self.slider]
        if buttons:
            small = W.Layout(width="auto")
            self.step_button = W.Button(
                description="Step", icon="step-forward", tooltip="one frame on", layout=small
            )
            self.reset_button = W.Button(
                description="Reset", icon="undo", tooltip="back to frame 0", layout=small
            )
            self.step_button.on_click(lambda _: self.advance())
            self.reset_button.on_click(lambda _: self.reset())
            children += [self.step_button, self.reset_button]
        super().__init__(children, layout=W.Layout(flex_flow="row wrap", align_items="center"))

    def load(self, n_frames: int) -> None:
        """Point the player at a new list of n frames and show frame 0."""
        self.play.playing = False
        self.play.value = 0
        self.slider.value = 0
        self.set_frames(n_frames)

    def set_frames(self, n_frames: int) -> None:
        """Point the player at n frames, staying on the current frame while it exists (and
        moving to a bound step that was set before its frames existed)."""
        self.play.max = self.slider.max = max(n_frames - 1, 0)
        if self._bound is not None:
            owner, name = self._bound
            if n_frames > 1 and getattr(owner, name) > self.slider.max:
                setattr(owner, name, self.slider.max)  # a step past the end: the last frame
            self.show(getattr(owner, name))

    def show(self, i: int) -> None:
        """Move the slider (and Play, which the browser counts on from) to frame i; frames
        beyond the last are left for later."""
        if 0 <= i <= self.slider.max:
            if self.play.value != i:
                self.play.value = i
            if self.slider.value != i:
                self.slider.value = i

    def advance(self) -> None:
        """One frame on (the Step button)."""
        self.play.playing = False
        self.show(min(self.slider.value + 1, self.slider.max))

    def reset(self) -> None:
        """Back to frame 0 (the Reset button)."""
        self.play.playing = False
        self.show(0)

    def bind(self, owner, name: str = "step") -> None:
        """Keep ``owner.<name>`` (an Int traitlet) and the slider equal, both ways."""
        self._bound = (owner, name)
        self.slider.observe(lambda change: setattr(owner, name, change["new"]), names="value")
        owner.observe(lambda change: self.show(change["new"]), names=name)
