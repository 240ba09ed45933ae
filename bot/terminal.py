"""The terminal chat: ``python app.py chat``. Readline history, ``/help``, ``/reset``, ``/me``.

Interactive, it shows what the bot is doing on stderr and streams replies. With piped input it
reads one message per line, prints each reply (status lines go to stderr), and exits 0 at the
end of input.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import TextIO

from bot.session import ChatService

COMMANDS = """Commands:
  /help         this help
  /me           what I know about you
  /reset        start the conversation afresh (your ratings stay)
  /reset all    forget everything about you, ratings included
  /quit         leave (Ctrl-D works too)
Anything else is a message to the bot: try "recommend something" or "help"."""


def run_chat(
    service: ChatService,
    session_id: str,
    history_file: Path | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Read messages until the end of input; answer each one."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if isinstance(stdout, io.TextIOWrapper):  # never die on a character the terminal lacks
        stdout.reconfigure(errors="replace")
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        _readline(history_file)
        print(f"moviebot ({service.mode} mode). /help for commands, Ctrl-D to leave.", file=stdout)
    while True:
        line = _read(stdin, interactive)
        if line is None:
            return 0
        line = readable(line.rstrip("\n"))
        if line.strip().startswith("/"):
            if not _command(service, session_id, line.strip(), stdout):
                return 0
            continue
        _answer(service, session_id, line, stdout, interactive)


def readable(line: str) -> str:
    """Bytes that were not UTF-8 (kept as lone surrogates by Python) become U+FFFD."""
    return line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _read(stdin: TextIO, interactive: bool) -> str | None:
    if interactive:
        try:
            return input("you> ")
        except EOFError:
            print()
            return None
    line = stdin.readline()
    return line if line else None


def _answer(
    service: ChatService, session_id: str, line: str, stdout: TextIO, interactive: bool
) -> None:
    """Stream one reply; status lines go to stderr so piped output holds only replies."""
    started = False
    for event in service.stream(session_id, line):
        if event.kind == "status":
            if interactive:
                print(f"\033[2m({event.text})\033[0m", file=sys.stderr, flush=True)
        elif event.kind == "text":
            if interactive and not started:
                print("bot> ", end="", file=stdout)
            started = True
            text = event.text if event.text.endswith("\n") else event.text + "\n"
            print(text, end="", file=stdout, flush=True)
        elif event.kind == "note":
            print(f"note: {event.text}", file=stdout, flush=True)
    print(file=stdout, flush=True)


def _command(service: ChatService, session_id: str, line: str, stdout: TextIO) -> bool:
    """Run a slash command; False to leave."""
    name, _, rest = line.partition(" ")
    if name in {"/quit", "/exit", "/q"}:
        return False
    if name == "/help":
        print(COMMANDS, file=stdout)
    elif name == "/me":
        print(service.me(session_id), file=stdout)
    elif name == "/reset":
        everything = rest.strip() == "all"
        service.reset(session_id, everything=everything)
        print(
            "Forgotten: your ratings and our conversation."
            if everything
            else "Conversation reset (your ratings stay; '/reset all' forgets them too).",
            file=stdout,
        )
    else:
        print(f"Unknown command {name}. {COMMANDS}", file=stdout)
    print(file=stdout, flush=True)
    return True


def _readline(history_file: Path | None) -> None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input still works
        return
    if history_file is None:
        return
    history_file.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        readline.read_history_file(history_file)
    readline.set_history_length(1000)
    import atexit

    atexit.register(readline.write_history_file, history_file)
