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
    cpu_seconds: float = 0.0  # user + system time the tree spent while the sampler ran
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
    """Every `interval` seconds: RSS and CPU of each named process tree, and of PostgreSQL.

    Besides the percentages it keeps each process's CPU time (user + system) at the start and
    at its last sighting, so `cpu_seconds` is the time the processes spent on the run, not a
    share of a busy machine. PostgreSQL is the tree under `pids["postgres"]` when given (the
    bench's own server), otherwise every process named postgres on the machine.
    """

    def __init__(self, pids: dict[str, int], interval: float = 1.0) -> None:
        self.pids = pids
        self.interval = interval
        self.figures = {name: ProcessFigures() for name in dict.fromkeys([*pids, "postgres"])}
        self._cpu_first: dict[str, dict[int, float]] = {name: {} for name in self.figures}
        self._cpu_last: dict[str, dict[int, float]] = {name: {} for name in self.figures}
        self._trees: dict[str, list[psutil.Process]] = {}
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
        for name, procs in self._trees.items():  # the CPU time up to the very end
            self._cpu_time(name, procs)
        for name, figures in self.figures.items():
            last, first = self._cpu_last[name], self._cpu_first[name]
            figures.cpu_seconds = sum(t - first.get(pid, 0.0) for pid, t in last.items())
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

    def _cpu_time(self, name: str, procs: list[psutil.Process]) -> None:
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue  # gone: its last sighting stands
            self._cpu_last[name][proc.pid] = times.user + times.system

    def _members(self, name: str) -> list[psutil.Process]:
        if name in self.pids:
            return _tree(self.pids[name])
        return _postgres()

    def _run(self) -> None:
        trees = self._trees
        for name in self.figures:
            trees[name] = self._members(name)
        for name, procs in trees.items():  # prime cpu_percent and the CPU-time origin
            self._measure(procs)
            self._cpu_time(name, procs)
            self._cpu_first[name] = dict(self._cpu_last[name])
        while not self._stop.wait(self.interval):
            for name in trees:  # a backend is forked per connection: its time is all ours
                known = {p.pid for p in trees[name]}
                trees[name] += [p for p in self._members(name) if p.pid not in known]
            for name, procs in trees.items():
                self.figures[name].samples.append(self._measure(procs))
                self._cpu_time(name, procs)
            self.machine_cpu.append(psutil.cpu_percent(None))
