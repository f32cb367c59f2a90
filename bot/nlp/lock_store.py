"""Rasa's Redis lock store with atomic tickets, for Rasa replicas that share conversations.

Rasa handles one message of a conversation at a time: each message takes a ticket from
the conversation's lock and waits until its ticket is served. Rasa Open Source's
`RedisLockStore` issues a ticket by reading the lock, adding the ticket in Python and
writing the lock back (RasaHQ/rasa#9213; the INCR-based fix was reverted from Open Source
in RasaHQ/rasa#11428 and lives on only in Rasa Pro). Finishing a ticket, dropping expired
ones and deleting an unused lock are read-modify-writes too. With two replicas behind a
load balancer, two messages of one conversation arriving at once can then take the same
ticket and run together, or one replica deletes the lock just after another took a ticket
from it, and that message fails with a `LockError`.

`AtomicRedisLockStore` does every read-modify-write in one Lua script, which Redis runs
without interleaving anything else. The value stays the JSON of Rasa's `TicketLock.dumps`,
so Rasa's own `get_lock` and waiting loop read it unchanged, and tickets expire on the
replicas' clocks (`time.time()`) as Rasa's do. The key itself expires a little after its
latest ticket, so the lock of a replica that crashed mid-message cannot outlive it.

Configured in endpoints.yml by module path (Rasa then calls the class with
`endpoint_config=`); `url` is a Redis URL (`redis://host:port/db`, as REDIS_URL) or,
as for Rasa's own `type: redis`, a plain host; Rasa's other keys (port, db, password,
key_prefix, ...) may follow and win over the URL's parts:

    lock_store:
      type: bot.nlp.lock_store.AtomicRedisLockStore
      url: redis://127.0.0.1:6379/0
      key_prefix: asf
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.commands.core import Script

log = logging.getLogger(__name__)

# How often a message waiting for its conversation's turn looks again (Rasa: 1 s, which
# a message queued behind another then waits on average half of).
POLL_SECONDS = 0.05

# A message whose ticket is still renewed after this long is stuck; its ticket is left
# to expire, so that the conversation goes on.
MAX_HOLD_SECONDS = 300.0

# How long a lock's key outlives its latest ticket: room for the replicas' clocks to
# differ from each other and from Redis's, which times the key.
DEFAULT_EXPIRY_MARGIN = 10.0

# Shared by every script. KEYS[1]: the lock's key. ARGV[1]: now, the caller's
# time.time(); ARGV[2]: the conversation id as JSON; ARGV[3]: the key's margin in ms.
# Tickets are kept as the JSON strings Rasa wrote them in; only new ones are made here.
_PRELUDE = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local conversation_json = ARGV[2]
local margin_ms = tonumber(ARGV[3])

-- The lock's tickets that have not expired, oldest first, and whether the lock exists.
local function live_tickets()
  local stored = redis.call('GET', key)
  local live = {}
  if not stored then
    return live, false
  end
  for _, raw in ipairs(cjson.decode(stored).tickets or {}) do
    local ticket = cjson.decode(raw)
    -- As Rasa's Ticket.has_expired: expired once now is past `expires`.
    if ticket.expires >= now then
      table.insert(live, {number = ticket.number, expires = ticket.expires, raw = raw})
    end
  end
  return live, true
end

-- Every ticket but `number`.
local function without(tickets, number)
  local kept = {}
  for _, ticket in ipairs(tickets) do
    if ticket.number ~= number then
      table.insert(kept, ticket)
    end
  end
  return kept
end

-- Write the lock as TicketLock.dumps does, expiring a margin after its latest ticket.
local function save(tickets)
  local parts = {}
  local latest = now
  for i, ticket in ipairs(tickets) do
    parts[i] = cjson.encode(ticket.raw)
    latest = math.max(latest, ticket.expires)
  end
  local value = '{"conversation_id": ' .. conversation_json .. ', "tickets": ['
    .. table.concat(parts, ', ') .. ']}'
  redis.call('SET', key, value, 'PX', math.max(1, math.ceil((latest - now) * 1000) + margin_ms))
end

-- Save the lock, or delete it when no ticket is left; return 1 if it was deleted.
local function save_or_delete(tickets)
  if #tickets == 0 then
    redis.call('DEL', key)
    return 1
  end
  save(tickets)
  return 0
end
"""

# ARGV[4]: the new ticket's expiry as JSON. Returns the ticket's number: one more than
# the latest live ticket's, 0 for a new lock (as TicketLock.issue_ticket).
_ISSUE_TICKET = """
local tickets = live_tickets()
local number = 0
if #tickets > 0 then
  number = tickets[#tickets].number + 1
end
local raw = '{"number": ' .. string.format('%d', number) .. ', "expires": ' .. ARGV[4] .. '}'
table.insert(tickets, {number = number, expires = tonumber(ARGV[4]), raw = raw})
save(tickets)
return number
"""

# ARGV[4]: the ticket served. The lock stays, even empty, as Rasa's finish_serving.
_FINISH_SERVING = """
local tickets, found = live_tickets()
if found then
  save(without(tickets, tonumber(ARGV[4])))
end
return 0
"""

# ARGV[4]: the ticket served. Deletes the lock only if no one else holds a ticket.
_CLEANUP = """
local tickets, found = live_tickets()
if not found then
  return 0
end
return save_or_delete(without(tickets, tonumber(ARGV[4])))
"""

# ARGV[4]: a ticket; ARGV[5]: its new expiry as JSON. Returns 1 if the ticket was still
# there (and now lives longer), 0 if it had expired or been served.
_RENEW = """
local tickets, found = live_tickets()
if not found then
  return 0
end
local renewed = 0
for _, ticket in ipairs(tickets) do
  if ticket.number == tonumber(ARGV[4]) then
    ticket.expires = tonumber(ARGV[5])
    ticket.raw = '{"number": ' .. string.format('%d', ticket.number) .. ', "expires": '
      .. ARGV[5] .. '}'
    renewed = 1
  end
end
save_or_delete(tickets)
return renewed
"""

# Drop expired tickets. A lock left with none is deleted: whoever still waits on it had
# a ticket that expired, and Rasa's waiting loop then raises LockError, as it should.
_UPDATE_LOCK = """
local tickets, found = live_tickets()
if not found then
  return 0
end
return save_or_delete(tickets)
"""


def redis_options(url: str | None) -> dict[str, Any]:
    """Return RedisLockStore's connection arguments for a Redis URL or a plain host."""
    if not url:
        return {}
    if "://" not in url:
        return {"host": url}  # as Rasa's `type: redis`, whose `url` is the host
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"the lock store's url must be redis:// or rediss://, not {parts.scheme}")
    options: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "db": int(parts.path.strip("/") or 0),
        "use_ssl": parts.scheme == "rediss",
    }
    if parts.port:
        options["port"] = parts.port
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:
        options["password"] = unquote(parts.password)
    return options


class AtomicRedisLockStore(RedisLockStore):
    """A RedisLockStore whose every change of a lock is one atomic Lua script.

    Two more differences from Rasa's: a message's ticket is renewed while its replica
    waits for its turn and while it handles the message, so the ticket lifetime
    (TICKET_LOCK_LIFETIME) bounds only how long a replica that died holds a
    conversation, never how long a live one may wait or work; and a waiting message
    looks for its turn every POLL_SECONDS instead of every second.
    """

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        url: str | None = None,
        expiry_margin: float = DEFAULT_EXPIRY_MARGIN,
        **kwargs: Any,
    ) -> None:
        if endpoint_config is not None:
            url = url or endpoint_config.url
            kwargs = {**endpoint_config.kwargs, **kwargs}
        expiry_margin = float(kwargs.pop("expiry_margin", expiry_margin))
        super().__init__(**{**redis_options(url), **kwargs})
        self._margin_ms = math.ceil(expiry_margin * 1000)
        self._issue = self.red.register_script(_PRELUDE + _ISSUE_TICKET)
        self._finish = self.red.register_script(_PRELUDE + _FINISH_SERVING)
        self._cleanup = self.red.register_script(_PRELUDE + _CLEANUP)
        self._update = self.red.register_script(_PRELUDE + _UPDATE_LOCK)
        self._renew = self.red.register_script(_PRELUDE + _RENEW)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        """Take a ticket, wait for its turn, and keep it alive until the message is done."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        keeper = asyncio.ensure_future(self._keep_alive(conversation_id, ticket, lock_lifetime))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            keeper.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_alive(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        """Renew `ticket` every third of its lifetime, up to MAX_HOLD_SECONDS in all."""
        deadline = time.monotonic() + MAX_HOLD_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(lifetime / 3)
            try:
                if not self.renew(conversation_id, ticket, lifetime):
                    return
            except Exception:
                # Redis briefly away: the ticket may expire, and then Rasa's own waiting
                # loop decides, as it would without renewal.
                log.warning("Could not renew a conversation's lock ticket", exc_info=True)

    def renew(self, conversation_id: str, ticket_number: int, lifetime: float) -> bool:
        """Make `ticket_number` expire `lifetime` from now; False if it is gone already."""
        now = time.time()
        renewed = self._run(
            self._renew, conversation_id, now, ticket_number, json.dumps(now + lifetime)
        )
        return bool(renewed)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Add a ticket for `conversation_id` and return its number, in one step."""
        now = time.time()
        try:
            return int(
                self._run(self._issue, conversation_id, now, json.dumps(now + lock_lifetime))
            )
        except Exception as error:
            # As Rasa's issue_ticket: whatever went wrong, the message cannot take a turn.
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket `ticket_number` (and expired ones) from the lock, in one step."""
        self._run(self._finish, conversation_id, time.time(), ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish serving `ticket_number`; delete the lock if nobody else waits, in one step."""
        deleted = self._run(self._cleanup, conversation_id, time.time(), ticket_number)
        if deleted:
            self._log_deletion(conversation_id, deletion_successful=True)

    def update_lock(self, conversation_id: str) -> None:
        """Drop the lock's expired tickets, in one step."""
        self._run(self._update, conversation_id, time.time())

    def save_lock(self, lock: TicketLock) -> None:
        """Write `lock` whole (Rasa's flow no longer does), expiring as the scripts do."""
        now = time.time()
        latest = max([now, *(ticket.expires for ticket in lock.tickets)])
        milliseconds = max(1, math.ceil((latest - now) * 1000) + self._margin_ms)
        self.red.set(self.key_prefix + lock.conversation_id, lock.dumps(), px=milliseconds)

    def _run(self, script: Script, conversation_id: str, now: float, *args: Any) -> Any:
        """Run one of the scripts on `conversation_id`'s lock."""
        return script(
            keys=[self.key_prefix + conversation_id],
            args=[json.dumps(now), json.dumps(conversation_id), self._margin_ms, *args],
        )
