"""Keep, find and delete e-mail addresses given with consent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine, RowMapping

from bot.domain.consent import ConsentRecord, Purpose
from bot.storage.tables import as_utc, email_consents


def address_key(address: str) -> str:
    """Return the form addresses are looked up by: case-folded (ANNA@X.SE is anna@x.se)."""
    return address.strip().casefold()


def _record(row: RowMapping) -> ConsentRecord:
    return ConsentRecord(
        id=row["id"],
        address=row["address"],
        purpose=Purpose(row["purpose"]),
        policy_version=row["policy_version"],
        consented_at=as_utc(row["consented_at"]),
        conversation_ref=row["conversation_ref"],
        retain_until=as_utc(row["retain_until"]),
    )


class ConsentRepository:
    """Addresses and their consent records in the app database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self,
        address: str,
        purpose: Purpose,
        policy_version: str,
        consented_at: datetime,
        conversation_ref: str,
        retain_until: datetime,
    ) -> int:
        """Store one address with its consent record and return the record's id."""
        with self._engine.begin() as connection:
            result = connection.execute(
                email_consents.insert().values(
                    address=address,
                    address_key=address_key(address),
                    purpose=purpose.value,
                    policy_version=policy_version,
                    consented_at=as_utc(consented_at),
                    conversation_ref=conversation_ref,
                    retain_until=as_utc(retain_until),
                )
            )
            return int(result.inserted_primary_key[0])

    def _select(self, *conditions: object) -> list[ConsentRecord]:
        query = select(email_consents).where(*conditions).order_by(email_consents.c.id)
        with self._engine.connect() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def for_conversation(self, conversation_ref: str) -> list[ConsentRecord]:
        """Return the records made in one conversation, oldest first."""
        return self._select(email_consents.c.conversation_ref == conversation_ref)

    def for_address(self, address: str) -> list[ConsentRecord]:
        """Return the records of one address, oldest first."""
        return self._select(email_consents.c.address_key == address_key(address))

    def expired(self, now: datetime) -> list[ConsentRecord]:
        """Return the records whose retention deadline has passed."""
        return self._select(email_consents.c.retain_until < as_utc(now))

    def all(self) -> list[ConsentRecord]:
        """Return every record, oldest first."""
        return self._select()

    def delete(self, ids: Iterable[int]) -> int:
        """Delete the records with these ids; return how many were deleted."""
        ids = list(ids)
        if not ids:
            return 0
        with self._engine.begin() as connection:
            return connection.execute(
                delete(email_consents).where(email_consents.c.id.in_(ids))
            ).rowcount
