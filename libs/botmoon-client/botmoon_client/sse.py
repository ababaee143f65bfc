"""Server-sent events (text/event-stream) as the WHATWG spec reads them: `event:`, `data:` (several join with a
newline), `id:`, comments ignored, a blank line ends an event. The data is JSON on Botmoon's streams."""

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ServerEvent:
    event: str
    data: Any  # the decoded JSON, or the text when it is not JSON
    id: str | None = None


class EventParser:
    """Feed it lines (without their line break) one by one; it returns an event when a blank line ends one."""

    def __init__(self) -> None:
        self._event, self._data, self._id = "", [], None

    def feed(self, line: str) -> ServerEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
        return None

    def _dispatch(self) -> ServerEvent | None:
        if not self._data and not self._event:
            return None
        text = "\n".join(self._data)
        try:
            data: Any = json.loads(text) if text else None
        except ValueError:
            data = text
        event = ServerEvent(self._event or "message", data, self._id)
        self._event, self._data = "", []
        return event
