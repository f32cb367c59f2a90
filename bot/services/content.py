"""Content that staff change without retraining: calls, contacts, checklist, privacy texts,
what the bot says when it hands a question to staff, and the counselling summary's texts.

The files are plain YAML under the content folder and are read again whenever they
change on disk, so an edit shows in the very next answer.

Every text is written three times: in Swedish at its own key, and in English and in
lättläst (easy-to-read) Swedish under the file's `en:` and `lattlast:` sections, which
repeat the Swedish keys (a call's text has its `en:` and `lattlast:` beside it). Values
that are not text (the statement's version, the main topics, a call's name and link)
are written once and shared. A variant lacking a text is an error that names it: the
loader never shows Swedish in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from dataclasses import field as default
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from bot.domain.checklist import CRITERIA, Answer, ChecklistResult, Outcome, Verdict
from bot.domain.consent import ConsentRecord, Purpose
from bot.domain.email_address import Problem
from bot.domain.escalation import MAX_QUESTION_LENGTH, OfferReason, PendingQuestion, QuestionProblem
from bot.domain.summary_mail import MailDeletion, StoredSummaryMail
from bot.domain.ticket import StoredTicket, Withdrawal
from bot.domain.variants import Variant
from bot.services.texts import TextSet

T = TypeVar("T")


class ContentError(ValueError):
    """A content file is missing, malformed or lacks a required field."""


# The sections that hold a file's English and lättläst texts.
VARIANT_SECTIONS = tuple(v.value for v in Variant if v is not Variant.SV)
# Written in the English privacy statement where the binding Swedish statement goes.
SWEDISH_STATEMENT = "{swedish}"


def _variant_data(
    data: Any, source: str, variant: Variant, shared: tuple[str, ...] = ()
) -> tuple[dict[str, Any], str]:
    """Return the texts of one variant of a parsed file (its shared values added) and the
    name to report errors by, e.g. "checklist.yml [en]"."""
    if not isinstance(data, dict):
        raise ContentError(f"{source}: expected a mapping")
    if variant is Variant.SV:
        return {k: v for k, v in data.items() if k not in VARIANT_SECTIONS}, source
    section = data.get(variant.value)
    if not isinstance(section, dict):
        raise ContentError(f"{source}: '{variant.value}' is missing (the {variant.value} texts)")
    return {k: data[k] for k in shared if k in data} | section, f"{source} [{variant.value}]"


@dataclass(frozen=True)
class Call:
    """A call for funding ("utlysning") and what visitors should be told about it."""

    name: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Calls:
    """Open and closed calls, plus a note shown when none is open."""

    open: tuple[Call, ...]
    closed: tuple[Call, ...]
    note: str

    def summary(self) -> str:
        """Return the text that tells a visitor about the calls."""
        calls = self.open or self.closed
        lines = [f"{c.text} {c.url}" if c.url else c.text for c in calls]
        if not self.open and self.note:
            lines.append(self.note)
        return "\n".join(lines)


@dataclass(frozen=True)
class Contact:
    """Who visitors can turn to at the agency."""

    name: str
    organisation: str
    phone: str
    email: str


@dataclass(frozen=True)
class ChecklistTexts:
    """What the checklist asks and explains, and how its result reads."""

    questions: dict[str, str]
    answers: dict[str, str]
    explanations: dict[str, str]
    heading: str
    attention_heading: str
    labels: dict[str, str]
    outcomes: dict[str, str]
    practice: dict[str, str]
    verdicts: dict[str, str]
    disclaimer: str
    which_answer: str
    button_titles: dict[str, str]

    def result(self, result: ChecklistResult) -> str:
        """Return the result as the visitor reads it."""
        lines = [self.heading]
        lines += [f"• {self.labels[c]}: {self.outcomes[o.value]}" for c, o in result.outcomes]
        attention = result.needing_attention()
        if attention:
            lines += ["", self.attention_heading]
            lines += [f"• {self.labels[c]}: {self.practice[c]}" for c, _ in attention]
        lines += ["", self.verdicts[result.verdict.value], self.disclaimer]
        return "\n".join(lines)


@dataclass(frozen=True)
class PrivacyTexts:
    """The privacy statement, its version, and what the bot says about addresses."""

    version: str
    statement: str
    consent_question: str
    answers: dict[str, str]
    ask_address: str
    problems: dict[str, str]
    summary_consent_question: str
    summary_saved: str
    summary_on_its_way: str
    summary_not_sent: str
    summary_failed: str
    saved: str
    declined: str
    give_up: str
    stored_none: str
    stored_heading: str
    stored_item: str
    stored_ticket: str
    stored_question: str
    stored_summary: str
    stored_conversation: str
    delete_heading: str
    delete_address: str
    delete_ticket: str
    delete_question: str
    delete_summary: str
    delete_conversation: str
    delete_warning: str
    delete_answers: dict[str, str]
    deleted: str
    deleted_nothing_kept: str
    deleted_question: str
    deleted_ticket_unsent: str
    deleted_ticket_sent: str
    deleted_summary_unsent: str
    deleted_summary_sent: str
    session_ended: str
    session_ended_statistics: str
    session_ended_votes: str
    # How each purpose (bot.domain.consent.Purpose, by name) is told to the visitor.
    purposes: dict[str, str] = default(default_factory=dict)

    def consent_request(self, purpose: Purpose | None = None) -> str:
        """Return the statement followed by the consent question, which names the purpose."""
        question = self.consent_question
        if purpose is Purpose.SUMMARY:
            question = self.summary_consent_question
        return f"{self.statement}\n\n{question}"

    def saved_for(self, purpose: Purpose) -> str:
        """Return the thanks once an address is kept for `purpose`."""
        return self.summary_saved if purpose is Purpose.SUMMARY else self.saved

    def problem(self, problem: Problem) -> str:
        """Return the re-ask that names what is wrong with a typed address."""
        return self.problems[problem.value]

    def with_contact(self, text: str, contact: Contact) -> str:
        """Return `text` with the contact's details filled in."""
        return text.format(
            name=contact.name,
            organisation=contact.organisation,
            phone=contact.phone,
            email=contact.email,
        )

    def stored(
        self,
        records: list[ConsentRecord],
        tickets: list[StoredTicket] | None = None,
        question: PendingQuestion | None = None,
        summaries: list[StoredSummaryMail] | None = None,
    ) -> str:
        """Return what the visitor is told when asking what is stored about them.

        `tickets` are the conversation's tickets that hold a reply address; `question` a
        question written for staff and not yet handed over; `summaries` the summary
        mails to the founder.
        """
        tickets, summaries = tickets or [], summaries or []
        if not records and not tickets and question is None and not summaries:
            return f"{self.stored_none}\n{self.stored_conversation}"
        items = [
            self.stored_item.format(
                address=r.address,
                purpose=self.purposes.get(r.purpose.name.lower(), r.purpose.value),
                consented_at=f"{r.consented_at:%Y-%m-%d}",
                version=r.policy_version,
                retain_until=f"{r.retain_until:%Y-%m-%d}",
            )
            for r in records
        ]
        items += [
            self.stored_ticket.format(
                reference=t.reference, created_at=f"{t.created_at:%Y-%m-%d}", address=t.reply_to
            )
            for t in tickets
        ]
        items += [
            self.stored_summary.format(created_at=f"{m.created_at:%Y-%m-%d}", address=m.mail_to)
            for m in summaries
        ]
        if question is not None:
            items.append(self.stored_question)
        return "\n".join([self.stored_heading, *items, self.stored_conversation])

    def deletion_question(
        self,
        records: list[ConsentRecord],
        tickets: list[StoredTicket] | None = None,
        question: PendingQuestion | None = None,
        summaries: list[StoredSummaryMail] | None = None,
    ) -> str:
        """Return the question asked before deleting: exactly what will go, and that it is final."""
        items = [self.delete_address.format(address=r.address) for r in records]
        items += [self.delete_ticket.format(reference=t.reference) for t in tickets or []]
        items += [self.delete_summary.format(address=m.mail_to) for m in summaries or []]
        if question is not None:
            items.append(self.delete_question)
        items.append(self.delete_conversation)
        return "\n".join([self.delete_heading, *items, self.delete_warning])

    def after_deletion(
        self,
        records: int,
        questions: int,
        tickets: Withdrawal,
        contact: Contact,
        summaries: MailDeletion | None = None,
    ) -> str:
        """Return what the visitor is told after "radera mina uppgifter", true to what
        happened: a question staff already had, with the address, stays with them."""
        summaries = summaries or MailDeletion()
        kept_address = records > 0 or tickets.tickets > 0 or summaries.mails > 0
        lines = [self.deleted if kept_address else self.deleted_nothing_kept]
        lines += self._what_else_went(questions, tickets, summaries)
        return self.with_contact(" ".join(lines), contact)

    def after_session_end(
        self,
        questions: int,
        tickets: Withdrawal,
        summaries: MailDeletion,
        checklists: int,
        contact: Contact,
        votes: int = 0,
    ) -> str:
        """Return what the visitor is told once "Avsluta och rensa" deleted the conversation
        and all it left; true to what happened, as after_deletion."""
        lines = [self.session_ended]
        if checklists:
            lines.append(self.session_ended_statistics)
        if votes:
            lines.append(self.session_ended_votes)
        lines += self._what_else_went(questions, tickets, summaries)
        return self.with_contact(" ".join(lines), contact)

    def _what_else_went(
        self, questions: int, tickets: Withdrawal, summaries: MailDeletion
    ) -> list[str]:
        lines = []
        if questions:
            lines.append(self.deleted_question)
        if tickets.unsent:
            lines.append(self.deleted_ticket_unsent)
        if tickets.sent:
            lines.append(self.deleted_ticket_sent)
        if summaries.unsent:
            lines.append(self.deleted_summary_unsent)
        if summaries.sent:
            lines.append(self.deleted_summary_sent)
        return lines


PRIVACY_TEXTS = tuple(
    name
    for name in PrivacyTexts.__dataclass_fields__
    if name not in ("answers", "delete_answers", "problems", "purposes")
)
PURPOSE_KEYS = tuple(p.name.lower() for p in Purpose)


def parse_privacy(
    data: Any, source: str = "privacy.yml", variant: Variant = Variant.SV
) -> PrivacyTexts:
    """Return the privacy texts of a parsed privacy file, in `variant`.

    The English statement is followed by the binding Swedish one: it must hold
    {swedish}, which is replaced by the Swedish statement word for word.
    """
    swedish, _ = _variant_data(data, source, Variant.SV)
    data, source = _variant_data(data, source, variant, shared=("version",))
    texts = {name: str(_require(data, name, source)).strip() for name in PRIVACY_TEXTS}
    if variant is Variant.EN:
        if SWEDISH_STATEMENT not in texts["statement"]:
            raise ContentError(f"{source}: 'statement' must end with {SWEDISH_STATEMENT}")
        original = str(_require(swedish, "statement", source)).strip()
        texts["statement"] = texts["statement"].replace(SWEDISH_STATEMENT, original)
    if variant is Variant.SV and "purposes" not in data:
        # The stored purpose is itself Swedish.
        purposes = {p.name.lower(): p.value for p in Purpose}
    else:
        purposes = _texts(data, "purposes", PURPOSE_KEYS, source)
    return PrivacyTexts(
        **texts,
        answers=_texts(data, "answers", ("ja", "nej"), source),
        delete_answers=_texts(data, "delete_answers", ("ja", "nej"), source),
        problems=_texts(data, "problems", tuple(p.value for p in Problem), source),
        purposes=purposes,
    )


@dataclass(frozen=True)
class EscalationTexts:
    """What the bot says when it did not understand, and when it hands a question to staff."""

    rephrase: str
    topics: dict[str, str]
    main_topics: tuple[str, ...]
    offers: dict[str, str]
    answers: dict[str, str]
    ask_question: str
    problems: dict[str, str]
    cancelled: str
    sent: str
    answer_time: str
    reply_by_email: str
    no_reply: str
    failed: str

    def offer(self, reason: OfferReason, contact: Contact) -> str:
        """Return the offer to send the question to staff, worded for why it is made."""
        return _fill(self.offers[reason.value], contact)

    def problem(self, problem: QuestionProblem) -> str:
        """Return what is wrong with a written question, before it is asked again."""
        return _fill(self.problems[problem.value], limit=MAX_QUESTION_LENGTH)

    def cancel(self, contact: Contact) -> str:
        """Return what the visitor is told when nothing is sent."""
        return _fill(self.cancelled, contact)

    def handed_over(self, reference: str, contact: Contact, reply_by_email: bool) -> str:
        """Return the reference and what happens next, with or without an address."""
        after = (self.answer_time or self.reply_by_email) if reply_by_email else self.no_reply
        return _fill(f"{self.sent} {after}", contact, reference=reference)

    def failure(self, contact: Contact) -> str:
        """Return what the visitor is told when the question could not be stored."""
        return _fill(self.failed, contact)


def _fill(text: str, contact: Contact | None = None, **values: object) -> str:
    if contact is not None:
        values |= {
            "name": contact.name,
            "organisation": contact.organisation,
            "phone": contact.phone,
            "email": contact.email,
        }
    return text.format(**values)


# Every placeholder an escalation text may use, with a sample value to check it by.
_ESCALATION_PLACEHOLDERS = {
    "name": "Namn",
    "organisation": "Organisation",
    "phone": "08-000 00 00",
    "email": "namn@exempel.se",
    "reference": "ASF-2026-000001",
    "limit": MAX_QUESTION_LENGTH,
}
_ESCALATION_TEXTS = (
    "rephrase",
    "ask_question",
    "cancelled",
    "sent",
    "reply_by_email",
    "no_reply",
    "failed",
)


def _checked(text: str, field: str, source: str) -> str:
    """Return `text` if it uses only known placeholders; ContentError naming `field` if not."""
    try:
        text.format(**_ESCALATION_PLACEHOLDERS)
    except (KeyError, IndexError, ValueError) as error:
        message = f"{source}: '{field}' has an unknown placeholder or a stray brace: {error}"
        raise ContentError(message) from error
    return text


def parse_escalation(
    data: Any, source: str = "escalation.yml", variant: Variant = Variant.SV
) -> EscalationTexts:
    """Return the escalation texts of a parsed escalation file, in `variant`."""
    swedish, _ = _variant_data(data, source, Variant.SV)
    data, source = _variant_data(data, source, variant, shared=("main_topics",))
    if swedish.get("answer_time") and not data.get("answer_time"):
        # Said in Swedish, the answering time must be said in every variant.
        raise ContentError(f"{source}: 'answer_time' is missing")
    texts = {name: str(_require(data, name, source)).strip() for name in _ESCALATION_TEXTS}
    topics = data.get("topics")
    if not isinstance(topics, dict) or not topics:
        raise ContentError(f"{source}: 'topics' is missing")
    main_topics = tuple(data.get("main_topics") or ())
    unknown = [topic for topic in main_topics if topic not in topics]
    if not main_topics or unknown:
        raise ContentError(f"{source}: 'main_topics' must list topics from 'topics'")
    parsed = EscalationTexts(
        **texts,
        topics={str(k): str(v).strip() for k, v in topics.items()},
        main_topics=main_topics,
        offers=_texts(data, "offers", tuple(r.value for r in OfferReason), source),
        answers=_texts(data, "answers", ("ja", "nej"), source),
        problems=_texts(data, "problems", tuple(p.value for p in QuestionProblem), source),
        answer_time=str(data.get("answer_time") or "").strip(),
    )
    for field in (*_ESCALATION_TEXTS, "answer_time"):
        _checked(getattr(parsed, field), field, source)
    for section in ("offers", "problems"):
        for key, text in getattr(parsed, section).items():
            _checked(text, f"{section}.{key}", source)
    return parsed


def _texts(data: dict[str, Any], key: str, keys: tuple[str, ...], source: str) -> dict[str, str]:
    section = data.get(key)
    if not isinstance(section, dict):
        raise ContentError(f"{source}: '{key}' is missing")
    missing = [k for k in keys if not section.get(k)]
    if missing:
        raise ContentError(f"{source}: '{key}' lacks {', '.join(missing)}")
    return {k: str(section[k]).strip() for k in keys}


def parse_checklist(
    data: Any, source: str = "checklist.yml", variant: Variant = Variant.SV
) -> ChecklistTexts:
    """Return the checklist texts of a parsed checklist file, in `variant`."""
    data, source = _variant_data(data, source, variant)
    return ChecklistTexts(
        questions=_texts(data, "questions", CRITERIA, source),
        answers=_texts(data, "answers", tuple(a.value for a in Answer), source),
        explanations=_texts(data, "explanations", CRITERIA, source),
        heading=str(_require(data, "heading", source)),
        attention_heading=str(_require(data, "attention_heading", source)),
        labels=_texts(data, "labels", CRITERIA, source),
        outcomes=_texts(data, "outcomes", tuple(o.value for o in Outcome), source),
        practice=_texts(data, "practice", CRITERIA, source),
        verdicts=_texts(data, "verdicts", tuple(v.value for v in Verdict), source),
        disclaimer=str(_require(data, "disclaimer", source)).strip(),
        which_answer=str(_require(data, "which_answer", source)),
        button_titles=_texts(data, "button_titles", CRITERIA, source),
    )


@dataclass(frozen=True)
class CounsellingTexts:
    """Headings and labels of a counselling meeting's summary, and what it quotes."""

    title: str
    date_label: str
    checklist_heading: str
    answer_label: str
    outcome_label: str
    practice_label: str
    not_answered: str
    verdict_heading: str
    verdict_pending: str
    legal_forms_heading: str
    legal_forms: tuple[str, ...]
    calls_heading: str
    contact_heading: str
    phone_label: str
    email_label: str
    source_heading: str
    source_title: str
    source_publisher: str
    # The mail the summary is attached to. {date}, {filename}, {retain_until} and the
    # contact's {name}, {organisation}, {phone}, {email}.
    mail: dict[str, str] = default(default_factory=dict)
    # The language the summary is written in, for its lang attribute: "sv" or "en".
    language: str = "sv"


# The parts of the summary's mail, in the order the mail shows them.
MAIL_TEXTS = ("subject", "heading", "greeting", "intro", "about", "why", "questions")
_MAIL_PLACEHOLDERS = {
    "date": "2026-12-03",
    "filename": "sammanfattning-2026-12-03.pdf",
    "retain_until": "2027-01-02",
    **{k: v for k, v in _ESCALATION_PLACEHOLDERS.items() if k != "reference"},
}


def parse_counselling(
    data: Any, source: str = "counselling.yml", variant: Variant = Variant.SV
) -> CounsellingTexts:
    """Return the summary texts of a parsed counselling file, in `variant`."""
    data, source = _variant_data(data, source, variant)
    skip = ("legal_forms", "mail", "language")
    names = [name for name in CounsellingTexts.__dataclass_fields__ if name not in skip]
    texts = {name: str(_require(data, name, source)).strip() for name in names}
    paragraphs = data.get("legal_forms")
    if not isinstance(paragraphs, list) or not paragraphs or not all(paragraphs):
        raise ContentError(f"{source}: 'legal_forms' must list the page's paragraphs")
    mail = _texts(data, "mail", MAIL_TEXTS, source)
    for key, text in mail.items():
        try:
            text.format(**_MAIL_PLACEHOLDERS)
        except (KeyError, IndexError, ValueError) as error:
            message = f"{source}: 'mail.{key}' has an unknown placeholder or a stray brace"
            raise ContentError(f"{message}: {error}") from error
    return CounsellingTexts(
        **texts,
        legal_forms=tuple(str(p).strip() for p in paragraphs),
        mail=mail,
        language="en" if variant is Variant.EN else "sv",
    )


def _require(data: dict[str, Any], key: str, source: str) -> Any:
    value = data.get(key)
    if value in (None, ""):
        raise ContentError(f"{source}: '{key}' is missing")
    return value


def _call(data: dict[str, Any], source: str, variant: Variant) -> Call:
    name = str(_require(data, "name", source))
    key = "text" if variant is Variant.SV else variant.value
    if not data.get(key):
        raise ContentError(f"{source}: '{key}' is missing (the call {name})")
    return Call(name=name, text=str(data[key]).strip(), url=data.get("url") or None)


def parse_calls(data: Any, source: str = "calls.yml", variant: Variant = Variant.SV) -> Calls:
    """Return the calls described by a parsed calls file, their texts in `variant`.

    A call's text is `text`, with its `en` and `lattlast` beside it; the note's English
    and lättläst are in the file's `en:` and `lattlast:` sections.
    """
    if not isinstance(data, dict):
        raise ContentError(f"{source}: expected a mapping with 'open' and 'closed'")
    note = str(data.get("note") or "").strip()
    if variant is not Variant.SV and note:
        texts, where = _variant_data(data, source, variant)
        note = str(_require(texts, "note", where)).strip()
    return Calls(
        open=tuple(_call(item, source, variant) for item in data.get("open") or ()),
        closed=tuple(_call(item, source, variant) for item in data.get("closed") or ()),
        note=note,
    )


def parse_contact(data: Any, source: str = "contacts.yml") -> Contact:
    """Return the ASF contact described by a parsed contacts file."""
    if not isinstance(data, dict) or not isinstance(data.get("asf"), dict):
        raise ContentError(f"{source}: expected a mapping with an 'asf' contact")
    asf = data["asf"]
    return Contact(
        name=str(_require(asf, "name", source)),
        organisation=str(_require(asf, "organisation", source)),
        phone=str(_require(asf, "phone", source)),
        email=str(_require(asf, "email", source)),
    )


class _ContentFile(Generic[T]):
    """One YAML file, read again only when its modification time changes; each variant
    parsed when first asked for (a variant's missing text fails that variant only)."""

    def __init__(self, path: Path, parse: Callable[[Any, str, Variant], T]) -> None:
        self._path = path
        self._parse = parse
        self._stamp: tuple[int, int] | None = None
        self._data: Any = None
        self._values: dict[Variant, T] = {}

    def read(self, variant: Variant = Variant.SV) -> T:
        try:
            stat = self._path.stat()
        except FileNotFoundError as error:
            raise ContentError(f"{self._path} does not exist") from error
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                data = yaml.safe_load(self._path.read_text(encoding="utf-8"))
            except yaml.YAMLError as error:
                raise ContentError(f"{self._path}: {error}") from error
            self._data, self._values, self._stamp = data, {}, stamp
        variant = Variant(variant)
        if variant not in self._values:
            self._values[variant] = self._parse(self._data, str(self._path), variant)
        return self._values[variant]


class ContentRepository:
    """Reads the content folder: calls, contacts, checklist, privacy, escalation, counselling."""

    def __init__(self, content_dir: Path) -> None:
        self._calls = _ContentFile(content_dir / "calls.yml", parse_calls)
        self._contact = _ContentFile(
            content_dir / "contacts.yml", lambda data, source, _: parse_contact(data, source)
        )
        self._checklist = _ContentFile(content_dir / "checklist.yml", parse_checklist)
        self._privacy = _ContentFile(content_dir / "privacy.yml", parse_privacy)
        self._escalation = _ContentFile(content_dir / "escalation.yml", parse_escalation)
        self._counselling = _ContentFile(content_dir / "counselling.yml", parse_counselling)

    def calls(self, variant: Variant = Variant.SV) -> Calls:
        """Return the current calls, told in `variant`."""
        return self._calls.read(variant)

    def contact(self) -> Contact:
        """Return the current ASF contact (names, phone and address: the same in every variant)."""
        return self._contact.read()

    def checklist(self, variant: Variant = Variant.SV) -> ChecklistTexts:
        """Return the checklist texts, in `variant`."""
        return self._checklist.read(variant)

    def privacy(self, variant: Variant = Variant.SV) -> PrivacyTexts:
        """Return the privacy statement, its version and the texts about addresses, in `variant`."""
        return self._privacy.read(variant)

    def escalation(self, variant: Variant = Variant.SV) -> EscalationTexts:
        """Return what the bot says when it did not understand or hands a question to staff,
        in `variant`."""
        return self._escalation.read(variant)

    def counselling(self, variant: Variant = Variant.SV) -> CounsellingTexts:
        """Return the headings, labels and quotes of a counselling meeting's summary, in
        `variant`."""
        return self._counselling.read(variant)

    def check(self) -> None:
        """Raise ContentError unless every content file can be read, in every variant."""
        self.contact()
        for variant in Variant:
            self.calls(variant)
            self.checklist(variant)
            self.privacy(variant)
            self.escalation(variant)
            self.counselling(variant)


def load_text_fields(path: Path, kind: type[T]) -> T:
    """Read a YAML file of texts into the dataclass `kind`, one string per field.

    A missing or non-text field fails when the server starts, not in front of a visitor.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = [field.name for field in fields(kind)]  # type: ignore[arg-type]
    missing = [name for name in names if not isinstance(data.get(name), str)]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    return kind(**{name: data[name] for name in names})


# --- Every text in its three variants, for the checks and the bench ---------------------

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
# Values written once for every variant: not text a visitor reads as prose.
_SHARED = {
    "checklist.yml": (),
    "privacy.yml": ("version",),
    "escalation.yml": ("main_topics",),
    "counselling.yml": (),
}


def _leaves(value: Any, key: str) -> list[tuple[str, str]]:
    """The texts of a parsed YAML value with their dotted keys, e.g. "questions.business"."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{key}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{key}.{i}")]
    if isinstance(value, str) and value.strip():
        return [(key, value.strip())]
    return []


def _lookup(value: Any, key: str) -> str | None:
    for part in key.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def content_text_sets(content_dir: Path = CONTENT_DIR) -> list[TextSet]:
    """Return every visitor-facing text of the content files in its three variants
    (None where a variant lacks it), placeholders as written.

    The English privacy statement is given as shown: with the Swedish statement after it.
    The contact (contacts.yml) holds names, a phone number and an address only, the same
    in every variant, and is left out.
    """
    sets: list[TextSet] = []
    for name, shared in _SHARED.items():
        data = yaml.safe_load((content_dir / name).read_text(encoding="utf-8")) or {}
        swedish = {k: v for k, v in data.items() if k not in (*VARIANT_SECTIONS, *shared)}
        sections = {v: data.get(v) or {} for v in VARIANT_SECTIONS}
        for key, text in _leaves(swedish, ""):
            en, lattlast = (_lookup(sections[v], key) for v in VARIANT_SECTIONS)
            if name == "privacy.yml" and key == "statement" and en is not None:
                en = en.replace(SWEDISH_STATEMENT, text)
            sets.append(TextSet(f"content/{name}", key, text, en, lattlast))
    data = yaml.safe_load((content_dir / "calls.yml").read_text(encoding="utf-8")) or {}
    for kind in ("open", "closed"):
        for i, call in enumerate(data.get(kind) or ()):
            en, lattlast = (_lookup(call, v) for v in VARIANT_SECTIONS)
            text = str(call.get("text") or "").strip()
            sets.append(TextSet("content/calls.yml", f"{kind}.{i}.text", text, en, lattlast))
    if str(data.get("note") or "").strip():
        en, lattlast = (_lookup(data.get(v) or {}, "note") for v in VARIANT_SECTIONS)
        sets.append(TextSet("content/calls.yml", "note", data["note"].strip(), en, lattlast))
    return sets
