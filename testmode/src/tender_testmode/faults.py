"""Fault injection: latency, 500s, 429s, connection resets and hangs, per path prefix."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tender_testmode.config import EmulatorConfig, FailMode, FaultRule


@dataclass(slots=True)
class FaultDecision:
    latency_s: float = 0.0
    failure: FailMode | None = None


NO_FAULT = FaultDecision()


class FaultInjector:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.rules: list[FaultRule] = [r.model_copy() for r in config.faults]
        self.rng = random.Random(config.fault_seed)

    def reset(self) -> None:
        self.rules = [r.model_copy() for r in self.config.faults]
        self.rng = random.Random(self.config.fault_seed)

    def set_rules(self, rules: list[FaultRule], seed: int | None, replace: bool) -> None:
        if replace:
            self.rules = []
        self.rules.extend(rules)
        if seed is not None:
            self.rng = random.Random(seed)

    def clear(self) -> None:
        self.rules = []

    def decide(self, method: str, path: str) -> FaultDecision:
        if not self.rules:
            return NO_FAULT
        latency = 0.0
        failure: FailMode | None = None
        rng = self.rng
        for rule in self.rules:
            if not path.startswith(rule.path_prefix):
                continue
            if rule.methods is not None and method not in rule.methods:
                continue
            latency += rule.latency_ms / 1000.0
            if rule.jitter_ms:
                latency += rng.uniform(0, rule.jitter_ms) / 1000.0
            if failure is not None:
                continue
            if rule.fail_next > 0:
                rule.fail_next -= 1
                failure = rule.fail_mode
            elif rule.error_rate and rng.random() < rule.error_rate:
                failure = "500"
            elif rule.rate_limit_rate and rng.random() < rule.rate_limit_rate:
                failure = "429"
            elif rule.reset_rate and rng.random() < rule.reset_rate:
                failure = "reset"
            elif rule.timeout_rate and rng.random() < rule.timeout_rate:
                failure = "timeout"
        if latency == 0.0 and failure is None:
            return NO_FAULT
        return FaultDecision(latency, failure)
