"""Offline chat turns in-process: every dev first message and described taste, fresh sessions.

    python -m benchmarks.bench_turns [--eval-dir DIR]

Uses the engine of the environment (``MOVIEBOT_HOME`` and friends; build it first). Each
message goes to ``ChatService.send`` in its own session, which is what ``POST /api/chat``
calls; the HTTP layer adds about a millisecond. The warm-up (embedder, title indexes) is not
timed, as in the running app.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, describe
from bot.profiles import ProfileStore
from bot.session import ChatService
from recommender.engine import Engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    args = parser.parse_args()
    messages = {
        kind: [case["text"] for case in json.loads(path.read_text(encoding="utf-8"))]
        for kind, path in (
            ("first messages", args.eval_dir / "first_messages.dev.json"),
            ("described tastes", args.eval_dir / "described_tastes.dev.json"),
        )
    }
    with tempfile.TemporaryDirectory(prefix="moviebot-bench-") as tmp:
        service = ChatService(Engine.open(progress=False), ProfileStore.in_folder(Path(tmp)))
        service.warm_up()
        service.send("warm-up", "a heist film, I loved Heat")
        every: list[float] = []
        for kind, texts in messages.items():
            seconds = [_timed(service, f"{kind}-{i}", text) for i, text in enumerate(texts)]
            every += seconds
            print(describe(f"offline turn, {kind}", seconds))
        print(describe("offline turn, all", every))
        service.store.close()


def _timed(service: ChatService, session: str, text: str) -> float:
    started = time.perf_counter()
    service.send(session, text)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
