"""Resident memory of the real service: idle after start-up, and at its peak under concurrent chat sessions.

The service starts as `minfu bench http` starts it (eval/bench_http.running_service: `minfu serve` on a loopback
port, its own temporary database). Its RSS (VmRSS in /proc/<pid>/status) is sampled for `idle_s` seconds once it
reports ready, then all through a load phase of `sessions` closed-loop visitors for `seconds` (eval/bench_http
run_phase); the kernel's own high-water mark (VmHWM) is reported beside the sampled peak (the kernel updates
it lazily, so the two may differ by a fraction of a megabyte).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.bench.common import Progress, quiet, ratio, timed
from eval.bench_http import HttpBenchOptions, ServiceProcess, demo_token, run_coroutine, run_phase, running_service
from minfu.errors import ConfigurationError


@dataclass(frozen=True)
class MemoryBenchOptions:
    sessions: int
    seconds: float
    idle_s: float = 3.0
    interval_s: float = 0.1
    turn_timeout_s: float = 60.0
    ready_timeout_s: float = 300.0
    environment: Mapping[str, str] = field(default_factory=dict)  # for the service, on top of os.environ


class RssSampler:
    """Reads the service's RSS every `interval_s` seconds in a background thread while it is running."""

    def __init__(self, service: ServiceProcess, interval_s: float) -> None:
        self._service = service
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="minfu-bench-rss", daemon=True)
        self.samples: list[float] = []

    def _run(self) -> None:
        while True:
            value = self._service.rss_mb()
            if value is not None:
                self.samples.append(value)
            if self._stop.wait(self._interval):
                return

    @contextmanager
    def running(self) -> Iterator[RssSampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def run_memory_bench(options: MemoryBenchOptions, *, progress: Progress = quiet) -> dict[str, Any]:
    service_options = HttpBenchOptions(
        sessions=options.sessions,
        seconds=options.seconds,
        turn_timeout_s=options.turn_timeout_s,
        ready_timeout_s=options.ready_timeout_s,
        environment=options.environment,
    )
    with (
        tempfile.TemporaryDirectory(prefix="minfu-bench-memory-") as workdir,
        running_service(service_options, Path(workdir)) as service,
    ):
        progress("内存：启动服务并等待就绪…")
        with timed() as startup:
            service.wait_ready(options.ready_timeout_s)
        progress(f"内存：空闲采样 {options.idle_s:g} 秒…")
        with RssSampler(service, options.interval_s).running() as idle:
            time.sleep(options.idle_s)
        progress(f"内存：{options.sessions} 个并发会话 {options.seconds:g} 秒，同时采样…")
        token = demo_token(service.base_url)
        with RssSampler(service, options.interval_s).running() as loaded:
            load = run_coroutine(
                run_phase(
                    service.base_url, options.sessions, options.seconds, token=token, timeout_s=options.turn_timeout_s
                )
            )
        service.check_alive()
        after, high_water = service.rss_mb(), service.rss_mb("VmHWM")
    if not idle.samples or not loaded.samples:
        raise ConfigurationError("无法读取服务进程的内存（需要 Linux 的 /proc）")
    idle_median, peak = statistics.median(idle.samples), max(loaded.samples)
    return {
        "startup_s": round(startup.seconds, 2),
        "idle_mb": {"first": idle.samples[0], "median": round(idle_median, 1), "samples": len(idle.samples)},
        "load_mb": {
            "peak": peak,
            "median": round(statistics.median(loaded.samples), 1),
            "samples": len(loaded.samples),
        },
        "vm_hwm_mb": high_water,
        "after_load_mb": after,
        "peak_vs_idle": ratio(peak, idle_median),
        "load": load.summary() | {"sessions": options.sessions, "seconds": options.seconds},
    }
