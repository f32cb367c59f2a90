"""Rasa's REST channel with every request checked, and the text cleaned, before NLU.

credentials.yml names `bot.nlp.channel.CleanRestInput`; its name is still "rest", so it
answers at the same /webhooks/rest/webhook. Rasa's own RestInput passes whatever JSON it
gets to the pipeline: a lone surrogate in the message made spaCy raise, one in the sender
made the tracker store exit the server, and a body that is JSON but not an object made
Sanic answer 500. Here a malformed request gets a 400, a message that cannot be read or is
too long gets a friendly reply, and the text reaching NLU is what the web app would send.

Every reply also tells the conversation's variant (`lang`: sv or en, `reading`: standard
or lattlast), read from the tracker's `language` and `reading_mode` slots once Rasa has
predicted and run its actions for the message: the widget shows its own texts in it.
Rasa's processor has no hook there, so `install()` (called when Rasa builds this
channel from credentials.yml) wraps MessageProcessor._run_prediction_loop to hand the
final tracker's slots to the collecting output channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import rasa.utils.endpoints
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.domain.text_input import Problem, check_message, clean_text
from bot.domain.variants import LANGUAGE_SLOT, READING_MODE_SLOT, Variant, variant_of
from bot.nlp import session_start
from bot.runtime.settings import Settings

log = logging.getLogger(__name__)

MESSAGES_FILE = Path(__file__).with_name("channel_messages.yml")
# A message is at most MAX_MESSAGE_LENGTH characters, six bytes each when JSON-escaped;
# a larger body is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024
# Rasa's SQL tracker store keeps the sender id in a VARCHAR(255).
MAX_SENDER_LENGTH = 255


@dataclass(frozen=True)
class ChannelMessages:
    """The channel's answers in one variant; see channel_messages.yml."""

    bad_request: str
    empty: str
    unreadable: str
    too_long: str
    failed: str


def load_all_messages(path: Path = MESSAGES_FILE) -> dict[Variant, ChannelMessages]:
    """Read the channel's answers in every variant; a missing one fails when Rasa starts."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = [field.name for field in fields(ChannelMessages)]

    def text(name: str, variant: Variant) -> Any:
        entry = data.get(name) if isinstance(data, dict) else None
        return entry.get(variant.value) if isinstance(entry, dict) else None

    missing = [
        f"{name} ({variant.value})"
        for name in names
        for variant in Variant
        if not isinstance(text(name, variant), str)
    ]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    return {
        variant: ChannelMessages(**{name: text(name, variant) for name in names})
        for variant in Variant
    }


def load_messages(path: Path = MESSAGES_FILE, variant: Variant = Variant.SV) -> ChannelMessages:
    """Read the channel's answers in one variant (Swedish unless told)."""
    return load_all_messages(path)[variant]


class BadRequest(ValueError):
    """The request is not a REST channel message; the reason names no content."""


@dataclass(frozen=True)
class Incoming:
    """One checked request: who sent what, and why it is not passed on, if it is not."""

    sender: str | None
    text: str
    problem: Problem | None
    input_channel: str
    metadata: dict[str, Any] | None


def _is_clean_id(value: Any) -> bool:
    # An id is stored and compared as given, so it is refused rather than cleaned: a
    # cleaned id could be another visitor's.
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_SENDER_LENGTH
        and clean_text(value) == value
    )


def _clean_json(value: Any) -> Any:
    """Metadata with every string in it cleaned, keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _clean_json(item) for key, item in value.items()}
    return value


def read_request(body: bytes, max_length: int, default_channel: str) -> Incoming:
    """Parse and check a REST channel request body; BadRequest if it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        # ValueError covers invalid JSON and bytes that are not UTF-8.
        raise BadRequest("the body is not JSON") from error
    if not isinstance(data, dict):
        raise BadRequest("the body is not a JSON object")
    sender = data.get("sender")
    if sender is not None and not _is_clean_id(sender):
        raise BadRequest("the sender is not a short printable string")
    if not isinstance(data.get("message"), str):
        raise BadRequest("the message is not a string")
    input_channel = data.get("input_channel") or default_channel
    if not _is_clean_id(input_channel):
        raise BadRequest("the input channel is not a short printable string")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("the metadata is not a JSON object")
    try:
        metadata = _clean_json(metadata)
    except RecursionError as error:
        raise BadRequest("the metadata is nested too deep") from error
    checked = check_message(data["message"], max_length)
    return Incoming(sender, checked.text, checked.problem, input_channel, metadata)


@dataclass(frozen=True)
class ConversationVariant:
    """The variant a conversation is in, as every reply of the channel tells it."""

    lang: str  # "sv" or "en"
    reading: str  # "standard" or "lattlast"

    @classmethod
    def of(cls, tracker: DialogueStateTracker) -> ConversationVariant:
        """Read from the tracker's slots; anything unknown reads as standard Swedish."""
        language = tracker.get_slot(LANGUAGE_SLOT)
        reading_mode = tracker.get_slot(READING_MODE_SLOT)
        return cls(
            lang="en" if language == "en" else "sv",
            reading="lattlast" if reading_mode == "lattlast" else "standard",
        )

    def fields(self) -> dict[str, str]:
        """The two keys every reply carries."""
        return {"lang": self.lang, "reading": self.reading}

    def variant(self) -> Variant:
        """Which texts the conversation gets."""
        return variant_of(self.lang, self.reading)


SWEDISH = ConversationVariant("sv", "standard")


_original_run_prediction_loop = MessageProcessor._run_prediction_loop


async def _run_prediction_loop_telling_variant(
    self: MessageProcessor, output_channel: Any, tracker: DialogueStateTracker
) -> None:
    """Rasa's prediction loop; then the collector learns the conversation's variant."""
    await _original_run_prediction_loop(self, output_channel, tracker)
    if isinstance(output_channel, NamingCollector):
        output_channel.variant = ConversationVariant.of(tracker)


def install() -> None:
    """Let the processor tell the channel the variant after each message (idempotent)."""
    MessageProcessor._run_prediction_loop = _run_prediction_loop_telling_variant  # type: ignore[method-assign]


class NamingCollector(CollectingOutputChannel):
    """Collects the bot's replies as Rasa's REST channel does, each with the name of the
    response in domain.yml it came from (`response`), and the condition of the variation
    Rasa chose (`condition`), when it had one.

    Rasa puts both in the message it sends (`utter_action`, `condition`), for responses
    of rules and stories and for those a custom action names
    (dispatcher.utter_message(response=...)) alike; the web app decides from them which
    replies ask for the visitor's vote (bot.domain.feedback).

    `variant` is the conversation's variant after the message, set by the processor
    (see install()); `replies()` puts it into every reply.
    """

    def __init__(self) -> None:
        super().__init__()
        self.variant: ConversationVariant | None = None

    def replies(self) -> list[dict[str, Any]]:
        """The collected messages, each with the conversation's variant when known."""
        if self.variant is None:
            return self.messages
        return [{**message, **self.variant.fields()} for message in self.messages]

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Send as CollectingOutputChannel does, and name what it collected."""
        response = message.get("utter_action")
        condition = message.get("condition")
        first = len(self.messages)
        await super().send_response(recipient_id, message)
        if not isinstance(response, str):
            return
        for collected in self.messages[first:]:
            collected["response"] = response
            if condition:
                collected["condition"] = condition


class CleanRestInput(RestInput):
    """The REST channel (POST /webhooks/rest/webhook), safe for any request body."""

    def __init__(
        self,
        max_message_length: int,
        messages: ChannelMessages,
        variants: Mapping[Variant, ChannelMessages] | None = None,
    ) -> None:
        """`messages` in Swedish; `variants` in every variant (only Swedish when not given)."""
        self.max_message_length = max_message_length
        self.messages = messages
        self.variants = dict(variants or {})

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> CleanRestInput:
        """Built by Rasa at start from credentials.yml; the limit is MAX_MESSAGE_LENGTH."""
        install()
        session_start.install()
        variants = load_all_messages()
        return cls(Settings.from_env().max_message_length, variants[Variant.SV], variants)

    def refusal(self, problem: Problem, variant: Variant = Variant.SV) -> str:
        """The reply to a message that is not passed on to the bot, in `variant`."""
        messages = self.variants.get(variant, self.messages)
        return {
            Problem.EMPTY: messages.empty,
            Problem.UNREADABLE: messages.unreadable,
            Problem.TOO_LONG: messages.too_long.format(max_length=self.max_message_length),
        }[problem]

    async def conversation_variant(
        self, request: Request, sender: str | None
    ) -> ConversationVariant:
        """The variant of `sender`'s conversation as the tracker store has it; Swedish for a
        conversation it does not know, or when it cannot be read."""
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if sender is None or store is None:
            return SWEDISH
        try:
            tracker = await store.retrieve(sender)
        except Exception as error:
            log.warning(
                "REST channel: no conversation state for a refusal: %s", type(error).__name__
            )
            return SWEDISH
        return ConversationVariant.of(tracker) if tracker is not None else SWEDISH

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The routes of Rasa's RestInput, with the request checked first."""
        # Rasa sets the URL prefix (/webhooks/rest) when it registers the channel.
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}")

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            if len(request.body) > MAX_BODY_BYTES:
                return response.json({"message": self.refusal(Problem.TOO_LONG)}, status=413)
            try:
                incoming = read_request(request.body, self.max_message_length, self.name())
            except BadRequest as error:
                log.info("REST channel refused a request: %s", error)
                return response.json({"message": self.messages.bad_request}, status=400)
            if incoming.problem is not None:
                # A reply as the bot's are, in the conversation's variant and telling it.
                recipient = incoming.sender or DEFAULT_SENDER_ID
                told = await self.conversation_variant(request, incoming.sender)
                reply = {
                    "recipient_id": recipient,
                    "text": self.refusal(incoming.problem, told.variant()),
                    **told.fields(),
                }
                return response.json([reply])
            args = (incoming.text, incoming.sender, incoming.input_channel, incoming.metadata)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, *args),
                    content_type="text/event-stream",
                )
            return await self._answer(on_new_message, *args)

        return webhook

    async def _answer(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender: str | None,
        input_channel: str,
        metadata: dict[str, Any] | None,
    ) -> HTTPResponse:
        collector = NamingCollector()
        message = UserMessage(
            text, collector, sender, input_channel=input_channel, metadata=metadata
        )
        try:
            await on_new_message(message)
        except asyncio.CancelledError:
            # Sanic's response timeout: Rasa's RestInput answers what it has so far.
            log.error("REST channel: the bot took too long to answer")
        except Exception:
            # No message text in the log: it may hold personal data.
            log.exception("REST channel: the bot failed to handle a message")
            return response.json({"message": self.messages.failed}, status=500)
        return response.json(collector.replies())
