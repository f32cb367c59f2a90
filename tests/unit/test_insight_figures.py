"""The insight figures from hand-made Rasa events: exact numbers, "< 3", grouping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.checklist import CRITERIA, Answer, Outcome, Verdict
from bot.insight.cells import HIDDEN_TEXT
from bot.insight.conversations import conversations
from bot.insight.figures import (
    ChecklistRow,
    InsightData,
    Period,
    TicketMail,
    Trigger,
    Vote,
    compute,
)
from bot.insight.grouping import group_texts

START = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)  # 01:00 in Stockholm
END = START + timedelta(days=2)
PERIOD = Period(START, END)


class Events:
    """One visitor's events as Rasa's SQL tracker store keeps them."""

    def __init__(self, at: datetime = START + timedelta(hours=1)) -> None:
        self.at = at
        self.events: list[dict] = [{"event": "session_started", "timestamp": at.timestamp()}]

    def _tick(self) -> float:
        self.at += timedelta(seconds=5)
        return self.at.timestamp()

    def user(self, text: str, intent: str, *actions: str, **extra) -> Events:
        self.events.append(
            {
                "event": "user",
                "timestamp": self._tick(),
                "text": text,
                "parse_data": {"intent": {"name": intent, "confidence": 0.9}},
            }
        )
        for action in actions:
            self.events.append({"event": "action", "name": action, "timestamp": self._tick()})
            if action.startswith("utter_"):
                self.events.append(
                    {
                        "event": "bot",
                        "text": "...",
                        "metadata": {"utter_action": action},
                        "timestamp": self._tick(),
                    }
                )
        for name, value in extra.items():
            self.events.append({"event": name, **value, "timestamp": self._tick()})
        self.events.append({"event": "action", "name": "action_listen", "timestamp": self._tick()})
        return self

    def loop(self, name: str | None) -> Events:
        self.events.append({"event": "active_loop", "name": name, "timestamp": self._tick()})
        return self

    def ask(self, criterion: str | None) -> Events:
        value = f"checklist_{criterion}" if criterion else None
        self.events.append(
            {"event": "slot", "name": "requested_slot", "value": value, "timestamp": self._tick()}
        )
        return self


def fact(ref: str, intent: str = "what_is_asf", at: datetime | None = None):
    events = Events(at or START + timedelta(hours=1))
    events.user("Vad är ett ASF?", intent, f"utter_{intent}")
    return conversations(ref, events.events)


def figures(convs, **data):
    return compute(PERIOD, InsightData(conversations=convs, **data))


def test_the_overview_counts_conversations_messages_and_containment():
    convs = fact("a") + fact("b") + fact("c")
    handed = Events().user("Vad är ett ASF?", "what_is_asf", "utter_what_is_asf")
    handed.user("jag vill prata med en människa", "request_human", "action_offer_escalation")
    convs += conversations("d", handed.events)
    overview = figures(convs).overview
    assert overview.conversations.text == "4"
    assert overview.messages.text == "5"
    assert overview.messages_per_conversation.text == "1,3"
    # One conversation of four was handed over: the share would name it, so it is hidden.
    assert overview.containment.text == HIDDEN_TEXT
    assert overview.containment.value is None


def test_containment_is_the_share_of_conversations_never_sent_to_staff():
    convs = fact("a") + fact("b") + fact("c")
    for ref in ("d", "e", "f"):
        events = Events().user("det hjälpte inte", "not_helpful", "action_offer_escalation")
        convs += conversations(ref, events.events)
    f = figures(convs)
    assert f.overview.containment.text == "50\u00a0%"
    assert dict(f.hand_overs.by_trigger)[Trigger.NOT_HELPFUL].text == "3"
    assert dict(f.hand_overs.by_trigger)[Trigger.PERSON].text == "0"


def unclear(ref: str, texts: list[str]) -> list:
    events = Events()
    for n, text in enumerate(texts):
        action = "action_rephrase_with_topics" if n % 2 == 0 else "action_offer_escalation"
        events.user(text, "nlu_fallback", action)
    return conversations(ref, events.events)


def test_fallback_share_counts_rephrase_prompts_and_the_second_misunderstanding():
    convs = fact("a") + unclear("b", ["kan jag få bidrag till hyran", "bidrag för hyra"])
    convs += unclear("c", ["bidrag till hyran?"]) + unclear("d", ["hyresbidrag för lokal"])
    f = figures(convs)
    assert f.overview.messages.text == "5"
    assert f.overview.fallback_messages.text == "4"
    assert f.overview.fallback_share.text == "80\u00a0%"
    assert dict(f.hand_overs.by_trigger)[Trigger.UNCLEAR].text == HIDDEN_TEXT


def test_similar_unclear_messages_from_three_conversations_form_a_group_with_examples():
    convs = unclear("b", ["kan jag få bidrag till hyran", "bidrag för hyra av lokal"])
    convs += unclear("c", ["bidrag till hyran?"]) + unclear("d", ["kan jag få bidrag till hyran"])
    convs += unclear("e", ["asdfghjkl"])
    groups = figures(convs).fallback_groups
    assert [(g.messages.text, g.conversations.text) for g in groups] == [
        ("4", "3"),
        (HIDDEN_TEXT, HIDDEN_TEXT),
    ]
    # Each example from another conversation, the commonest first.
    assert groups[0].examples == ("kan jag få bidrag till hyran", "bidrag till hyran?")
    # One visitor's text is never shown.
    assert groups[1].examples == ()


def test_a_group_from_two_conversations_shows_no_text_however_many_messages():
    convs = unclear("b", ["bidrag hyra", "bidrag hyran", "bidrag för hyran"])
    convs += unclear("c", ["bidrag till hyran"])
    [group] = figures(convs).fallback_groups
    assert group.examples == () and group.messages.value is None
    assert group.messages.text == HIDDEN_TEXT


def test_form_answers_and_questions_for_staff_are_neither_topics_nor_unclear():
    events = Events().user("Kan vi bli ett ASF?", "start_checklist", "utter_checklist_intro")
    events.loop("checklist_form").ask("business")
    # A typed question for staff may be classified as anything; it is never listed.
    events.user("ring mig på [telefonnummer]", "nlu_fallback", "escalation_form")
    convs = []
    for ref in "abc":
        convs += conversations(ref, [*events.events])
    f = figures(convs)
    assert [t.intent for t in f.topics] == ["start_checklist"]
    assert f.fallback_groups == ()


def test_topics_are_ranked_by_messages_and_carry_their_share_of_votes():
    convs = []
    for ref in "abcd":
        convs += fact(ref, "contact")
    for ref in "efg":
        convs += fact(ref, "what_is_asf")
    at = START + timedelta(hours=2)
    votes = [Vote(r, "utter_contact", "up", at) for r in "abc"]
    votes += [Vote("d", "utter_contact", "down", at)]
    votes += [Vote(r, "utter_what_is_asf", "down", at) for r in "efg"]
    topics = figures(convs, votes=votes).topics
    assert [(t.intent, t.messages.text, t.votes.text) for t in topics] == [
        ("contact", "4", "4"),
        ("what_is_asf", "3", "3"),
    ]
    assert (topics[0].up.text, topics[0].down.text) == ("75\u00a0%", HIDDEN_TEXT)
    assert (topics[1].up.text, topics[1].down.text) == ("0\u00a0%", "100\u00a0%")


def test_unlinked_votes_count_as_one_voter_and_find_their_intent_by_response():
    convs = []
    for ref in "abc":
        convs += fact(ref, "legal_form")
    at = START + timedelta(hours=2)
    votes = [Vote(None, "utter_legal_form", "up", at) for _ in range(5)]
    [topic] = figures(convs, votes=votes).topics
    assert topic.intent == "legal_form"
    # Five votes no longer linked to a conversation may be one visitor's.
    assert topic.votes.text == HIDDEN_TEXT


def checklist_conversation(ref: str, answered: int) -> list:
    events = Events().user("Kan vi bli ett ASF?", "start_checklist", "utter_checklist_intro")
    events.loop("checklist_form").ask(CRITERIA[0])
    for n in range(answered):
        events.user("Ja", "affirm", "checklist_form")
        if n + 1 < len(CRITERIA):
            events.ask(CRITERIA[n + 1])
        else:
            events.ask(None).loop(None)
            events.events.append({"event": "action", "name": "action_checklist_result"})
    return conversations(ref, events.events)


def test_the_checklist_funnel_and_where_it_was_abandoned():
    convs = []
    for ref in "abc":
        convs += checklist_conversation(ref, 6)
    for ref in "def":
        convs += checklist_conversation(ref, 2)
    convs += checklist_conversation("g", 4)
    c = figures(convs).checklist
    assert (c.started.text, c.completed.text, c.abandoned.text) == ("7", "3", "4")
    assert [cell.text for _, cell in c.reached] == ["7", "7", "7", "4", "4", "3"]
    assert dict(c.abandoned_at)["participation"].text == "3"
    assert dict(c.abandoned_at)["independence"].text == HIDDEN_TEXT
    assert dict(c.abandoned_at)["business"].text == "0"


def test_checklist_outcomes_per_criterion_come_from_the_anonymous_rows():
    at = START + timedelta(hours=3)
    yes = {c: Answer.YES for c in CRITERIA}
    rows = [ChecklistRow(at, yes, Verdict.ALL_MET) for _ in range(3)]
    rows.append(ChecklistRow(at, {**yes, "purpose": Answer.NO}, Verdict.SOME_NOT_MET))
    c = compute(PERIOD, InsightData(checklists=rows)).checklist
    purpose = dict(dict(c.outcomes)["purpose"])
    assert purpose[Outcome.MET].text == "3"
    assert purpose[Outcome.NOT_MET].text == HIDDEN_TEXT
    assert purpose[Outcome.UNCLEAR].text == "0"
    assert dict(c.verdicts)[Verdict.ALL_MET].text == "3"


def test_tickets_by_state_with_failed_ones_named():
    at = START + timedelta(hours=1)
    made = [
        TicketMail("ASF-2026-000001", at, "sent"),
        TicketMail("ASF-2026-000002", at, "pending"),
        TicketMail("ASF-2026-000003", at, "failed"),
    ]
    earlier = TicketMail("ASF-2026-000000", START - timedelta(days=3), "failed")
    t = compute(PERIOD, InsightData(tickets=made, failed_tickets=[earlier, made[2]])).tickets
    assert (t.created, t.sent, t.waiting, t.failed) == (3, 1, 1, 1)
    assert t.failed_references == ("ASF-2026-000003",)
    assert t.failed_earlier == ("ASF-2026-000000",)


def test_days_are_swedish_days_and_a_day_of_few_conversations_shows_nothing():
    # 23:30 UTC on 30 November is 00:30 on 1 December in Stockholm.
    late = START + timedelta(hours=23, minutes=30)
    convs = fact("a", at=late) + fact("b", at=late) + fact("c", at=late) + fact("d")
    days = {d.day.isoformat(): d for d in figures(convs).days}
    assert list(days) == ["2026-11-30", "2026-12-01", "2026-12-02"]
    assert days["2026-12-01"].conversations.text == "3"
    assert days["2026-11-30"].messages.text == HIDDEN_TEXT
    assert days["2026-11-30"].fallback_messages.text == HIDDEN_TEXT


def test_conversations_outside_the_period_are_left_out():
    before = fact("a", at=START - timedelta(hours=1))
    assert figures(before + fact("b")).overview.conversations.text == HIDDEN_TEXT
    assert figures(before).overview.conversations.text == "0"


def test_a_new_session_of_the_same_visitor_is_another_conversation():
    events = Events().user("hej", "greet", "utter_greet")
    events.events.append({"event": "session_started", "timestamp": events._tick()})
    events.user("Kontakt", "contact", "utter_contact")
    assert [len(c.turns) for c in conversations("a", events.events)] == [1, 1]


@pytest.mark.parametrize("order", [1, -1])
def test_grouping_is_the_same_whatever_order_the_texts_come_in(order):
    texts = ["bidrag till hyran", "asdf", "kan man få bidrag till hyran", "vad kostar moms"]
    groups = [sorted(texts[::order][i] for i in g) for g in group_texts(texts[::order])]
    assert groups == [
        ["bidrag till hyran", "kan man få bidrag till hyran"],
        ["asdf"],
        ["vad kostar moms"],
    ]
