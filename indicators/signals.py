"""Signals the indicators app sends for the apps above it to act on (they connect in their ready())."""

from django.dispatch import Signal

# Sent when a recompute run ends, succeeded or failed, with `run_id`: the actions app turns what the run
# changed into notifications. A signal, so the recompute imports nothing from the layer above it.
run_finished = Signal()
