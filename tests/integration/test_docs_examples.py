"""Every `curl` example in docs/*.md and README.md, run against a real stack; the documented reply checked.

The convention (docs/api.md): a fenced `sh`/`bash`/`shell`/`console` block holding `curl` commands is run,
each command with its URL pointed at the test gateway. A `json` block that comes next, before any other
fenced block, is the documented reply of the block's last command: every key it shows must be in the real
reply (through objects, and the first element of lists where both have one), `success` must be equal, and
the status is the one written as `(NNN)` in the prose between the blocks (200 otherwise). `[...]` and `{...}`
stand for any list and object. Examples that cannot run on a fresh stack belong in `text` blocks.
"""

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack]

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
SHELLS = {"sh", "bash", "shell", "console", "shell-session"}
HOST = re.compile(r"^(?:https?://)?(?:localhost|127\.0\.0\.1):37674")


@dataclass(frozen=True)
class Example:
    where: str
    commands: list[list[str]]
    reply: object = None
    status: int = 200


def _commands(block: str) -> list[list[str]]:
    """Each curl command of a shell block as its arguments, read with the shell's quoting (continuation lines
    joined; `$ ` prompts, other commands and anything after a pipe, `;` or `&&` left out)."""
    lexer = shlex.shlex(block.replace("\\\n", " "), posix=True, punctuation_chars="|;&\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    commands, words, piped = [], [], False
    for word in [*lexer, "\n"]:
        if word and set(word) <= set("|;&\n"):
            if words and words[0] == "curl":
                commands.append(words)
            words, piped = [], piped or "|" in word or "&" in word or ";" in word
            if "\n" in word:
                piped = False
            continue
        if not piped and not (word == "$" and not words):
            words.append(word)
    return commands


def _reply(text: str) -> object:
    return json.loads(text.replace("[...]", "[]").replace("{...}", "{}"))


def collect() -> list[Example]:
    examples = []
    for path in DOCS:
        text = path.read_text()
        blocks = list(FENCE.finditer(text))
        for i, block in enumerate(blocks):
            if block.group(1) not in SHELLS or "curl " not in block.group(2):
                continue
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, block.start()) + 1}"
            reply, status = None, 200
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            if following is not None and following.group(1) == "json":
                between = text[block.end():following.start()]
                reply = _reply(following.group(2))
                if found := re.search(r"\((\d{3})\)", between):
                    status = int(found.group(1))
            examples.append(Example(where, _commands(block.group(2)), reply, status))
    return examples


EXAMPLES = collect()


def _curl(words: list[str], base_url: str) -> tuple[int, str]:
    args = [HOST.sub(base_url, w) if HOST.match(w) else w for w in words[1:]]
    assert any(a.startswith(base_url) for a in args), f"no localhost:37674 URL in {words}"
    done = subprocess.run(["curl", *args, "-sS", "--max-time", "180", "-w", "\n%{http_code}"],
                          capture_output=True, text=True, timeout=200, check=False)
    assert done.returncode == 0, done.stderr
    body, _, code = done.stdout.rpartition("\n")
    return int(code), body


def _missing(documented, real, path="") -> list[str]:
    """Where the real reply lacks what the documented one shows."""
    if isinstance(documented, dict):
        if not isinstance(real, dict):
            return [f"{path or 'reply'}: documented an object, got {type(real).__name__}"]
        gaps = [f"{path}.{k}".lstrip(".") for k in documented if k not in real]
        for key in documented.keys() & real.keys():
            gaps += _missing(documented[key], real[key], f"{path}.{key}".lstrip("."))
        return gaps
    if isinstance(documented, list):
        if not isinstance(real, list):
            return [f"{path}: documented a list, got {type(real).__name__}"]
        if documented and real and isinstance(documented[0], dict | list):
            return _missing(documented[0], real[0], f"{path}[0]")
    return []


def test_the_docs_have_examples():
    assert len(EXAMPLES) >= 10 and all(e.commands for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_example_runs_as_documented(gateway, example):
    for words in example.commands:
        status, body = _curl(words, gateway.url)
    expected = example.status if example.reply is not None else None
    if expected is None:
        assert status < 400, f"{example.where}: {status} {body[:500]}"
        return
    assert status == expected, f"{example.where}: {status} {body[:500]}"
    real = json.loads(body)
    assert _missing(example.reply, real) == [], f"{example.where}: {body[:1000]}"
    if isinstance(example.reply, dict) and "success" in example.reply:
        assert real["success"] == example.reply["success"], f"{example.where}: {body[:1000]}"
