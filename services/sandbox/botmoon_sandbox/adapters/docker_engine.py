"""The Docker engine as the sandbox sees it: locked-down containers, attach, kill, list, remove."""

import logging
import select
import socket
import struct
import time
from dataclasses import dataclass, field

import docker
from docker.errors import APIError, NotFound
from docker.types import LogConfig, Ulimit

from botmoon_runner import protocol
from botmoon_sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)

LABEL_ROLE = "botmoon.sandbox"
LABEL_POOL = "botmoon.sandbox.pool"
LABEL_DEADLINE = "botmoon.sandbox.deadline"

THREAD_ENV = {
    name: "1"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                 "VECLIB_MAXIMUM_THREADS")
}
_STREAM_HEADER = struct.Struct(">BxxxI")
SCRATCH = "/tmp"  # noqa: S108 - the container's own size-limited tmpfs, not the host's


class EngineError(Exception):
    """The Docker engine refused or failed an operation."""


@dataclass
class RawRun:
    """What came back from one container before it was judged: a reply frame or how it ended."""

    reply: dict | None = None
    diagnostics: bytes = b""
    timed_out: bool = False
    flooded: bool = False
    elapsed_s: float = 0.0
    exit_code: int | None = None
    oom_killed: bool = False


@dataclass
class SandboxContainer:
    id: str
    started_at: float = field(default_factory=time.monotonic)


class DockerEngine:
    """Creates and drives sandbox containers. Blocking; call from a worker thread."""

    def __init__(self, settings: SandboxSettings, client: docker.DockerClient | None = None):
        self._s = settings
        self._client = client or docker.from_env(timeout=60)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:  # noqa: BLE001 - any failure means not reachable
            return False

    def image_present(self) -> bool:
        try:
            self._client.images.get(self._s.runner_image)
            return True
        except NotFound:
            return False

    def create_options(self) -> dict:
        """Arguments of the engine's container create call: every limit of the sandbox."""
        s = self._s
        memory = s.memory_mb * 1024 * 1024
        fsize = s.fsize_mb * 1024 * 1024
        deadline = time.time() + s.idle_ttl_s + s.wall_time_s + s.start_timeout_s
        host_config = self._client.api.create_host_config(
            network_mode="none",
            read_only=True,
            tmpfs={SCRATCH: f"rw,noexec,nosuid,nodev,size={s.tmpfs_mb}m"},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"],
            pids_limit=s.pids_limit,
            mem_limit=memory,
            memswap_limit=memory,
            nano_cpus=int(s.cpus * 1e9),
            ulimits=[
                Ulimit(name="nofile", soft=s.nofile, hard=s.nofile),
                Ulimit(name="fsize", soft=fsize, hard=fsize),
                Ulimit(name="core", soft=0, hard=0),
            ],
            ipc_mode="private",
            log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
            runtime=s.runtime or None,
        )
        return dict(
            image=s.runner_image,
            stdin_open=True,  # with detach unset, docker-py also sets StdinOnce: EOF when we detach
            tty=False,
            user=s.user,
            environment={**THREAD_ENV, "HOME": SCRATCH, "PYTHONDONTWRITEBYTECODE": "1"},
            hostname="sandbox",
            working_dir=SCRATCH,
            network_disabled=True,
            labels={LABEL_ROLE: "1", LABEL_POOL: s.pool_name, LABEL_DEADLINE: f"{deadline:.0f}"},
            host_config=host_config,
        )

    def start(self) -> SandboxContainer:
        """Starts a container whose runner waits on stdin with numpy and pandas imported."""
        try:
            created = self._client.api.create_container(**self.create_options())
            self._client.api.start(created["Id"])
        except APIError as exc:
            raise EngineError(f"cannot start a sandbox container: {exc.explanation or exc}") from exc
        return SandboxContainer(created["Id"])

    def wait_ready(self, box: SandboxContainer, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                info = self._client.api.inspect_container(box.id)
                if not info["State"]["Running"]:
                    return False
                if protocol.READY_LINE in self._client.api.logs(box.id, stdout=False, stderr=True, tail=5):
                    return True
            except NotFound:
                return False
            time.sleep(0.02)
        return False

    def run(self, box: SandboxContainer, request: dict, timeout_s: float, max_bytes: int) -> RawRun:
        """Sends one request to the runner and reads its reply, killing the container on timeout or flood."""
        started = time.monotonic()
        raw = RawRun()
        try:
            sock = self._client.api.attach_socket(
                box.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
        except (APIError, NotFound) as exc:
            raise EngineError(f"cannot attach to sandbox container: {exc}") from exc
        conn: socket.socket = getattr(sock, "_sock", sock)
        try:
            conn.sendall(protocol.encode(request))
            conn.shutdown(socket.SHUT_WR)
            self._read_reply(conn, raw, started + timeout_s, max_bytes)
        except OSError as exc:
            log.warning("sandbox attach stream failed", extra={"container": box.id[:12], "error": str(exc)})
        finally:
            _hang_up(sock, conn)
        raw.elapsed_s = time.monotonic() - started
        if raw.reply is None:
            if raw.timed_out or raw.flooded:
                self.kill(box)
            self._collect_exit(box, raw)
        return raw

    def _read_reply(self, conn: socket.socket, raw: RawRun, deadline: float, max_bytes: int) -> None:
        buffer = bytearray()
        replies = bytearray()
        diagnostics = bytearray()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raw.timed_out = True
                break
            readable, _, _ = select.select([conn], [], [], remaining)
            if not readable:
                continue
            chunk = conn.recv(65536)
            if not chunk:
                break
            buffer += chunk
            while len(buffer) >= _STREAM_HEADER.size:
                stream, size = _STREAM_HEADER.unpack_from(buffer)
                if len(buffer) < _STREAM_HEADER.size + size:
                    break
                payload = buffer[_STREAM_HEADER.size:_STREAM_HEADER.size + size]
                del buffer[:_STREAM_HEADER.size + size]
                target = replies if stream == 1 else diagnostics
                if len(target) < max_bytes:
                    target += payload[: max_bytes - len(target)]
            if len(replies) >= max_bytes or len(diagnostics) >= max_bytes:
                raw.flooded = True
                break
            reply, _ = protocol.decode_buffer(replies)
            if reply is not None:
                raw.reply = reply
                break
        raw.diagnostics = bytes(diagnostics)

    def _collect_exit(self, box: SandboxContainer, raw: RawRun) -> None:
        try:
            result = self._client.api.wait(box.id, timeout=10)
            raw.exit_code = result.get("StatusCode")
            raw.oom_killed = bool(self._client.api.inspect_container(box.id)["State"].get("OOMKilled"))
        except Exception as exc:  # noqa: BLE001 - the container may already be gone
            log.warning("cannot read sandbox exit", extra={"container": box.id[:12], "error": str(exc)})

    def kill(self, box: SandboxContainer) -> None:
        try:
            self._client.api.kill(box.id)
        except (APIError, NotFound):
            pass

    def remove(self, container_id: str) -> None:
        try:
            self._client.api.remove_container(container_id, force=True)
        except NotFound:
            pass
        except APIError as exc:
            if exc.status_code != 409:  # removal already in progress
                log.warning("cannot remove sandbox container",
                            extra={"container": container_id[:12], "error": str(exc)})

    def list_ids(self, only_expired: bool = False) -> list[str]:
        """Containers of this pool (all states); with only_expired, those past their deadline."""
        filters = {"label": [f"{LABEL_ROLE}=1", f"{LABEL_POOL}={self._s.pool_name}"]}
        now = time.time()
        found = []
        for info in self._client.api.containers(all=True, filters=filters):
            if only_expired and float(info["Labels"].get(LABEL_DEADLINE, "0")) > now:
                continue
            found.append(info["Id"])
        return found


def _hang_up(sock, conn: socket.socket) -> None:
    """Ends the attach stream for real before any kill: the engine will not finish a kill while
    the stream it writes to is open and unread, and close() alone keeps a socket shared with
    docker-py's file wrapper open."""
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    for closable in (sock, conn):
        try:
            closable.close()
        except OSError:
            pass
