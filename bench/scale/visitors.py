"""Scripted visitors for the scale bench: the conversations real visitors hold.

Each conversation is drawn from a seeded generator: a greeting or not, facts, the whole
eligibility checklist answered with buttons and typed answers, one answer changed after
the result, a question handed to staff (the address given with consent, or consent
refused), and facts again. Steps that mark a point of the dialogue carry a piece of
the answer expected there, so the bench can tell whether the bot followed the script.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

# Questions whose answer is one of the bot's facts, typed as visitors type them (some
# without å/ä/ö) or clicked as a topic button.
FACTS = (
    "Vad är ett ASF?",
    "vad är ett arbetsintegrerande socialt företag egentligen",
    "vilka villkor gäller för att räknas som asf",
    "maste man vara en ekonomisk forening",
    "finns det nåt stöd man kan söka just nu?",
    "Vilka stöd kan jag söka?",
    "vem kan jag ringa på tillväxtverket",
    "Hur många måste vara anställda i ett ASF?",
    "hur många asf finns det i sverige",
    "finns det något asf i norrbotten",
    "vilka slags verksamheter kan ett asf driva",
    "vilka personer är asf till för",
    "hur samarbetar af med sociala företag",
    "vad har tillväxtverket gjort för att stötta sociala företag",
    "/conditions",
    "/legal_form",
    "/current_calls",
    "/contact",
)
GREETINGS = ("hej", "hej!", "hallå", "god morgon")
GOODBYES = ("tack så mycket!", "tack", "hej då")
CHECKLIST_STARTS = (
    "starta checklistan",
    "kan vi bli ett asf?",
    "jag vill kolla om vi uppfyller villkoren för asf",
    "/start_checklist",
)
# The checklist's buttons (Ja, Nej, Vet inte) and what visitors type instead.
BUTTONS = {"ja": "/affirm", "nej": "/deny", "vet_inte": "/dont_know"}
TYPED = {
    "ja": ("japp", "absolut", "ja det stämmer", "ja", "precis"),
    "nej": ("nä", "inte än", "nej"),
    "vet_inte": ("kanske", "vet inte", "ingen aning"),
}
# How visitors ask to change one answer after the result: one per criterion, by a word
# the bot knows for it (data/nlu/checklist.yml's synonyms).
CHANGE_REQUESTS = (
    "jag svarade fel på frågan om vinsten",
    "jag vill ändra svaret om kommunen",
    "kan jag ändra svaret på frågan om delaktighet",
    "ändra mitt svar på frågan om syftet",
    "jag tryckte fel på frågan om varor och tjänster",
)
# Ways to reach a person: after an answer that did not help, or asking for one.
HANDOVER_REQUESTS = (
    "det hjälpte inte",
    "kan jag prata med en handläggare?",
    "det svarade inte på min fråga",
)
YES_TO_OFFER = ("Ja", "/affirm", "ja")
QUESTIONS_FOR_STAFF = (
    "Vi är fyra i Luleå som vill starta ett café. Hur skriver vi stadgarna?",
    "Får en ideell förening bli ett ASF om kommunen sitter i styrelsen?",
    "Kan ett aktiebolag med vinstutdelning bli ett ASF?",
    "Vi är fem som vill starta ett kooperativ. Måste alla äga en del av företaget?",
)
CONSENT_ANSWERS = {True: ("/affirm", "ja"), False: ("/deny", "nej")}

# Pieces of the answers expected where the dialogue reaches a known point.
RESULT = "Så här blev resultatet"
ASK_QUESTION = "Skriv din fråga"
TICKET = "ärendenummer"

# Shares of the mix, chosen to resemble visitors: most click, many type.
TYPED_SHARE = 0.4
ANSWER_WEIGHTS = {"ja": 0.7, "nej": 0.2, "vet_inte": 0.1}
CONSENT_SHARE = 0.75
GREETING_SHARE = 0.3
GOODBYE_SHARE = 0.5
CRITERIA = 6


@dataclass(frozen=True)
class Step:
    """One message of a scripted conversation, and what its answer should contain."""

    text: str
    # What the visitor does (one of KINDS): the report's latencies by kind of message.
    kind: str
    # A piece of the answer that shows the dialogue is where the script expects it.
    expect: str | None = None


GREETING = "greeting or goodbye"
FACT = "fact"
CHECKLIST_START = "checklist: start"
BUTTON_ANSWER = "checklist: answer by button"
TYPED_ANSWER = "checklist: typed answer"
CHANGE = "checklist: change an answer"
HANDOVER = "hand-over: request, yes to the offer"
STAFF_QUESTION = "hand-over: the question"
CONSENT = "hand-over: consent yes or no"
ADDRESS = "hand-over: the address"
KINDS = (
    GREETING,
    FACT,
    CHECKLIST_START,
    BUTTON_ANSWER,
    TYPED_ANSWER,
    CHANGE,
    HANDOVER,
    STAFF_QUESTION,
    CONSENT,
    ADDRESS,
)


def _answer(rng: random.Random, expect: str | None = None) -> Step:
    value = rng.choices(list(ANSWER_WEIGHTS), weights=list(ANSWER_WEIGHTS.values()))[0]
    if rng.random() < TYPED_SHARE:
        return Step(rng.choice(TYPED[value]), TYPED_ANSWER, expect)
    return Step(BUTTONS[value], BUTTON_ANSWER, expect)


def conversation(rng: random.Random, address: str) -> list[Step]:
    """One visitor's conversation, drawn from `rng`; `address` is the e-mail they give."""
    steps: list[Step] = []
    if rng.random() < GREETING_SHARE:
        steps.append(Step(rng.choice(GREETINGS), GREETING))
    steps += [Step(text, FACT) for text in rng.sample(FACTS, rng.randint(1, 2))]
    steps.append(Step(rng.choice(CHECKLIST_STARTS), CHECKLIST_START))
    steps += [_answer(rng) for _ in range(CRITERIA - 1)]
    steps.append(_answer(rng, expect=RESULT))
    steps.append(Step(rng.choice(CHANGE_REQUESTS), CHANGE))
    steps.append(_answer(rng, expect=RESULT))
    steps.append(Step(rng.choice(FACTS), FACT))
    steps.append(Step(rng.choice(HANDOVER_REQUESTS), HANDOVER))
    steps.append(Step(rng.choice(YES_TO_OFFER), HANDOVER, expect=ASK_QUESTION))
    steps.append(Step(rng.choice(QUESTIONS_FOR_STAFF), STAFF_QUESTION))
    if rng.random() < CONSENT_SHARE:
        steps.append(Step(rng.choice(CONSENT_ANSWERS[True]), CONSENT))
        steps.append(Step(address, ADDRESS, expect=TICKET))
    else:
        steps.append(Step(rng.choice(CONSENT_ANSWERS[False]), CONSENT, expect=TICKET))
    steps += [Step(text, FACT) for text in rng.sample(FACTS, rng.randint(1, 2))]
    if rng.random() < GOODBYE_SHARE:
        steps.append(Step(rng.choice(GOODBYES), GREETING))
    return steps


def conversations(seed: int, visitor: int) -> Iterator[list[Step]]:
    """One visitor's conversations, one after another, the same for every topology.

    The first one stops at a random step (the visitor leaves midway), so that visitors
    who all start at once are soon at different points of their conversations: the
    messages measured at any moment are then the mix of whole conversations, not all
    greetings and facts at first.
    """
    rng = random.Random(f"{seed}-{visitor}")
    for number in range(1_000_000):
        steps = conversation(rng, f"besokare{visitor}.{number}@exempel.se")
        if number == 0:
            steps = steps[: rng.randrange(len(steps))]
        if steps:
            yield steps
