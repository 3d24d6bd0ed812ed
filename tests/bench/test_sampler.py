"""The sampler counts the CPU time a process tree spent during the run, children included."""

from __future__ import annotations

import subprocess
import sys

from bench.sampler import Sampler

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_cpu_seconds_counts_a_busy_child_process() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BURN!r}])",
        ]
    )
    try:
        with Sampler({"busy": parent.pid}, interval=0.05) as sampler:
            parent.wait(timeout=20)
    finally:
        parent.kill()
    burnt = sampler.figures["busy"].cpu_seconds
    assert 0.3 <= burnt < 5.0  # the child's 0.4 s is counted, whatever the machine's load
