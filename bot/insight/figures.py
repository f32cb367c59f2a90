"""Every figure staff see for a period, computed by pure functions over plain data.

`figures_for(sources, start, end)` reads a period's data from `sources` (see Sources;
bot.insight.sources reads the real ones) and returns them as one frozen `Figures`.
`compute(period, data)` does the same from data already read: no I/O.

Small counts stay honest: every figure that comes from visitors' conversations is a
`Cell`, and a cell that one or two conversations are behind holds no number at all
(`Cell.hidden`; shown as "< 3"). A group of messages the bot did not understand that
fewer than three conversations wrote carries no examples.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import Enum
from statistics import median
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.checklist import CRITERIA, OUTCOME_OF_ANSWER, Answer, Outcome, Verdict
from bot.domain.escalation import offer_reason
from bot.insight.cells import Cell, few
from bot.insight.conversations import Conversation, Turn
from bot.insight.grouping import group_texts

# Staff read days and times as they are in Sweden.
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# How many examples each group of not-understood messages shows.
EXAMPLES_PER_GROUP = 3

# The bot's ways of asking a visitor to rephrase (domain.yml, actions/escalation.py):
# with topic buttons, during the checklist, and Rasa's default fallback.
REPHRASE_ACTIONS = frozenset({"action_rephrase_with_topics", "utter_rephrase"})
DEFAULT_FALLBACK = "action_default_fallback"
FALLBACK_INTENT = "nlu_fallback"
OFFER_ACTION = "action_offer_escalation"
START_ESCALATION = "action_start_escalation"
TICKET_ACTION = "action_create_ticket"
# Intents that start a question for staff without an offer (data/rules_escalation.yml).
EMAIL_INTENTS = frozenset({"email_reply", "give_email"})
# A question taken as written for staff at the offer (data/rules_context.yml).
TAKE_TYPED_QUESTION = "action_take_typed_question"
# What visitors type into these forms is their question, consent or address: never a
# topic, never an example of what the bot did not understand.
PRIVATE_FORMS = frozenset({"escalation_form", "email_form"})
CHECKLIST_FORM = "checklist_form"
CHECKLIST_RESULT = "action_checklist_result"
CHECKLIST_INTRO = "utter_checklist_intro"
SLOT_PREFIX = "checklist_"


# --- The plain data figures are computed from ------------------------------------------


@dataclass(frozen=True)
class Vote:
    """A visitor's 👍 or 👎 on one answer (bot.storage.tables.answer_feedback)."""

    conversation_ref: str | None  # None once the visitor unlinked it
    response: str  # the response's name in domain.yml, e.g. "utter_what_is_asf"
    vote: str  # "up" or "down"
    voted_at: datetime


@dataclass(frozen=True)
class ChecklistRow:
    """One anonymous checklist result (bot.storage.tables.checklist_results)."""

    completed_at: datetime
    answers: Mapping[str, Answer]
    verdict: Verdict


@dataclass(frozen=True)
class TicketMail:
    """A ticket and the state of its mail to staff (pending, sending, sent, failed)."""

    reference: str
    created_at: datetime
    status: str


@dataclass(frozen=True)
class InsightData:
    """Everything a period's figures are computed from."""

    conversations: Sequence[Conversation] = ()  # those that began in the period
    votes: Sequence[Vote] = ()  # cast in the period
    checklists: Sequence[ChecklistRow] = ()  # completed in the period
    tickets: Sequence[TicketMail] = ()  # created in the period
    failed_tickets: Sequence[TicketMail] = ()  # every ticket whose mail failed, now


class Sources(Protocol):
    """Where a period's data comes from (bot.insight.sources.SqlSources reads the real)."""

    def conversations(self, start: datetime, end: datetime) -> Sequence[Conversation]:
        """The conversations that began in [start, end)."""
        ...

    def votes(self, start: datetime, end: datetime) -> Sequence[Vote]:
        """The votes cast in [start, end)."""
        ...

    def checklists(self, start: datetime, end: datetime) -> Sequence[ChecklistRow]:
        """The checklist results completed in [start, end)."""
        ...

    def tickets(self, start: datetime, end: datetime) -> Sequence[TicketMail]:
        """The tickets created in [start, end)."""
        ...

    def failed_tickets(self) -> Sequence[TicketMail]:
        """Every ticket whose mail to staff failed for good and waits for a retry."""
        ...


# --- The figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; days are counted in `zone` (Swedish time by default)."""

    start: datetime
    end: datetime
    zone: tzinfo = STOCKHOLM

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period's start and end need a time zone")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    def day_of(self, moment: datetime) -> date:
        """The local day of `moment`."""
        return moment.astimezone(self.zone).date()

    def days(self) -> list[date]:
        """Every local day the period touches, in order."""
        first, last = self.day_of(self.start), self.day_of(self.end - timedelta(microseconds=1))
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Overview:
    """The period at a glance."""

    conversations: Cell
    messages: Cell
    messages_per_conversation: Cell  # the mean
    median_messages: Cell
    # Share of conversations that ended without the bot sending the visitor to staff.
    containment: Cell
    fallback_messages: Cell
    fallback_share: Cell  # of all messages


@dataclass(frozen=True)
class Day:
    """One local day: the conversations that began on it and their messages."""

    day: date
    conversations: Cell
    messages: Cell
    fallback_messages: Cell
    fallback_share: Cell


@dataclass(frozen=True)
class Topic:
    """One intent: how often visitors asked it, and how they voted on its answers."""

    intent: str
    messages: Cell
    conversations: Cell
    votes: Cell
    up: Cell  # share of the votes that were 👍
    down: Cell  # share of the votes that were 👎


@dataclass(frozen=True)
class FallbackGroup:
    """Similar messages the bot did not understand, redacted, with up to three examples."""

    messages: Cell
    conversations: Cell
    examples: tuple[str, ...]


class Trigger(str, Enum):
    """Why the bot sent a visitor to staff (the offer's wording follows the same reasons)."""

    PERSON = "person"  # asked for a person
    UNCLEAR = "unclear"  # two messages in a row not understood
    NOT_HELPFUL = "not_helpful"  # said an answer did not help
    EMAIL = "email"  # wanted the answer by e-mail


@dataclass(frozen=True)
class HandOvers:
    """Times the bot sent a visitor to staff, why, and how many questions reached them."""

    total: Cell
    conversations: Cell
    by_trigger: tuple[tuple[Trigger, Cell], ...]
    # Conversations in which a question was handed to staff as a ticket.
    questions_sent: Cell


@dataclass(frozen=True)
class ChecklistFigures:
    """The eligibility checklist: the funnel from the conversations, outcomes from results."""

    started: Cell
    completed: Cell
    abandoned: Cell
    # Per criterion, in the order asked: conversations that got the question.
    reached: tuple[tuple[str, Cell], ...]
    # Per criterion: conversations whose checklist stopped unanswered at that question.
    abandoned_at: tuple[tuple[str, Cell], ...]
    # The anonymous results completed in the period.
    results: Cell
    outcomes: tuple[tuple[str, tuple[tuple[Outcome, Cell], ...]], ...]
    verdicts: tuple[tuple[Verdict, Cell], ...]


@dataclass(frozen=True)
class TicketFigures:
    """Questions handed to staff in the period and their mail, by the tickets' states.

    Staff hold every ticket in their mailbox already, so these are plain numbers.
    """

    created: int
    sent: int
    waiting: int  # pending or being sent
    failed: int
    failed_references: tuple[str, ...]  # of the period's tickets
    failed_earlier: tuple[str, ...]  # tickets of earlier periods whose mail still failed


@dataclass(frozen=True)
class Figures:
    """Every figure of one period."""

    period: Period
    overview: Overview
    days: tuple[Day, ...]
    topics: tuple[Topic, ...]  # most used first
    fallback_groups: tuple[FallbackGroup, ...]  # largest first
    hand_overs: HandOvers
    checklist: ChecklistFigures
    tickets: TicketFigures
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def figures_for(
    sources: Sources, start: datetime, end: datetime, zone: tzinfo = STOCKHOLM
) -> Figures:
    """Read the period [start, end) from `sources` and return all its figures."""
    period = Period(start, end, zone)
    data = InsightData(
        conversations=sources.conversations(start, end),
        votes=sources.votes(start, end),
        checklists=sources.checklists(start, end),
        tickets=sources.tickets(start, end),
        failed_tickets=sources.failed_tickets(),
    )
    return compute(period, data)


def compute(period: Period, data: InsightData, now: datetime | None = None) -> Figures:
    """Return all figures of `period` from data already read (pure)."""
    conversations = [c for c in data.conversations if period.start <= c.started_at < period.end]
    return Figures(
        period=period,
        overview=overview(conversations),
        days=days(period, conversations),
        topics=topics(conversations, data.votes),
        fallback_groups=fallback_groups(conversations),
        hand_overs=hand_overs(conversations),
        checklist=checklist(conversations, data.checklists),
        tickets=ticket_figures(data.tickets, data.failed_tickets, period),
        generated_at=now or datetime.now(timezone.utc),
    )


# --- What a turn was -------------------------------------------------------------------


def is_form_input(turn: Turn) -> bool:
    """True if the message answered a form (the checklist's, the question's, the consent's)."""
    if any(action == TAKE_TYPED_QUESTION for action in turn.actions[:1]):
        return True
    return turn.active_loop is not None and turn.actions[:1] == (turn.active_loop,)


def fell_back(turn: Turn) -> bool:
    """True if the bot did not understand the message: it asked to rephrase, or gave up."""
    if turn.active_loop in PRIVATE_FORMS:
        return False
    if any(a in REPHRASE_ACTIONS or a == DEFAULT_FALLBACK for a in turn.actions):
        return True
    # The second unclear message in a row gets the offer instead of a rephrase.
    return turn.intent == FALLBACK_INTENT and OFFER_ACTION in turn.actions[:1]


def trigger_of(turn: Turn) -> Trigger | None:
    """Why this message made the bot send the visitor to staff, if it did."""
    if OFFER_ACTION in turn.actions:
        return Trigger(offer_reason(turn.intent).value)
    if turn.intent in EMAIL_INTENTS and START_ESCALATION in turn.actions:
        return Trigger.EMAIL
    return None


def _key(conversation: Conversation) -> tuple[str, datetime]:
    # Sessions of one visitor share a ref; a session is known by its ref and start.
    return (conversation.ref, conversation.started_at)


# --- The figures, one function each ------------------------------------------------------


def overview(conversations: Sequence[Conversation]) -> Overview:
    """Conversations, messages, containment and the share of messages not understood."""
    n = len(conversations)
    lengths = [len(c.turns) for c in conversations]
    messages = sum(lengths)
    handed = sum(any(trigger_of(t) for t in c.turns) for c in conversations)
    fallback_convs = sum(any(fell_back(t) for t in c.turns) for c in conversations)
    fallbacks = sum(fell_back(t) for c in conversations for t in c.turns)
    return Overview(
        conversations=Cell.count(n, n),
        messages=Cell.count(messages, n),
        messages_per_conversation=Cell.average(messages / n if n else None, n),
        median_messages=Cell.average(median(lengths) if lengths else None, n),
        # Hidden when one or two conversations were handed over: the share would say so.
        containment=Cell.share(n - handed, n, n, handed),
        fallback_messages=Cell.count(fallbacks, n, fallback_convs),
        fallback_share=Cell.share(fallbacks, messages, n, fallback_convs),
    )


def days(period: Period, conversations: Sequence[Conversation]) -> tuple[Day, ...]:
    """Each day of the period: conversations begun, their messages, the share not understood."""
    by_day: dict[date, list[Conversation]] = defaultdict(list)
    for conversation in conversations:
        by_day[period.day_of(conversation.started_at)].append(conversation)
    result = []
    for day in period.days():
        found = by_day.get(day, [])
        n = len(found)
        messages = sum(len(c.turns) for c in found)
        fallbacks = sum(fell_back(t) for c in found for t in c.turns)
        fallback_convs = sum(any(fell_back(t) for t in c.turns) for c in found)
        # A day of one or two conversations shows nothing of them, not even a zero.
        result.append(
            Day(
                day=day,
                conversations=Cell.count(n, n),
                messages=Cell.count(messages, n),
                fallback_messages=Cell.count(fallbacks, n, fallback_convs),
                fallback_share=Cell.share(fallbacks, messages, n, fallback_convs),
            )
        )
    return tuple(result)


def topic_turns(conversation: Conversation) -> list[Turn]:
    """The turns of a conversation that asked something: no form answers, nothing unclear."""
    return [
        t
        for t in conversation.turns
        if t.intent and t.intent != FALLBACK_INTENT and not is_form_input(t) and not fell_back(t)
    ]


def _intent_of_votes(
    conversations: Sequence[Conversation], votes: Sequence[Vote]
) -> list[tuple[Vote, str | None]]:
    """Each vote with the intent that led to the answer voted on.

    In the voter's own conversation: the latest message before the vote that the
    response answered. A vote no longer linked to its conversation (or whose
    conversation is not in the period) takes the intent that most often led to that
    response.
    """
    shown: dict[str, list[tuple[datetime, str | None]]] = defaultdict(list)
    usual: dict[str, Counter[str]] = defaultdict(Counter)
    for conversation in conversations:
        for turn in conversation.turns:
            for response in set(turn.responses):
                shown[f"{conversation.ref}\n{response}"].append((turn.at, turn.intent))
                if turn.intent:
                    usual[response][turn.intent] += 1
    result = []
    for vote in votes:
        intent = None
        if vote.conversation_ref is not None:
            earlier = [
                (at, i)
                for at, i in shown.get(f"{vote.conversation_ref}\n{vote.response}", [])
                if at <= vote.voted_at
            ]
            if earlier:
                intent = max(earlier, key=lambda pair: pair[0])[1]
        if intent is None and usual.get(vote.response):
            # The most frequent, and of equals the first by name: the same every run.
            intent = min(usual[vote.response].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        result.append((vote, intent))
    return result


def _voters(votes: Iterable[Vote]) -> int:
    # Votes no longer linked to a conversation might all be one visitor's: count them
    # as one, the fewest they can be.
    refs = {v.conversation_ref for v in votes}
    return len(refs - {None}) + (1 if None in refs else 0)


def topics(conversations: Sequence[Conversation], votes: Sequence[Vote]) -> tuple[Topic, ...]:
    """Intents ranked by how many messages asked them, each with its share of 👍 and 👎."""
    messages: Counter[str] = Counter()
    asked_in: dict[str, set[tuple[str, datetime]]] = defaultdict(set)
    for conversation in conversations:
        for turn in topic_turns(conversation):
            messages[turn.intent] += 1
            asked_in[turn.intent].add(_key(conversation))
    voted: dict[str, list[Vote]] = defaultdict(list)
    for vote, intent in _intent_of_votes(conversations, votes):
        if intent is not None:
            voted[intent].append(vote)
    ranked = sorted(set(messages) | set(voted), key=lambda i: (-messages[i], -len(voted[i]), i))
    n = len(conversations)
    result = []
    for intent in ranked:
        cast = voted[intent]
        ups = [v for v in cast if v.vote == "up"]
        downs = [v for v in cast if v.vote == "down"]
        voters = _voters(cast)
        result.append(
            Topic(
                intent=intent,
                messages=Cell.count(messages[intent], n, len(asked_in[intent])),
                conversations=Cell.count(len(asked_in[intent]), n, len(asked_in[intent])),
                votes=Cell.count(len(cast), voters),
                up=Cell.share(len(ups), len(cast), voters, _voters(ups)),
                down=Cell.share(len(downs), len(cast), voters, _voters(downs)),
            )
        )
    return tuple(result)


def fallback_groups(conversations: Sequence[Conversation]) -> tuple[FallbackGroup, ...]:
    """The messages the bot did not understand, grouped by similarity, largest first."""
    texts: list[tuple[str, tuple[str, datetime]]] = [
        (turn.text, _key(conversation))
        for conversation in conversations
        for turn in conversation.turns
        if fell_back(turn) and turn.text.strip() and not turn.text.startswith("/")
    ]
    groups = []
    for members in group_texts([text for text, _ in texts]):
        owners = [texts[i][1] for i in members]
        n = len(set(owners))
        examples: tuple[str, ...] = ()
        if not few(n):
            examples = _examples([texts[i] for i in members])
        groups.append(
            FallbackGroup(
                messages=Cell.count(len(members), n),
                conversations=Cell.count(n, n),
                examples=examples,
            )
        )
    return tuple(groups)


def _examples(members: Sequence[tuple[str, tuple[str, datetime]]]) -> tuple[str, ...]:
    """Up to three texts of a group, each from another conversation: the commonest first."""
    writers: dict[str, set[tuple[str, datetime]]] = defaultdict(set)
    for text, owner in members:
        writers[text.strip()].add(owner)
    chosen: list[str] = []
    used: set[tuple[str, datetime]] = set()
    for text in sorted(writers, key=lambda t: (-len(writers[t]), t)):
        fresh = writers[text] - used
        if not fresh:
            continue
        chosen.append(text)
        used.add(min(fresh))
        if len(chosen) == EXAMPLES_PER_GROUP:
            break
    return tuple(chosen)


def hand_overs(conversations: Sequence[Conversation]) -> HandOvers:
    """How often and why the bot sent visitors to staff."""
    triggers: Counter[Trigger] = Counter()
    by: dict[Trigger, set[tuple[str, datetime]]] = defaultdict(set)
    handed: set[tuple[str, datetime]] = set()
    sent: set[tuple[str, datetime]] = set()
    for conversation in conversations:
        for turn in conversation.turns:
            trigger = trigger_of(turn)
            if trigger is not None:
                triggers[trigger] += 1
                by[trigger].add(_key(conversation))
                handed.add(_key(conversation))
            if TICKET_ACTION in turn.actions:
                sent.add(_key(conversation))
    n = len(conversations)
    return HandOvers(
        total=Cell.count(sum(triggers.values()), n, len(handed)),
        conversations=Cell.count(len(handed), n, len(handed)),
        by_trigger=tuple((t, Cell.count(triggers[t], n, len(by[t]))) for t in Trigger),
        questions_sent=Cell.count(len(sent), n, len(sent)),
    )


def _checklist_path(conversation: Conversation) -> tuple[bool, list[str], bool, str | None]:
    """(started, criteria asked in order, completed, criterion waiting for an answer)."""
    started = completed = False
    asked: list[str] = []
    waiting: str | None = None
    for turn in conversation.turns:
        if CHECKLIST_INTRO in turn.responses or CHECKLIST_FORM in turn.actions:
            started = True
        for slot in turn.asked:
            criterion = slot.removeprefix(SLOT_PREFIX)
            if slot.startswith(SLOT_PREFIX) and criterion in CRITERIA:
                # A question asked again (an answer changed) opens the checklist again.
                asked += [] if criterion in asked else [criterion]
                waiting, completed = criterion, False
        if CHECKLIST_RESULT in turn.actions:
            completed, waiting = True, None
    return started, asked, completed, waiting


def checklist(
    conversations: Sequence[Conversation], rows: Sequence[ChecklistRow]
) -> ChecklistFigures:
    """The checklist's funnel from the conversations, and its outcomes from the results."""
    started = completed = 0
    reached: Counter[str] = Counter()
    stopped_at: Counter[str] = Counter()
    for conversation in conversations:
        began, asked, done, waiting = _checklist_path(conversation)
        if not began:
            continue
        started += 1
        reached.update(asked)
        if done:
            completed += 1
        elif waiting is not None:
            stopped_at[waiting] += 1
    abandoned = started - completed
    outcomes = []
    for criterion in CRITERIA:
        found = Counter(OUTCOME_OF_ANSWER[row.answers[criterion]] for row in rows)
        cells = tuple((o, Cell.count(found[o], len(rows), found[o])) for o in Outcome)
        outcomes.append((criterion, cells))
    verdicts = Counter(row.verdict for row in rows)
    n = len(conversations)
    return ChecklistFigures(
        started=Cell.count(started, n, started),
        completed=Cell.count(completed, n, started, completed),
        abandoned=Cell.count(abandoned, n, started, abandoned),
        reached=tuple((c, Cell.count(reached[c], n, started, reached[c])) for c in CRITERIA),
        abandoned_at=tuple(
            (c, Cell.count(stopped_at[c], n, started, stopped_at[c])) for c in CRITERIA
        ),
        results=Cell.count(len(rows), len(rows)),
        outcomes=tuple(outcomes),
        verdicts=tuple((v, Cell.count(verdicts[v], len(rows), verdicts[v])) for v in Verdict),
    )


def ticket_figures(
    created: Sequence[TicketMail], failed_now: Sequence[TicketMail], period: Period
) -> TicketFigures:
    """The period's tickets by their mail's state, and failed mail of earlier periods."""
    statuses = Counter(t.status for t in created)
    return TicketFigures(
        created=len(created),
        sent=statuses["sent"],
        waiting=statuses["pending"] + statuses["sending"],
        failed=statuses["failed"],
        failed_references=tuple(sorted(t.reference for t in created if t.status == "failed")),
        failed_earlier=tuple(
            sorted(t.reference for t in failed_now if t.created_at < period.start)
        ),
    )
