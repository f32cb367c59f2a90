"""A copy of a conversation's tracker without replaying the conversation.

Before each action Rasa 3.6 copies the tracker (`MessageProcessor._run_action`), and
`DialogueStateTracker.copy` replays every event of the conversation onto a new one, so
the cost of every action grows with the conversation. A tracker's state is, by Rasa's own
rule, what its events make of it ("MUST be re-creatable by processing all the events"),
so here the copy takes the state as it is: its own event list and slots, the rest shared
as the replay shares it (the same event objects). Like the replay, the copy has no
model or assistant id, which the processor sets on the tracker and no event carries.
"""

from __future__ import annotations

import dataclasses

from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

_original_copy = DialogueStateTracker.copy


def _slot_copy(slot: Slot) -> Slot:
    """`copy.copy(slot)`, which Rasa uses, without the pickle protocol's detour.

    Rasa's slots keep their attributes in `__dict__` and define no `__copy__`,
    `__reduce__` or `__slots__`, so a new object with a copy of the `__dict__` is what
    `copy.copy` makes (tests/e2e/test_prediction_states_speedup.py checks it).
    """
    duplicate = object.__new__(type(slot))
    duplicate.__dict__.update(slot.__dict__)
    return duplicate


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """Rasa's `DialogueStateTracker.copy`, taking the state instead of replaying events."""
    # Subclasses (the training trackers) keep more state: they are copied Rasa's way.
    if type(self) is not DialogueStateTracker or type(self.slots) is not dict:
        return _original_copy(self)
    duplicate = object.__new__(DialogueStateTracker)
    duplicate.__dict__.update(self.__dict__)
    duplicate.events = self._create_events(list(self.events))
    duplicate.slots = {name: _slot_copy(slot) for name, slot in self.slots.items()}
    if self.active_loop is not None:
        duplicate.active_loop = dataclasses.replace(self.active_loop)
    duplicate.model_id = None
    duplicate.assistant_id = None
    return duplicate
