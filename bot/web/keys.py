"""Typed keys for what the app holds (aiohttp warns about plain string keys)."""

from __future__ import annotations

import jinja2
from aiohttp import web

from bot.runtime.settings import Settings
from bot.services.content import ContentRepository
from bot.services.feedback import FeedbackService
from bot.web.messages import WebTexts
from bot.web.rasa import RasaClient
from bot.web.ratelimit import Limiter

SETTINGS = web.AppKey("settings", Settings)
CONTENT = web.AppKey("content", ContentRepository)
MESSAGES = web.AppKey("messages", WebTexts)
# widget.js with its texts in it, as it is served.
WIDGET_SCRIPT = web.AppKey("widget_script", bytes)
LIMITER = web.AppKey("limiter", Limiter)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
RASA = web.AppKey("rasa", RasaClient)
FEEDBACK = web.AppKey("feedback", FeedbackService)
