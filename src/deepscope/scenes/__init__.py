"""Pure compute behind each panel: functions that return numbers and frames, never figures."""
