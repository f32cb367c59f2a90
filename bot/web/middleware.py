"""Security headers on every response: pages, static files, the API and error pages."""

from __future__ import annotations

from aiohttp import web

# Scripts, styles and requests only from this origin: no inline script, no inline style,
# so a message that somehow reached the page as markup still could not run. The page
# may not be framed (clickjacking), and forms and <base> cannot point elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Links out (to tillvaxtverket.se) do not tell where the visitor came from.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Set the security headers; answers of the chat API are never cached."""
    # A signal rather than a middleware: it also reaches static files and the error
    # responses aiohttp makes itself (404, 405).
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
