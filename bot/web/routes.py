"""Every URL of the web app, one named route a line."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.web import counselling, feedback, handlers


def setup_routes(app: web.Application, static_dir: Path) -> None:
    """Register the app's routes."""
    app.router.add_get("/", handlers.index, name="index")
    app.router.add_get("/integritet", handlers.privacy, name="privacy")
    app.router.add_get("/radgivning", handlers.counselling, name="counselling")
    app.router.add_get("/health", handlers.health, name="health")
    app.router.add_post("/api/chat", handlers.chat, name="chat")
    # widget.js is served with the widget's texts in it; the other files as they are.
    app.router.add_get("/static/widget.js", handlers.widget, name="widget")
    app.router.add_post("/api/feedback", feedback.feedback, name="feedback")
    app.router.add_post("/api/checklist", counselling.checklist, name="checklist")
    app.router.add_post("/radgivning/sammanfattning", counselling.summary_page, name="summary")
    app.router.add_post("/radgivning/sammanfattning.pdf", counselling.summary_pdf, name="pdf")
    app.router.add_static("/static/", static_dir, name="static")
