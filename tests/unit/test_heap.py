"""The Rasa server's collector leaves the loaded model alone (bot/nlp/heap.py)."""

from __future__ import annotations

import asyncio
import gc

import pytest
import rasa.core.run

from bot.nlp import heap


@pytest.fixture
def model_loader(monkeypatch):
    loaded = {"model": [object() for _ in range(1000)]}

    async def load_agent_on_start(model_path, endpoints, remote_storage, app, loop):
        return loaded

    monkeypatch.setattr(heap, "_original_load_agent_on_start", load_agent_on_start)
    heap.install()
    yield loaded
    heap.uninstall()
    gc.unfreeze()


def test_what_is_alive_once_the_model_is_loaded_is_left_out_of_collections(model_loader):
    gc.unfreeze()
    agent = asyncio.run(rasa.core.run.load_agent_on_start("models", None, None, None, None))
    assert agent is model_loader
    # Everything the model holds is frozen: a full collection no longer walks it.
    assert gc.get_freeze_count() >= len(model_loader["model"])
    tracked = {id(o) for o in gc.get_objects()}
    assert id(model_loader["model"]) not in tracked
    # What comes later is collected as before.
    later: list = []
    later.append(later)
    assert any(o is later for o in gc.get_objects())


def test_rasas_own_listener_comes_back():
    heap.install()
    heap.uninstall()
    assert rasa.core.run.load_agent_on_start is heap._original_load_agent_on_start
