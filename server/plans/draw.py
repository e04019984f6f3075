"""The 双随机 draw: random targets and random inspectors, reproducible from its record.

The algorithm needs nothing but SHA-256, so anyone can re-run a draw by hand from the
stored seed and inputs, with any tool, on any Python version:

    rank(x) = sha256("<seed>:<label>:<id>") as hex;  label is "target" or "inspector"
    targets    = the N candidate targets with the smallest rank
    inspectors = the M smallest-ranked candidate inspectors, leaving out those whose unit
                 is one of the drawn targets' units and, for a cross-region plan, those
                 whose county (the first 6 digits of the region code) is one of the
                 drawn targets' counties

The inputs are stored as they were at draw time (candidates with their unit and region,
and what was excluded before the draw and why), so a later change to units or plans does
not change what a re-run gives.
"""

from __future__ import annotations

import hashlib
import secrets

from server.regions import county

ALGORITHM = "sha256-rank-v1"


class DrawError(ValueError):
    """The inputs cannot give the draw asked for (a Chinese message for the user)."""


def new_seed() -> str:
    return secrets.token_hex(16)


def rank(seed: str, label: str, candidate_id: str) -> str:
    return hashlib.sha256(f"{seed}:{label}:{candidate_id}".encode()).hexdigest()


def pick(seed: str, label: str, candidates: list[dict], count: int) -> list[dict]:
    ordered = sorted(candidates, key=lambda c: (rank(seed, label, c["id"]), c["id"]))
    return ordered[:count]


def run_draw(seed: str, inputs: dict) -> dict:
    """Deterministic: the same seed and inputs give the same result, always."""
    if not seed:
        raise DrawError("随机种子不能为空")
    n, m = inputs["n"], inputs["m"]
    targets = inputs["targets"]
    if n > len(targets):
        raise DrawError(f"可抽取的对象只有 {len(targets)} 个,少于要抽取的 {n} 个")
    drawn = pick(seed, "target", targets, n)
    units = {t["unit_id"] for t in drawn}
    regions = {county(t["region_code"]) for t in drawn}
    eligible = [
        i
        for i in inputs["inspectors"]
        if i["unit_id"] not in units
        and not (inputs.get("cross_region") and county(i["region_code"]) in regions)
    ]
    if m > len(eligible):
        raise DrawError(
            f"排除本单位{'及同地区' if inputs.get('cross_region') else ''}人员后,"
            f"可抽取的督查人员只有 {len(eligible)} 名,少于要抽取的 {m} 名"
        )
    return {
        "target_ids": [t["id"] for t in drawn],
        "inspector_ids": [i["id"] for i in pick(seed, "inspector", eligible, m)],
    }
