"""What a score is made of: each indicator's contribution to its index and to the composite,
and the points it leaves on the table ("largest gain available").

With weighted arithmetic means all the way up, a score is a sum over indicators:
    composite = Σ_i share_i × score_i,
where share_i is the product, over the indicator and each aggregate above it, of its weight
divided by the summed weight of the siblings that are present (the engine's skip rule; an
indicator with rule `zero` is present with score 0). So contribution_i = share_i × score_i
adds up to the published score, and gain_i = share_i × (scale − score_i) is how much the
score would rise if that indicator reached its upper goalpost, the rest unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelines.engine.composite import Node


def _present(n: Node, scores: Mapping[str, float | None]) -> bool:
    value = scores.get(n.code)
    return (value is not None and value == value) or (n.level == 1 and n.missing == "zero")


def contributions(nodes: Sequence[Node], scores: Mapping[str, float | None], root: str) -> list[dict]:
    """One row per indicator under `root`: code, parent (its index), score, share_parent
    (its share of the index), share (of the root), contribution and gain (points of the
    root's score). Indicators without a score (skipped) have share 0. Needs arithmetic means."""
    by_code = {n.code: n for n in nodes}
    children: dict[str, list[Node]] = {}
    for n in nodes:
        if n.parent is not None:
            children.setdefault(n.parent, []).append(n)
    for n in nodes:
        if n.level > 1 and n.aggregate != "amean":
            raise ValueError(f"{n.code}: contributions need arithmetic means, not {n.aggregate}")

    def share_in_parent(n: Node) -> float:
        siblings = [c for c in children[n.parent] if _present(c, scores)]
        total = sum(c.weight for c in siblings)
        return n.weight / total if total > 0 and _present(n, scores) else 0.0

    rows = []
    scale = {n.out_hi for n in nodes if n.level == 1}
    top = max(scale) if scale else 100.0
    for n in nodes:
        if n.level != 1:
            continue
        chain, share, node = [], 1.0, n
        while node.code != root and node.parent is not None:
            chain.append(node.code)
            share *= share_in_parent(node)
            node = by_code[node.parent]
        if node.code != root:
            continue  # not under this root
        value = scores.get(n.code)
        score = 0.0 if (value is None or value != value) and n.missing == "zero" else value
        known = score is not None and score == score
        rows.append(
            {
                "code": n.code,
                "parent": n.parent,
                "score": score if known else None,
                "share_parent": share_in_parent(n),
                "share": share,
                "contribution": share * score if known else 0.0,
                "gain": share * (n.out_hi - score) if known else 0.0,
                "scale": top,
            }
        )
    return rows
