"""Where the LLM is and how to talk to it, read from the environment.

Kept apart from :mod:`bot.agent` so the offline mode never imports LangChain.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recommender.errors import MovieBotError

DEFAULT_MODEL = "gpt-4o-mini"


class LLMSettings(BaseModel):
    """How to reach the model: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``MOVIEBOT_LLM_MODEL``."""

    model_config = ConfigDict(extra="forbid")

    api_key: str | None = None
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout: float = Field(30.0, gt=0)
    max_retries: int = Field(1, ge=0, le=5)
    max_model_calls: int = Field(4, ge=2, le=20)
    history: int = Field(8, ge=0, le=40)  # earlier messages sent along
    max_tokens: int = Field(400, ge=50, le=4000)
    temperature: float = Field(0.3, ge=0, le=2)
    routing: bool = True  # narrow the first call's tools by the understood intent

    @classmethod
    def from_env(cls) -> LLMSettings:
        env = os.environ
        try:
            return cls(
                api_key=env.get("OPENAI_API_KEY") or None,
                base_url=env.get("OPENAI_BASE_URL") or None,
                model=env.get("MOVIEBOT_LLM_MODEL") or DEFAULT_MODEL,
                timeout=env.get("MOVIEBOT_LLM_TIMEOUT") or 30,
                routing=(env.get("MOVIEBOT_LLM_ROUTING") or "on").lower() not in {"0", "off", "no"},
            )
        except ValidationError as err:
            problem = err.errors()[0]
            raise MovieBotError(
                f"LLM setting {problem['loc'][0]}: {problem['msg']} "
                "(MOVIEBOT_LLM_TIMEOUT is a number of seconds, e.g. 30)."
            ) from err

    @property
    def enabled(self) -> bool:
        """Either variable alone turns the LLM on; a local server needs no real key."""
        return bool(self.api_key or self.base_url)
