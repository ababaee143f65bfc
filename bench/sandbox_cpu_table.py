"""The per-process CPU split of the sandbox benchmark's sustained windows, as a docs/benchmarks.md section."""

import os

from bench.cpu_accounting import NESTED, STORAGE, CpuLedger, kind_order
from bench.sandbox_runtimes import Target

LOADS = (("ceiling", "bare `docker run`"), ("hello", "hello-world"), ("numeric", "numpy+pandas"))
WHAT = {
    "dockerd": "the Docker daemon (API, container create/start/attach/remove, its re-executed helpers)",
    "containerd": "containerd",
    "containerd-shim": "one shim per container (`containerd-shim-runc-v2`)",
    "runc": "`runc create/start/delete` and `runc init` until it executes the container's program",
    "runsc": "gVisor: `runsc` commands, the sandbox (Sentry, which runs the container's program) and its gofer",
    "fuse-overlayfs (storage driver)": "the engine's storage driver here (one FUSE process per container "
                                       "root file system, `fusermount3`)",
    "docker CLI": "the `docker` client of the ceiling's loops",
    "container processes": "inside the containers: the interpreter's start, the runner's imports, the code",
    "sandbox service": "the sandbox service process (gRPC, pool, attach streams)",
    "gateway": "the gateway process (HTTP, validation, the execution's database row)",
    "bench client": "the benchmark's own HTTP clients",
    "kernel threads": "kernel workers (network namespaces, block I/O, RCU, ...)",
    "other processes": "everything else on the machine in that window",
}


def _what(kind: str) -> str:
    if kind.endswith(NESTED):
        return "the same, of an engine inside a container (the dedicated engine, or another one on the host)"
    return WHAT.get(kind, "")


def _ms(ledger: CpuLedger, kind: str, n: int) -> str:
    seconds = ledger.by_kind.get(kind, 0.0)
    return f"{seconds * 1000 / n:.0f}" if seconds else "—"


def _table(m: dict) -> str:
    loads = [(key, label, m[key]) for key, label in LOADS]
    kinds = sorted({k for _, _, r in loads for k, v in r["ledger"].by_kind.items()
                    if v * 1000 / r["executions"] >= 0.5}, key=kind_order)  # rows that round to 0 ms left out
    lines = ["| process | " + " | ".join(f"{label} (ms per execution)" for _, label, _ in loads) + " | what |",
             "|---|" + "---|" * len(loads) + "---|"]
    for kind in kinds:
        lines.append(f"| {kind} | " + " | ".join(_ms(r["ledger"], kind, r["executions"]) for _, _, r in loads)
                     + f" | {_what(kind)} |")
    threads = [sum(r["ledger"].by_kind.values()) * 1000 / r["executions"] for _, _, r in loads]
    machine = [r["ledger"].machine_s * 1000 / r["executions"] for _, _, r in loads]
    lines.append("| **all threads** | " + " | ".join(f"**{v:.0f}**" for v in threads) + " | sum of the rows |")
    lines.append("| machine (`/proc/stat`) | " + " | ".join(f"{v:.0f}" for v in machine)
                 + " | the same window counted by the kernel per CPU (tick-sampled) |")
    lines.append("| executions in the window | " + " | ".join(f"{r['executions']} in {r['seconds']:.0f} s"
                                                          for _, _, r in loads) + " | |")
    lost = sum(r["ledger"].lost for _, _, r in loads)
    if lost:
        lines.append(f"\n{lost} overruns of the taskstats receive buffer: some exit records were lost, so the "
                     "short-lived rows are low.")
    return "\n".join(lines)


ENGINE = ("dockerd", "containerd", "containerd-shim", "runc", "runsc", STORAGE)
SERVICES = ("sandbox service", "gateway")


def _budget(m: dict, rates: dict[str, float]) -> str:
    """Per load: the CPU an execution may cost at its target rate on this machine, and where it went."""
    cores = os.cpu_count() or 1
    lines = []
    for key, label in LOADS[1:]:
        r, target_rate = m[key], rates[key]
        by, n = r["ledger"].by_kind, r["executions"]

        def part(kinds: tuple[str, ...], by=by, n=n) -> float:
            return sum(v for k, v in by.items() if k.removesuffix(NESTED) in kinds) * 1000 / n

        total = r["ledger"].machine_s * 1000 / n
        engine, inside, services = part(ENGINE), part(("container processes",)), part(SERVICES)
        rest = total - engine - inside - services
        lines.append(f"- {label}: at {target_rate:.1f}/s on {cores} cores an execution may cost "
                     f"{cores * 1000 / target_rate:.0f} ms of CPU; it cost {total:.0f} ms: the engine "
                     f"(dockerd, containerd, shim, runtime, storage) {engine:.0f}, the container's processes "
                     f"{inside:.0f}, the services {services:.0f}, everything else {rest:.0f}.")
    return "\n".join(lines)


def cpu_section(measured: list[tuple[Target, dict]], skipped: list[Target],
                rates: dict[Target, dict[str, float]]) -> str:
    parts = ["""
Per execution, in the sustained windows of the section above, CPU time split by process. Measured with the
kernel's own per-thread accounting, not sampled by us: every thread alive at both ends of the window is read
from `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on a CPU), and every thread that exits inside it — runc,
the shims, the containers' interpreters, all short-lived — is reported by the kernel through taskstats (a
netlink record per exiting thread with its CPU time; `bench/cpu_accounting.py`). Processes are attributed by
name (`dockerd`, `containerd`, `containerd-shim`, `runc`, `runsc`, `fuse-overlayfs`), then by ancestry (anything
below a shim is the container's), then by process id (the services and the client, started by the benchmark).
Everything running on the machine in the window is counted, so other work on the host shows up in its rows."""]
    for target, m in measured:
        parts.append(f"**{target.label}**\n\n{_table(m)}\n\n{_budget(m, rates[target])}")
    for target in skipped:
        parts.append(f"**{target.runtime}**: not run: {target.skipped}.")
    return "\n\n".join(parts) + "\n"
