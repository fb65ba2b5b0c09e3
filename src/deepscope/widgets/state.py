"""Shared by the panels: every teachable parameter is a traitlet listed in STATE_KEYS, and
``panel.state`` reads or sets them all as one JSON-able dict (a lesson's saved setup)."""

from __future__ import annotations


class PanelState:
    """Mixin for a panel (a traitlets HasTraits) with a tuple ``STATE_KEYS``."""

    STATE_KEYS: tuple[str, ...] = ()

    def _check_arguments(self, kwargs: dict) -> None:
        for key in kwargs:
            if key not in self.STATE_KEYS:
                raise TypeError(
                    f"{type(self).__name__} got an unknown argument {key!r}; "
                    f"allowed: {', '.join(self.STATE_KEYS)}"
                )

    @property
    def state(self) -> dict:
        out = {}
        for key in self.STATE_KEYS:
            value = getattr(self, key)
            out[key] = list(value) if isinstance(value, (list, tuple)) else value
        return out

    @state.setter
    def state(self, value: dict) -> None:
        unknown = set(value) - set(self.STATE_KEYS)
        if unknown:
            raise ValueError(f"unknown state keys {sorted(unknown)}; allowed {self.STATE_KEYS}")
        self._apply_state(value)

    def _apply_state(self, value: dict) -> None:
        with self.hold_trait_notifications():
            for key, v in value.items():
                setattr(self, key, v)
