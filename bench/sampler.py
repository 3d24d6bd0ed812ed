"""Sample memory and CPU of the processes under test while the load runs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import psutil


@dataclass
class ProcessFigures:
    peak_rss_mb: float = 0.0
    rss_first_fifth_mb: float = 0.0
    rss_last_fifth_mb: float = 0.0
    cpu_percent_avg: float = 0.0
    rss_per_minute_mb: list[float] = field(default_factory=list)  # the curve, for leaks
    samples: list[tuple[float, float]] = field(default_factory=list)  # (rss MB, cpu %)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _postgres() -> list[psutil.Process]:
    return [
        p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")
    ]


class Sampler:
    """Every `interval` seconds: RSS and CPU of each named process tree, and of PostgreSQL."""

    def __init__(self, pids: dict[str, int], interval: float = 1.0) -> None:
        self.pids = pids
        self.interval = interval
        self.figures = {name: ProcessFigures() for name in [*pids, "postgres"]}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="sampler")
        self.machine_cpu: list[float] = []

    def __enter__(self) -> Sampler:
        psutil.cpu_percent(None)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for figures in self.figures.values():
            rss = [s[0] for s in figures.samples]
            if rss:
                fifth = max(1, len(rss) // 5)
                figures.peak_rss_mb = max(rss)
                figures.rss_first_fifth_mb = max(rss[:fifth])
                figures.rss_last_fifth_mb = max(rss[-fifth:])
                figures.cpu_percent_avg = sum(s[1] for s in figures.samples) / len(rss)
                per_minute = max(1, round(60 / self.interval))
                figures.rss_per_minute_mb = [round(r) for r in rss[::per_minute]]

    def _measure(self, procs: list[psutil.Process]) -> tuple[float, float]:
        rss = cpu = 0.0
        for proc in procs:
            try:
                rss += proc.memory_info().rss / 2**20
                cpu += proc.cpu_percent(None)
            except psutil.Error:
                continue
        return rss, cpu

    def _run(self) -> None:
        trees = {name: _tree(pid) for name, pid in self.pids.items()}
        trees["postgres"] = _postgres()
        for procs in trees.values():  # prime cpu_percent
            self._measure(procs)
        while not self._stop.wait(self.interval):
            for name in self.pids:
                known = {p.pid for p in trees[name]}
                trees[name] += [p for p in _tree(self.pids[name]) if p.pid not in known]
            known = {p.pid for p in trees["postgres"]}  # a backend is forked per connection
            trees["postgres"] += [p for p in _postgres() if p.pid not in known]
            for name, procs in trees.items():
                self.figures[name].samples.append(self._measure(procs))
            self.machine_cpu.append(psutil.cpu_percent(None))
