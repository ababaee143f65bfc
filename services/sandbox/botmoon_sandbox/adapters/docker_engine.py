"""The Docker engine as the sandbox sees it: locked-down containers, attach, kill, list, remove."""

import logging
import time
from dataclasses import dataclass, field

import docker
from docker.errors import APIError, NotFound
from docker.types import LogConfig, Ulimit

from botmoon_runner import isolation, protocol
from botmoon_sandbox.adapters.attach_stream import AttachStream
from botmoon_sandbox.domain.flavour import Flavour
from botmoon_sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)

LABEL_ROLE = "botmoon.sandbox"
LABEL_POOL = "botmoon.sandbox.pool"
LABEL_DEADLINE = "botmoon.sandbox.deadline"
LABEL_FLAVOUR = "botmoon.sandbox.flavour"

THREAD_ENV = {
    name: "1"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                 "VECLIB_MAXIMUM_THREADS")
}
# Runtimes under which PR_SET_DUMPABLE does not keep the worker out of /proc/<runner>/fd (gVisor's 2022 release):
# there the runner and its worker run as two users (botmoon_runner.isolation.SPLIT_USERS_ENV).
SPLIT_USERS_UNDER = frozenset({"runsc"})
SPLIT_CAPABILITIES = ["SETUID", "SETGID", "SETPCAP"]  # used once, to become those users; then gone
SCRATCH = "/tmp"  # noqa: S108 - the container's own size-limited tmpfs, not the host's


def runner_user(worker_user: str) -> str:
    """The runner's own user where the two are split: another unprivileged one than the worker's."""
    return "65532:65532" if worker_user.split(":")[0] == "65533" else "65533:65533"


class EngineError(Exception):
    """The Docker engine refused or failed an operation."""


@dataclass
class RawRun:
    """What came back from one container before it was judged: a reply frame or how it ended."""

    reply: dict | None = None  # the reply's head, parsed once, not yet checked
    value: bytes = b""  # the reply's value: JSON text, unparsed
    violation: str | None = None  # how the container broke the protocol, if it did
    diagnostics: bytes = b""
    timed_out: bool = False
    flooded: bool = False
    elapsed_s: float = 0.0
    exit_code: int | None = None
    oom_killed: bool = False


@dataclass
class SandboxContainer:
    """A started container and the attach stream it was started with (kept for its one execution)."""

    id: str
    stream: AttachStream
    flavour: Flavour = Flavour.NUMERIC
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

    def facts(self) -> dict:
        """What the start-up probes compare against: the runtimes the engine has registered and its kernel."""
        try:
            info = self._client.info()
        except APIError as exc:
            raise EngineError(f"cannot read the engine's info: {exc}") from exc
        return {"runtimes": sorted(info.get("Runtimes") or {}), "kernel": info.get("KernelVersion", ""),
                "default_runtime": info.get("DefaultRuntime", "")}

    def runtime_of_new_container(self) -> str:
        """The runtime the engine records on a container made with the sandbox's own create options
        (created, inspected, removed; never started)."""
        try:
            created = self._client.api.create_container(**self.create_options())
        except (APIError, NotFound) as exc:
            raise EngineError(f"cannot create a probe container: {getattr(exc, 'explanation', None) or exc}") from exc
        try:
            return self._client.api.inspect_container(created["Id"])["HostConfig"].get("Runtime") or ""
        finally:
            self.remove(created["Id"])

    def create_options(self, flavour: Flavour = Flavour.STDLIB) -> dict:
        """Arguments of the engine's container create call: every limit of the sandbox, and the flavour its
        runner starts as."""
        s = self._s
        memory = s.memory_mb * 1024 * 1024
        fsize = s.fsize_mb * 1024 * 1024
        deadline = time.time() + s.idle_ttl_s + s.wall_time_s + s.start_timeout_s
        split = s.runtime in SPLIT_USERS_UNDER
        split_env = {isolation.SPLIT_USERS_ENV: f"{s.user},{runner_user(s.user)}"} if split else {}
        host_config = self._client.api.create_host_config(
            network_mode="none",
            read_only=True,
            tmpfs={SCRATCH: f"rw,noexec,nosuid,nodev,size={s.tmpfs_mb}m"},
            cap_drop=["ALL"],
            cap_add=SPLIT_CAPABILITIES if split else None,
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
            # No log: what the runner writes travels through the attach stream, and nothing reads a log.
            log_config=LogConfig(type="none"),
            runtime=s.runtime,
        )
        return dict(
            image=s.runner_image,
            command=[flavour.value],  # the runner's argument: what it imports before it forks its worker
            stdin_open=True,  # with detach unset, docker-py also sets StdinOnce: EOF when we detach
            tty=False,
            user="0:0" if split else s.user,
            environment={**split_env, **THREAD_ENV, "HOME": SCRATCH, "PYTHONDONTWRITEBYTECODE": "1",
                         protocol.MAX_OUTPUT_ENV: str(s.max_output_bytes),
                         protocol.MAX_VALUE_ENV: str(s.max_session_reply_bytes)},
            hostname="sandbox",
            working_dir=SCRATCH,
            network_disabled=True,
            labels={LABEL_ROLE: "1", LABEL_POOL: s.pool_name, LABEL_DEADLINE: f"{deadline:.0f}",
                    LABEL_FLAVOUR: flavour.value},
            host_config=host_config,
        )

    def start(self, max_bytes: int, flavour: Flavour) -> SandboxContainer:
        """Creates a container, attaches to it before it starts (so nothing it writes is missed and
        no polling is needed), and starts it. Its runner then imports what its flavour has and says ready."""
        try:
            created = self._client.api.create_container(**self.create_options(flavour))
            sock = self._client.api.attach_socket(
                created["Id"], params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            box = SandboxContainer(created["Id"], AttachStream(sock, max_bytes), flavour)
            self._client.api.start(created["Id"])
        except (APIError, NotFound) as exc:
            raise EngineError(f"cannot start a sandbox container: {getattr(exc, 'explanation', None) or exc}") from exc
        return box

    def wait_ready(self, box: SandboxContainer, timeout_s: float) -> bool:
        try:
            ready = box.stream.read_until(lambda s: protocol.READY_LINE in s.stderr, time.monotonic() + timeout_s)
        except OSError:
            return False
        if ready:
            box.stream.stderr = box.stream.stderr.replace(protocol.READY_LINE, b"", 1)
        return ready

    def call(self, box: SandboxContainer, frame: bytes, timeout_s: float, max_value: int,
             last: bool = False) -> RawRun:
        """Sends one frame to the runner and reads one reply frame, its head at most protocol.head_limit and
        its value at most `max_value` bytes (both refused from the length alone, before their bytes are kept).
        A timeout, a flood of stderr or a protocol violation ends the stream; the caller's discard kills the
        container. `last` closes stdin (and the stream) after the reply."""
        started = time.monotonic()
        raw = RawRun()
        stream = box.stream
        reply = stream.expect_reply(protocol.head_limit(self._s.max_output_bytes), max_value)
        try:
            stream.send(frame, close_stdin=last)
            stream.read_until(lambda s: reply.done, started + timeout_s)
        except OSError as exc:
            log.warning("sandbox attach stream failed", extra={"container": box.id[:12], "error": str(exc)})
        raw.elapsed_s = time.monotonic() - started
        raw.violation = stream.violation
        if reply.done and not raw.violation:
            raw.reply, raw.value = reply.head, reply.binary
        stream.reply = None
        raw.diagnostics = bytes(stream.stderr)
        stream.stderr.clear()
        if raw.reply is None or last:
            stream.close()
        if raw.reply is None:
            raw.flooded = stream.overflow
            raw.timed_out = not stream.eof and not stream.overflow and not raw.violation
            if raw.timed_out or raw.flooded or raw.violation:
                # The verdict is known; the caller's discard force-removes (kills) it off this path.
                return raw
            self._collect_exit(box, raw)
        return raw

    def _collect_exit(self, box: SandboxContainer, raw: RawRun) -> None:
        try:
            result = self._client.api.wait(box.id, timeout=10)
            raw.exit_code = result.get("StatusCode")
            raw.oom_killed = bool(self._client.api.inspect_container(box.id)["State"].get("OOMKilled"))
        except Exception as exc:  # noqa: BLE001 - the container may already be gone
            log.warning("cannot read sandbox exit", extra={"container": box.id[:12], "error": str(exc)})

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

