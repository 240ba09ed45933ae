"""The web server: FastAPI at the root (REST API, /docs), the Gradio page mounted on it.

``create_app`` assembles it over one chat service; ``serve`` runs it with uvicorn. The key
behind the page's browser state and the API's session ids lives in the profile store (the
user-data folder, or the database several workers share), so sessions survive restarts and
any worker accepts the ids another issued.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from bot import api, telegram_webhook
from bot.limits import Backpressure, ServerLimits
from bot.session import ChatService
from bot.telegram_webhook import WebhookConfig
from bot.web import CSS, WebPage

log = logging.getLogger(__name__)

PAGE_MAX_BODY = 8 * 1024 * 1024  # bytes: a long conversation's history goes up with each turn
QUEUE_LIMIT = 16  # turns computed at once; more wait in Gradio's queue


def create_app(service: ChatService, userdata: Path, limits: ServerLimits | None = None) -> FastAPI:
    """The whole web app: /api/* and /docs from FastAPI, the page at /."""
    app = FastAPI(
        max_body_size=PAGE_MAX_BODY,  # the page's own calls; /api has a far lower limit
        title="moviebot",
        version="0.1.0",
        description=(
            "Movie recommendations over MovieLens: personal picks, description search, similar "
            "movies, ratings and the chat, all over the same engine as the web page. Send "
            f"`{api.SESSION_HEADER}` on calls about a person; omit it once to get one."
        ),
    )
    secret = service.store.secret()  # shared by every worker on the same store
    api.install(app, service, secret)
    if (hook := WebhookConfig.from_env()) is not None:
        telegram_webhook.install(app, service, hook, secret)
    app.add_middleware(Backpressure, limits=limits or ServerLimits())
    page = WebPage(service, secret).blocks()
    page.queue(default_concurrency_limit=QUEUE_LIMIT)
    return gr.mount_gradio_app(app, page, path="/", css=CSS, footer_links=["api"], show_error=False)


def serve(
    service: ChatService,
    userdata: Path,
    host: str,
    port: int,
    share: bool = False,
    on_ready: Callable[[], None] | None = None,
    limits: ServerLimits | None = None,
) -> None:
    """Serve until interrupted; ``on_ready`` runs once the port accepts connections."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started and on_ready is not None:
                on_ready()
            if self.started and share:
                threading.Thread(target=_share, args=(host, port), daemon=True).start()

    config = uvicorn.Config(
        create_app(service, userdata, limits),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    Server(config).run()


def _share(host: str, port: int) -> None:
    from gradio import networking

    try:
        url = networking.setup_tunnel(host, port, secrets.token_urlsafe(32), None, None)
    except Exception as err:  # no route to Gradio's share servers, missing frpc binary, ...
        print(f"Could not open a public share link ({err}); serving locally only.", flush=True)
    else:
        print(f"Public link (for 72 hours): {url}", flush=True)
