"""The service's worker processes, seen from outside: their memory and their connections.

The benchmark starts the service as `python -m ledger.cli serve` (a child of its own process); granian
runs the app in that process's children. A worker's RSS is what the operating system counts for it
(shared pages included, as a container's limit would count them).
"""

from __future__ import annotations

import psutil

MB = 2**20


def service_workers() -> list[psutil.Process]:
    """The worker processes of the services this process started (`crisis-ledger serve`): one
    service's, or every one's when several run at once (the ten tenants' part, one per database)."""
    workers = []
    for child in psutil.Process().children():
        try:
            command = child.cmdline()
        except psutil.Error:
            continue
        if "ledger.cli" in command and "serve" in command:
            workers += [p for p in child.children(recursive=True) if _serves(p)]
    if not workers:
        raise RuntimeError("no service process found (started by this process)")
    return workers


def _serves(process: psutil.Process) -> bool:
    """(granian's workers; not a helper process multiprocessing may start beside them)"""
    try:
        return "resource_tracker" not in " ".join(process.cmdline())
    except psutil.Error:
        return False


def rss_mb(workers: list[psutil.Process]) -> list[float]:
    """Each worker's resident set, in MB, in the order given."""
    return [round(w.memory_info().rss / MB, 1) for w in workers]


def cpu_s(processes: list[psutil.Process]) -> float:
    """The CPU time (user and system) the processes used so far, together."""
    total = 0.0
    for p in processes:
        times = p.cpu_times()
        total += times.user + times.system
    return total


def connections(workers: list[psutil.Process], port: int) -> list[int]:
    """Each worker's established connections to `port` (the clients it serves), in the order given."""
    return [
        sum(1 for c in w.net_connections(kind="tcp") if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)
        for w in workers
    ]
