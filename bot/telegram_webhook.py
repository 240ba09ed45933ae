"""Telegram behind the web workers: ``python app.py web`` with ``TELEGRAM_BOT_TOKEN`` and
``MOVIEBOT_TELEGRAM_WEBHOOK=https://public.host/telegram`` answers Telegram's calls at that
URL's path, so a load balancer can send them to any worker.

Every worker derives the same secret token from the key in the shared profile store (calls
without it are refused), registers the same webhook (idempotent), and keeps nothing of a chat
in memory: what a chat said and gave lives in the store, onboarding's next step included.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from telegram import Bot, Update

from bot.session import ChatService
from bot.telegram import COMMANDS, DEFAULT_API, TelegramBot

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class WebhookConfig:
    """The bot's token, the public URL Telegram calls, and the Bot API's address."""

    token: str
    url: str
    api_base: str = DEFAULT_API

    @classmethod
    def from_env(cls) -> WebhookConfig | None:
        token, url = (
            os.environ.get("TELEGRAM_BOT_TOKEN"),
            os.environ.get("MOVIEBOT_TELEGRAM_WEBHOOK"),
        )
        if not (token and url):
            return None
        return cls(token, url, os.environ.get("TELEGRAM_API_BASE") or DEFAULT_API)

    @property
    def path(self) -> str:
        return "/" + urlsplit(self.url).path.strip("/")


def secret_token(key: str) -> str:
    """The token Telegram echoes on each call: the same on every worker sharing ``key``."""
    return hashlib.sha256(b"moviebot telegram webhook\0" + key.encode()).hexdigest()


def register(config: WebhookConfig, key: str) -> None:
    """Tell Telegram where to send updates (and set the command menu)."""
    from telegram import BotCommand

    async def run() -> None:
        root = config.api_base.rstrip("/")
        async with Bot(config.token, base_url=f"{root}/bot") as bot:
            await bot.set_webhook(
                config.url, secret_token=secret_token(key), allowed_updates=Update.ALL_TYPES
            )
            await bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])

    asyncio.run(run())


def install(app: FastAPI, service: ChatService, config: WebhookConfig, key: str) -> None:
    """Answer Telegram's calls at the webhook's path on this app."""
    application = TelegramBot(service).application(config.token, config.api_base)
    expected = secret_token(key)
    lock, initialized = asyncio.Lock(), asyncio.Event()

    async def ready() -> Any:
        """The application, initialized in the server's own event loop on the first call."""
        async with lock:
            if not initialized.is_set():
                await application.initialize()
                initialized.set()
        return application

    @app.post(config.path, include_in_schema=False)
    async def telegram(request: Request) -> Response:
        if request.headers.get(SECRET_HEADER) != expected:
            return Response(status_code=403)
        try:
            data = await request.json()
        except ValueError:
            return Response(status_code=400)
        bot = await ready()
        await bot.process_update(Update.de_json(data, bot.bot))
        return Response(status_code=200)
