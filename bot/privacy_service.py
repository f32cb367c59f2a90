"""Use cases: keep an address with consent, show it, delete it, export it, purge old ones.

Any flow that needs a visitor's address (a question handed to staff, say) records it
through `PrivacyService.record` with its own purpose, after the consent form, and reads it
back with `address_of` when it needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.email_address import parse_address
from bot.privacy import ConsentRecord, Purpose, retention_deadline
from bot.pseudonym import conversation_ref
from bot.storage.consents import ConsentRepository
from bot.storage.conversations import ConversationRepository


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Deletion:
    """What a deletion removed."""

    records: int
    conversations: int


class PrivacyService:
    """Addresses kept with consent, found by conversation (visitors) or address (staff).

    `conversations` is Rasa's tracker store; only staff commands need it. In a chat, the
    Rasa server deletes the conversation itself (see bot.nlp.tracker_store).
    """

    def __init__(
        self,
        consents: ConsentRepository,
        pseudonym_key: str,
        retention_days: int,
        clock: Callable[[], datetime] = _now,
        conversations: ConversationRepository | None = None,
    ) -> None:
        self._consents = consents
        self._key = pseudonym_key
        self._retention_days = retention_days
        self._clock = clock
        self._conversations = conversations

    def record(
        self,
        address: str,
        purpose: Purpose,
        policy_version: str,
        conversation_id: str,
        consented_at: datetime | None = None,
    ) -> int:
        """Keep `address` for `purpose` under the consent given in a conversation; return its id.

        Raises bot.email_address.InvalidAddress if `address` is not a valid address.
        """
        consented_at = consented_at or self._clock()
        return self._consents.add(
            address=parse_address(address),
            purpose=purpose,
            policy_version=policy_version,
            consented_at=consented_at,
            conversation_ref=conversation_ref(self._key, conversation_id),
            retain_until=retention_deadline(consented_at, self._retention_days),
        )

    def stored_for(self, conversation_id: str) -> list[ConsentRecord]:
        """Return what is kept from one conversation."""
        return self._consents.for_conversation(conversation_ref(self._key, conversation_id))

    def address_of(self, conversation_id: str, record_id: int) -> str | None:
        """Return the address of one record, if it was given in this conversation."""
        records = self.stored_for(conversation_id)
        return next((r.address for r in records if r.id == record_id), None)

    def forget(self, conversation_id: str) -> int:
        """Delete the addresses and consent records of one conversation; return how many."""
        return self._consents.delete(r.id for r in self.stored_for(conversation_id))

    def export(self, address: str) -> dict[str, Any]:
        """Return everything kept about an address: its records and their conversations."""
        records = self._consents.for_address(address)
        return {
            "address": address,
            "records": [record.as_dict() for record in records],
            "conversations": [
                {"conversation_ref": ref, "events": self._require_conversations().events(sender)}
                for ref, sender in self._senders_of(records)
            ],
        }

    def delete(self, address: str) -> Deletion:
        """Delete an address's records and the conversations they were given in."""
        return self._delete(self._consents.for_address(address))

    def purge(self) -> Deletion:
        """Delete every record past its retention deadline, with its conversation."""
        return self._delete(self._consents.expired(self._clock()))

    def _delete(self, records: list[ConsentRecord]) -> Deletion:
        senders = self._senders_of(records)
        deleted = self._consents.delete(r.id for r in records)
        # A conversation goes once no record kept from it is left.
        remaining = {r.conversation_ref for r in self._consents.all()}
        conversations = self._require_conversations()
        gone = sum(
            1 for ref, sender in senders if ref not in remaining and conversations.delete(sender)
        )
        return Deletion(records=deleted, conversations=gone)

    def _require_conversations(self) -> ConversationRepository:
        if self._conversations is None:
            raise RuntimeError("this PrivacyService was built without the tracker store")
        return self._conversations

    def _senders_of(self, records: Iterable[ConsentRecord]) -> list[tuple[str, str]]:
        """Return (conversation_ref, sender id) of the stored conversations of `records`."""
        refs = {r.conversation_ref for r in records}
        if not refs:
            return []
        senders = self._require_conversations().sender_ids()
        by_ref = {conversation_ref(self._key, sender): sender for sender in senders}
        return sorted((ref, by_ref[ref]) for ref in refs if ref in by_ref)
