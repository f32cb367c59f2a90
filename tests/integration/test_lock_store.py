"""The lock store on a real Redis: Rasa's own races across replicas, ours does not.

Each replica is an OS process with its own connection, as Rasa replicas are; they all
handle messages of one conversation, which Rasa must serve one at a time.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
import uuid
from dataclasses import dataclass

import pytest
import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore, RedisLockStore
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

from bot.nlp.lock_store import AtomicRedisLockStore
from tests.conftest import REDIS_URL

# The entry asf-bot's launcher writes to endpoints.yml when REDIS_URL is set.
ENDPOINTS = """\
lock_store:
  type: bot.nlp.lock_store.AtomicRedisLockStore
  url: redis://127.0.0.1:6379/0
  key_prefix: asf
"""

REPLICAS = 4
MESSAGES_EACH = 50
WORK_SECONDS = 0.003  # handling one message, while it holds the lock
POLL_SECONDS = 0.002  # how often a waiting message looks again (Rasa's default is 1 s)
MESSAGE_TIMEOUT = 2.0  # a message still waiting after this is stuck: it is never answered
# Rasa's store strands messages, so its replicas stop starting new ones after a few
# seconds; ours handle all 200 in about two, and get time to spare on a busy machine.
STOCK_DEADLINE = 3.0
ATOMIC_DEADLINE = 20.0


class Witness:
    """Mixed into a lock store: notes each ticket handed out while another holder has it."""

    prefix: str

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        ticket = super().issue_ticket(conversation_id, lock_lifetime)
        if not self.red.sadd(f"{self.prefix}:held", ticket):
            self.red.hincrby(f"{self.prefix}:stats", "duplicate tickets", 1)
        return ticket

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Given back before the store lets go of it, so a correct store never hands it
        # out while it is still in the set.
        self.red.srem(f"{self.prefix}:held", ticket_number)
        super().cleanup(conversation_id, ticket_number)


class WitnessedStockStore(Witness, RedisLockStore):
    """Rasa Open Source's RedisLockStore, watched."""


class WitnessedAtomicStore(Witness, AtomicRedisLockStore):
    """Our store, watched."""


def witnessed_store(store_class: type, prefix: str) -> Witness:
    """A store of `store_class` on the test's Redis, under the test's prefix."""
    store = store_class(host="127.0.0.1", port=6379, db=0, key_prefix=prefix)
    store.prefix = prefix
    return store


async def handle_one_message(store: LockStore, red: redis.Redis, prefix: str) -> None:
    """Take the conversation's lock as Rasa does around one message, and note who is inside."""
    async with store.lock("conversation", wait_time_in_seconds=POLL_SECONDS):
        if red.incr(f"{prefix}:inside") > 1:
            red.hincrby(f"{prefix}:stats", "messages run together", 1)
        try:
            await asyncio.sleep(WORK_SECONDS)
        finally:
            red.decr(f"{prefix}:inside")


async def handle_messages(store: LockStore, red: redis.Redis, prefix: str, seconds: float) -> None:
    """Handle MESSAGES_EACH messages in turn for at most `seconds`; count how each ended."""
    deadline = time.monotonic() + seconds
    for _ in range(MESSAGES_EACH):
        if time.monotonic() > deadline:
            red.hincrby(f"{prefix}:stats", "never started", 1)
            continue
        try:
            await asyncio.wait_for(handle_one_message(store, red, prefix), MESSAGE_TIMEOUT)
        except LockError:
            red.hincrby(f"{prefix}:stats", "lock errors", 1)
        except asyncio.TimeoutError:
            red.hincrby(f"{prefix}:stats", "stuck", 1)
        else:
            red.hincrby(f"{prefix}:stats", "handled", 1)


def replica(store_class: type, prefix: str, seconds: float, start) -> None:
    """One Rasa replica: its own store and connection, started with the others at once."""
    store = witnessed_store(store_class, prefix)
    red = redis.Redis.from_url(REDIS_URL)
    start.wait()
    asyncio.run(handle_messages(store, red, prefix, seconds))


def run_replicas(store_class: type, prefix: str, seconds: float) -> dict[str, int]:
    """Run REPLICAS replicas on one conversation for at most about `seconds`.

    Returns how their messages ended: handled, or what went wrong how many times.
    """
    # Forked, so each replica starts at once with what this process has imported.
    context = multiprocessing.get_context("fork")
    start = context.Barrier(REPLICAS)
    processes = [
        context.Process(target=replica, args=(store_class, prefix, seconds, start))
        for _ in range(REPLICAS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(seconds + 2 * MESSAGE_TIMEOUT)
    assert [p.exitcode for p in processes] == [0] * REPLICAS
    red = redis.Redis.from_url(REDIS_URL)
    stats = red.hgetall(f"{prefix}:stats")
    red.close()
    return {name.decode(): int(count) for name, count in stats.items()}


def raced(ended: dict[str, int]) -> bool:
    """Whether two messages of the conversation took the same ticket or ran at once."""
    return ended.get("duplicate tickets", 0) + ended.get("messages run together", 0) > 0


def test_with_rasas_redis_lock_store_replicas_run_one_conversations_messages_together(
    redis_prefix,
):
    # A real race, nothing staged, so it shows when it shows: nearly always in the
    # first run, at most three runs on fresh keys. (Lock errors and messages never
    # answered come with it.)
    for attempt in range(3):
        ended = run_replicas(WitnessedStockStore, f"{redis_prefix}x{attempt}", STOCK_DEADLINE)
        if raced(ended):
            break
    assert raced(ended), ended


def test_with_atomic_tickets_replicas_take_turns_and_every_message_is_handled(redis_prefix):
    ended = run_replicas(WitnessedAtomicStore, redis_prefix, ATOMIC_DEADLINE)
    assert ended == {"handled": REPLICAS * MESSAGES_EACH}
    # The last message out deleted the lock: nothing is left behind.
    assert not redis.Redis.from_url(REDIS_URL).exists(f"{redis_prefix}:lock:conversation")


@dataclass
class Stores:
    """Our store and a raw client on the test's Redis, under the test's prefix."""

    ours: AtomicRedisLockStore
    red: redis.Redis
    prefix: str

    def raw(self, conversation_id: str) -> bytes | None:
        return self.red.get(f"{self.prefix}:lock:{conversation_id}")


@pytest.fixture
def stores(redis_url, redis_prefix):
    ours = AtomicRedisLockStore(url=redis_url, key_prefix=redis_prefix, expiry_margin=0.2)
    red = redis.Redis.from_url(redis_url)
    yield Stores(ours, red, redis_prefix)
    red.close()
    ours.red.close()


def test_tickets_are_issued_in_order_and_served_in_order(stores):
    store = stores.ours
    assert [store.issue_ticket("c", 30) for _ in range(3)] == [0, 1, 2]
    lock = store.get_lock("c")
    assert lock.now_serving == 0
    assert lock.is_locked(1) and lock.is_locked(2)
    store.finish_serving("c", 0)
    assert store.get_lock("c").now_serving == 1
    store.cleanup("c", 1)
    assert store.get_lock("c").now_serving == 2
    assert store.issue_ticket("c", 30) == 3


async def test_a_crashed_replicas_ticket_expires_and_the_next_message_goes_through(stores):
    store = stores.ours
    # A replica took the lock and died before it gave it back.
    assert store.issue_ticket("c", lock_lifetime=0.3) == 0
    started = time.monotonic()
    async with store.lock("c", lock_lifetime=30, wait_time_in_seconds=0.05) as lock:
        waited = time.monotonic() - started
        assert lock.now_serving == 1
    assert 0.2 < waited < 2.0
    assert stores.raw("c") is None  # and the lock is gone once that message is done


async def test_a_live_replica_keeps_its_turn_however_long_it_works_and_the_next_waits(stores):
    store = stores.ours
    times: dict[str, float] = {}

    async def first() -> None:
        async with store.lock("c", lock_lifetime=0.3):
            times["first in"] = time.monotonic()
            await asyncio.sleep(1.2)  # four lifetimes: without renewal the ticket expires
            times["first out"] = time.monotonic()

    async def second() -> None:
        await asyncio.sleep(0.05)
        async with store.lock("c", lock_lifetime=0.3):  # waits four lifetimes, no LockError
            times["second in"] = time.monotonic()

    await asyncio.gather(first(), second())
    assert times["second in"] >= times["first out"]
    # A waiting message looks again often: its turn comes right after the first is done.
    assert times["second in"] - times["first out"] < 0.2
    assert stores.raw("c") is None


def test_the_lock_is_deleted_only_when_nobody_else_waits(stores):
    store = stores.ours
    store.issue_ticket("c", 30)
    store.issue_ticket("c", 30)
    store.cleanup("c", 0)
    assert [t.number for t in store.get_lock("c").tickets] == [1]
    store.cleanup("c", 1)
    assert stores.raw("c") is None
    store.cleanup("c", 1)  # once more, as after a retry: nothing to do, nothing breaks
    assert stores.raw("c") is None


def test_the_lock_key_expires_shortly_after_its_latest_ticket(stores):
    store = stores.ours
    key = f"{stores.prefix}:lock:c"
    store.issue_ticket("c", lock_lifetime=0.3)
    assert 0 < stores.red.pttl(key) <= 500  # 0.3 s and the 0.2 s margin
    store.issue_ticket("c", lock_lifetime=0.5)
    assert 500 < stores.red.pttl(key) <= 700
    time.sleep(0.9)
    assert stores.red.exists(key) == 0


def test_a_lock_saved_whole_through_rasas_api_expires_too(stores):
    lock = TicketLock("c")
    lock.issue_ticket(0.3)
    stores.ours.save_lock(lock)
    assert 0 < stores.red.pttl(f"{stores.prefix}:lock:c") <= 500
    assert stores.ours.get_lock("c").dumps() == lock.dumps()


def test_a_lock_whose_tickets_all_expired_is_deleted_when_a_waiter_looks_again(stores):
    store = stores.ours
    store.issue_ticket("c", lock_lifetime=0.1)
    time.sleep(0.2)
    store.update_lock("c")
    # Rasa's waiting loop then tells the waiter its lock has expired (LockError)
    # instead of waiting on an empty lock.
    assert store.get_lock("c") is None


@pytest.mark.parametrize("conversation_id", ["c", 'Åsa "kund" / 42', "sv-1:2"])
def test_rasas_own_code_reads_the_lock_exactly_as_it_would_have_written_it(stores, conversation_id):
    store = stores.ours
    before = time.time()
    store.issue_ticket(conversation_id, 30)
    store.issue_ticket(conversation_id, 60)
    raw = stores.raw(conversation_id)
    lock = TicketLock.from_dict(json.loads(raw))
    assert lock.conversation_id == conversation_id
    assert [t.number for t in lock.tickets] == [0, 1]
    assert before + 30 <= lock.tickets[0].expires <= time.time() + 30
    # The same text TicketLock.dumps writes, escapes and spacing included.
    assert raw.decode() == lock.dumps()
    assert store.get_lock(conversation_id).dumps() == lock.dumps()


def test_a_lock_rasas_own_store_wrote_is_carried_on_during_an_upgrade(stores):
    stock = RedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=stores.prefix)
    assert stock.issue_ticket("c", 30) == 0
    assert stores.ours.issue_ticket("c", 30) == 1
    stores.ours.cleanup("c", 0)
    assert stock.get_lock("c").now_serving == 1
    stock.red.close()


def test_rasa_builds_our_store_from_the_endpoints_file(redis_url, tmp_path):
    path = tmp_path / "endpoints.yml"
    path.write_text(ENDPOINTS, encoding="utf-8")
    store = LockStore.create(AvailableEndpoints.read_endpoints(str(path)).lock_store)
    assert type(store) is AtomicRedisLockStore
    assert store.key_prefix == "asf:lock:"
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("127.0.0.1", 6379, 0)
    conversation_id = f"test-{uuid.uuid4().hex}"
    try:
        assert store.issue_ticket(conversation_id, 30) == 0
        store.cleanup(conversation_id, 0)
        assert store.get_lock(conversation_id) is None
    finally:
        store.delete_lock(conversation_id)
        store.red.close()


def test_a_plain_host_as_for_rasas_own_redis_store_is_accepted_too():
    config = EndpointConfig(
        url="127.0.0.1",
        type="bot.nlp.lock_store.AtomicRedisLockStore",
        port=6380,
        db="3",
        key_prefix="asf",
    )
    store = LockStore.create(config)
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("127.0.0.1", 6380, 3)


def test_the_urls_parts_reach_the_connection_and_explicit_keys_win():
    store = AtomicRedisLockStore(url="redis://asf:s%40cret@10.0.0.7:6390/2", db=4)
    connection = store.red.connection_pool.connection_kwargs
    assert connection["host"] == "10.0.0.7"
    assert connection["port"] == 6390
    assert (connection["username"], connection["password"]) == ("asf", "s@cret")
    assert connection["db"] == 4


def test_a_url_that_is_not_redis_is_refused():
    with pytest.raises(ValueError, match="redis://"):
        AtomicRedisLockStore(url="http://127.0.0.1:6379/0")
