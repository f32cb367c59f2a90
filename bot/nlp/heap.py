"""Once the model is loaded, Python's garbage collector leaves it alone.

The loaded model (spaCy, scikit-learn, the policies' lookups, Rasa's graph) is millions
of objects that live as long as the server. Python's collector still walks all of them
at every full collection: under the bench's load (bench/results/scale.md) the Rasa
server ran one every 7 to 10 seconds, each taking 250 to 500 ms, during which its event
loop answered nothing, so every message in flight waited that long once more. After the
model is loaded, `gc.freeze()` moves everything alive to a generation the collector
does not walk; what a conversation creates is still collected as before.

A model loaded again while the server runs (Rasa's `PUT /model`) would stay in memory
with the old one frozen; the launcher loads one model per start.
"""

from __future__ import annotations

import gc
from typing import Any

import rasa.core.run

_original_load_agent_on_start = rasa.core.run.load_agent_on_start


async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
    """Rasa's start-up listener that loads the model, then the model frozen in place."""
    agent = await _original_load_agent_on_start(*args, **kwargs)
    freeze()
    return agent


def freeze() -> None:
    """Collect what is garbage now, then keep the collector off everything left."""
    gc.collect()
    gc.freeze()


def install() -> None:
    """Freeze the heap after the model loads (before Rasa's server starts; idempotent)."""
    rasa.core.run.load_agent_on_start = load_agent_on_start


def uninstall() -> None:
    """Put Rasa's listener back (for tests)."""
    rasa.core.run.load_agent_on_start = _original_load_agent_on_start
