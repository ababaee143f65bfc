"""CPU time of every thread on the machine over a window, summed by kind of process.

The kernel's own accounting, nothing sampled by us: every thread alive at the start and at the end is read
from /proc (`schedstat`: nanoseconds on the CPU), and every thread that exits in between — the short-lived
ones (runc, the shims, the containers' interpreters) — is reported by the kernel itself through taskstats
(a netlink message per exiting thread with its CPU time). A thread's share of the window is its time at the
end (or at its exit) less its time at the start (zero if born in the window).

Needs root (CAP_NET_ADMIN for taskstats). Attribution is by process name, then by ancestry (anything under a
containerd shim is a container's work), then by the process ids the caller names (the services, the client).
"""

import os
import socket
import struct
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# <linux/netlink.h>, <linux/genetlink.h>, <linux/taskstats.h>
_NETLINK_GENERIC = 16
_GENL_ID_CTRL = 0x10
_CTRL_CMD_GETFAMILY, _CTRL_ATTR_FAMILY_ID, _CTRL_ATTR_FAMILY_NAME = 3, 1, 2
_NLM_F_REQUEST, _NLMSG_ERROR = 1, 2
_TASKSTATS_CMD_GET, _TASKSTATS_CMD_NEW = 1, 2
_CMD_ATTR_REGISTER_CPUMASK, _CMD_ATTR_DEREGISTER_CPUMASK = 3, 4
_TYPE_PID, _TYPE_STATS, _TYPE_AGGR_PID = 1, 3, 4
_NLA_TYPE_MASK = 0x3FFF
_SO_RCVBUFFORCE = 33

# Offsets in struct taskstats (stable since version 1; ac_tgid since 12).
_OFF_RUN_VIRTUAL, _OFF_COMM, _OFF_PPID, _OFF_UTIME, _OFF_STIME, _OFF_TGID = 72, 80, 132, 152, 160, 368


@dataclass
class Exit:
    tid: int
    tgid: int
    ppid: int
    comm: str
    cpu_ns: int


def _attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("HH", length, kind) + payload + b"\0" * (-length % 4)


def _attrs(data: bytes) -> dict[int, bytes]:
    found, i = {}, 0
    while i + 4 <= len(data):
        length, kind = struct.unpack_from("HH", data, i)
        if length < 4:
            break
        found[kind & _NLA_TYPE_MASK] = data[i + 4:i + length]
        i += (length + 3) & ~3
    return found


def _genl(family: int, cmd: int, attrs: bytes, seq: int) -> bytes:
    body = struct.pack("BBH", cmd, 1, 0) + attrs
    return struct.pack("IHHII", 16 + len(body), family, _NLM_F_REQUEST, seq, 0) + body


def _messages(data: bytes):
    i = 0
    while i + 16 <= len(data):
        length, kind, _flags, _seq, _pid = struct.unpack_from("IHHII", data, i)
        if length < 16:
            break
        yield kind, data[i + 16:i + length]
        i += (length + 3) & ~3


class TaskstatsListener:
    """Receives the kernel's record of every thread that exits on any CPU, until stopped."""

    def __init__(self):
        self.exits: list[Exit] = []
        self.lost = 0  # receive-buffer overruns: records the kernel dropped
        self.precise = True  # False when the kernel sends tick-sampled times only
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_GENERIC)
        self._sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, 32 << 20)
        self._sock.bind((0, 0))
        self._family = self._family_id()
        self._cpus = f"0-{os.cpu_count() - 1}".encode() + b"\0"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="taskstats", daemon=True)

    def _family_id(self) -> int:
        self._sock.send(_genl(_GENL_ID_CTRL, _CTRL_CMD_GETFAMILY, _attr(_CTRL_ATTR_FAMILY_NAME, b"TASKSTATS\0"), 1))
        for kind, payload in _messages(self._sock.recv(65536)):
            if kind == _NLMSG_ERROR:
                raise OSError(f"taskstats: netlink error {struct.unpack_from('i', payload)[0]}")
            return struct.unpack_from("H", _attrs(payload[4:])[_CTRL_ATTR_FAMILY_ID])[0]
        raise OSError("taskstats: no reply from the generic netlink controller")

    def start(self) -> "TaskstatsListener":
        self._sock.send(_genl(self._family, _TASKSTATS_CMD_GET, _attr(_CMD_ATTR_REGISTER_CPUMASK, self._cpus), 2))
        self._sock.settimeout(0.2)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._sock.send(_genl(self._family, _TASKSTATS_CMD_GET, _attr(_CMD_ATTR_DEREGISTER_CPUMASK, self._cpus), 3))
        self._stop.set()
        self._thread.join()
        self._sock.close()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(1 << 20)
            except TimeoutError:
                continue
            except OSError:  # ENOBUFS: the kernel dropped records; count it, keep listening
                self.lost += 1
                continue
            for kind, payload in _messages(data):
                if kind == self._family and payload[0] == _TASKSTATS_CMD_NEW:
                    self._record(_attrs(payload[4:]))

    def _record(self, attrs: dict[int, bytes]) -> None:
        aggregate = attrs.get(_TYPE_AGGR_PID)
        if aggregate is None:
            return  # the per-process aggregate carries no CPU times; the per-thread records do
        inner = _attrs(aggregate)
        stats = inner[_TYPE_STATS]
        tid = struct.unpack_from("I", inner[_TYPE_PID])[0]
        version = struct.unpack_from("H", stats)[0]
        tgid = struct.unpack_from("I", stats, _OFF_TGID)[0] if version >= 12 and len(stats) > _OFF_TGID else tid
        ppid = struct.unpack_from("I", stats, _OFF_PPID)[0]
        comm = stats[_OFF_COMM:_OFF_COMM + 32].split(b"\0", 1)[0].decode(errors="replace")
        run_ns = struct.unpack_from("Q", stats, _OFF_RUN_VIRTUAL)[0]  # sum_exec_runtime; 0 without delayacct
        if not run_ns:
            utime, stime = struct.unpack_from("QQ", stats, _OFF_UTIME)
            run_ns = (utime + stime) * 1000
            self.precise = self.precise and not (utime or stime)
        self.exits.append(Exit(tid, tgid, ppid, comm, run_ns))


@dataclass
class Process:
    pid: int
    ppid: int
    comm: str


@dataclass
class Snapshot:
    threads: dict[int, tuple[int, int]] = field(default_factory=dict)  # tid -> (tgid, cpu ns)
    processes: dict[int, Process] = field(default_factory=dict)


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:  # gone in the meantime
        return None


def snapshot() -> Snapshot:
    snap = Snapshot()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _read(f"/proc/{pid}/stat")
        if stat is None:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        snap.processes[pid] = Process(pid, ppid, comm)
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            sched = _read(f"/proc/{pid}/task/{tid}/schedstat")
            if sched:
                snap.threads[int(tid)] = (pid, int(sched.split()[0]))
    return snap


def machine_cpu_ns() -> int:
    """CPU time of the whole machine (all but idle and iowait), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))
    return busy * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


STORAGE = "fuse-overlayfs (storage driver)"
ENGINE_KINDS = (("dockerd", "dockerd"), ("containerd-shim", "containerd-shim"), ("containerd", "containerd"),
                ("runc", "runc"), ("runsc", "runsc"), ("docker-init", "container processes"),
                ("fuse-overlayfs", STORAGE), ("fusermount", STORAGE))
KINDS_ORDER = ("dockerd", "containerd", "containerd-shim", "runc", "runsc", STORAGE, "docker CLI",
               "container processes", "sandbox service", "gateway", "bench client", "kernel threads",
               "other processes")
NESTED = " (in a container)"  # an engine inside a container (Docker-in-Docker), apart from the host's
_RUNTIMES = ("runc", "runsc")
# Re-executions of a daemon's own binary (runc init from a shim, dockerd's untar helpers) count with the parent.
_REEXEC_NAMES = ("exe",)


ENGINE_KIND_NAMES = frozenset(k for _, k in ENGINE_KINDS) - {"container processes"}


def _shims_above(pid: int, processes: dict[int, Process]) -> int:
    count, seen, cur = 0, {pid}, processes[pid].ppid if pid in processes else 0
    while cur and cur not in seen and cur in processes:
        seen.add(cur)
        count += processes[cur].comm.startswith("containerd-shim")
        cur = processes[cur].ppid
    return count


def kind_order(kind: str) -> tuple[int, int, str]:
    """Where a kind goes in a table: the known order, each engine's nested variant after it, others last."""
    base = kind.removesuffix(NESTED)
    index = KINDS_ORDER.index(base) if base in KINDS_ORDER else len(KINDS_ORDER)
    return index, kind != base, kind


class CpuLedger:
    """Use as a context manager around a measured window; then `by_kind` in CPU-seconds.

    `named` maps process ids the caller knows (services, the client) to their kind; their children count with
    them unless they are engine processes themselves."""

    def __init__(self, named: dict[int, str] | None = None, runtime: str = "runc"):
        self.named = dict(named or {})
        self.runtime = runtime  # whose re-executed binary ("exe") a shim's child is: runc's init or gVisor's sandbox
        self.by_kind: dict[str, float] = {}
        self.by_name: dict[tuple[str, str], float] = {}  # (kind, process name) -> CPU-seconds
        self.machine_s = 0.0
        self.lost = 0
        self.precise = True

    def __enter__(self) -> "CpuLedger":
        self._listener = TaskstatsListener().start()
        self._machine0 = machine_cpu_ns()
        self._start = snapshot()
        return self

    def __exit__(self, *exc) -> None:
        end = snapshot()
        self.machine_s = (machine_cpu_ns() - self._machine0) / 1e9
        self._listener.stop()
        self.lost, self.precise = self._listener.lost, self._listener.precise
        self.by_kind = self._attribute(end, self._listener.exits)

    def _attribute(self, end: Snapshot, exits: list[Exit]) -> dict[str, float]:
        processes = {**self._start.processes}
        for e in exits:
            if e.tid == e.tgid:
                processes.setdefault(e.tgid, Process(e.tgid, e.ppid, e.comm))
        processes.update(end.processes)
        for e in exits:  # a process whose leader lived on: name it by a thread
            processes.setdefault(e.tgid, Process(e.tgid, e.ppid, e.comm))

        window: dict[int, tuple[int, int]] = {}  # tid -> (tgid, ns in the window)
        for tid, (tgid, ns) in end.threads.items():
            window[tid] = (tgid, ns - self._start.threads.get(tid, (tgid, 0))[1])
        for e in exits:
            window[e.tid] = (e.tgid, max(0, e.cpu_ns - self._start.threads.get(e.tid, (e.tgid, 0))[1]))

        totals: dict[str, float] = defaultdict(float)
        names: dict[tuple[str, str], float] = defaultdict(float)
        memo: dict[int, str] = {}
        for tgid, ns in window.values():
            kind = self._kind(tgid, processes, memo)
            totals[kind] += ns / 1e9
            names[kind, processes[tgid].comm if tgid in processes else "?"] += ns / 1e9
        self.by_name = dict(sorted(names.items(), key=lambda kv: -kv[1]))
        return {k: totals[k] for k in sorted(totals, key=kind_order) if totals[k]}

    def _kind(self, pid: int, processes: dict[int, Process], memo: dict[int, str]) -> str:
        if pid not in memo:
            memo[pid] = "other processes"  # guards against a cycle of reused process ids
            kind = self._kind_of(pid, processes, memo)
            engine = kind in ENGINE_KIND_NAMES
            # a runtime's own shim is above it on the host already; an engine's process in a container has one more
            if engine and _shims_above(pid, processes) >= (2 if kind in _RUNTIMES else 1):
                kind += NESTED
            memo[pid] = kind
        return memo[pid]

    def _kind_of(self, pid: int, processes: dict[int, Process], memo: dict[int, str]) -> str:
        proc = processes.get(pid)
        if pid in self.named:
            return self.named[pid]
        if proc is None:
            return "other processes"
        if pid == 2 or proc.ppid == 2:
            return "kernel threads"
        if proc.comm in _REEXEC_NAMES or proc.comm.startswith("memfd:"):
            parent = processes.get(proc.ppid)
            if parent and parent.comm.startswith(("runc", "runsc")):
                return "runsc" if parent.comm.startswith("runsc") else "runc"  # runc init unnamed yet; gVisor's sandbox
            if parent and parent.comm.startswith("containerd-shim"):
                return self.runtime  # reparented to the shim when its runtime command exited
            return self._kind(proc.ppid, processes, memo)
        if own := next((k for prefix, k in ENGINE_KINDS if proc.comm.startswith(prefix)), None):
            return own
        if proc.comm == "docker":
            return "docker CLI"
        seen, cur = {pid}, proc.ppid
        while cur and cur not in seen:
            seen.add(cur)
            if cur in self.named:
                return self.named[cur]
            parent = processes.get(cur)
            if parent is None:
                break
            if parent.comm.startswith("containerd-shim"):
                return "container processes"
            cur = parent.ppid
        return "other processes"
