"""Text sinks for the code's stdout and stderr that keep at most a fixed number of bytes."""

import io


class CappedText(io.TextIOBase):
    def __init__(self, max_bytes: int):
        self._max = max_bytes
        self._parts: list[str] = []
        self._size = 0
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self._max - self._size
        if room <= 0:
            self.truncated = self.truncated or bool(text)
            return len(text)
        encoded = text.encode("utf-8", "replace")
        if len(encoded) > room:
            encoded = encoded[:room]
            text = encoded.decode("utf-8", "ignore")
            self.truncated = True
        self._parts.append(text)
        self._size += len(encoded)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self._parts)
