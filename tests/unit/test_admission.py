"""The Rasa server's admission gate: a few messages at once, the rest first come, first served."""

from __future__ import annotations

import asyncio

from rasa.core.processor import MessageProcessor

from bot.nlp import admission


def test_rasa_works_on_at_most_the_limit_and_lets_the_others_in_in_arrival_order(monkeypatch):
    running: list[int] = []
    started: list[int] = []
    most = 0

    async def handle_message(self, message):
        nonlocal most
        running.append(message)
        started.append(message)
        most = max(most, len(running))
        # Message 0 takes longest: the places it does not free go to 3, 4, ... in turn.
        await asyncio.sleep(0.05 if message == 0 else 0.01)
        running.remove(message)
        return [message]

    monkeypatch.setattr(admission, "_original_handle_message", handle_message)
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)
    admission.install(3)

    async def scenario() -> list:
        processor = object.__new__(MessageProcessor)
        tasks = []
        for n in range(10):
            tasks.append(asyncio.create_task(processor.handle_message(n)))
            await asyncio.sleep(0)  # they arrive one after another
        return await asyncio.gather(*tasks)

    assert asyncio.run(scenario()) == [[n] for n in range(10)]
    assert most == 3
    assert started == list(range(10))


def test_a_message_whose_client_gave_up_frees_its_place(monkeypatch):
    async def handle_message(self, message):
        await asyncio.sleep(10 if message == "slow" else 0)
        return [message]

    monkeypatch.setattr(admission, "_original_handle_message", handle_message)
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)
    admission.install(1)

    async def scenario() -> list:
        processor = object.__new__(MessageProcessor)
        slow = asyncio.create_task(processor.handle_message("slow"))
        await asyncio.sleep(0)
        waiting = asyncio.create_task(processor.handle_message("next"))
        await asyncio.sleep(0.01)
        slow.cancel()  # e.g. Sanic's response timeout
        return await asyncio.wait_for(waiting, 1)

    assert asyncio.run(scenario()) == ["next"]
