"""The verdict as text: the ``bridge check`` tree (policy-bot's details page, in a terminal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .verdict import ReviewVerdict, Verdict

__all__ = ["verdict_lines"]

_MARK = {"true": "[true] ", "false": "[false]", "error": "[error]"}


def _review_line(r: ReviewVerdict) -> str:
    head = f"  {r.state:<12} {r.name:<14} {r.sub_task or '-':<9}"
    waived = f" [waived by {r.waived_by}]" if r.waived_by else ""
    return f"{head} {r.reason}{waived}"


def verdict_lines(v: Verdict) -> list[str]:
    out = [f"{v.key}  {v.summary or ''}".rstrip()]
    if v.allowed:
        out.append(
            "ALLOWED: every required review is given"
            if any(r.required for r in v.reviews)
            else "ALLOWED: no review is required"
        )
    else:
        out.append("NOT ALLOWED: missing " + ", ".join(m.title for m in v.missing))
    if v.tagging is not None:
        reasons = v.tagging.get("reasons") or []
        tag = "tagged" if v.tagging.get("tag") else "not tagged"
        cat = v.tagging.get("category")
        out.append(f"tagging: {tag}" + (f" (category {cat})" if cat else ""))
        out.extend(f"  - {r}" for r in reasons[:5])
    if v.assumed:
        out.append("assumed (simulation, nothing read from Jira changed): " + ", ".join(v.assumed))

    out += ["", "rules"]
    if not v.rules:
        out.append("  (none)")
    for rule in v.rules:
        flag = " (mandatory)" if rule.mandatory else ""
        out.append(f"  {_MARK[rule.outcome.value]} {rule.name}{flag}: {rule.reason}")
        out.extend(f"      {line}" for line in rule.result.lines())

    out += ["", "reviews"]
    out.extend(_review_line(r) for r in v.reviews)
    for r in v.reviews:
        for a in r.approvals:
            if not a.counts and a.why not in r.reason:
                out.append(f"  {'':<12} {'':<14} {a.sub_task:<9} not counted: {a.why}")

    if v.missing:
        out += ["", "missing"]
        out.extend(f"  - {m.text()}" for m in v.missing)

    if v.waivers:
        out += ["", "waivers"]
        for w in v.waivers:
            out.append(f"  {w.state:<12} {w.name:<14} covers {', '.join(w.covers)}: {w.reason}")
            out.extend(f"  {'':<12} {'':<14} ignored: {i}" for i in w.ignored)

    g = v.gate
    out += ["", "gate", f"  {'active' if g.active else 'inactive':<12} {g.reason}"]
    if v.violation:
        to = g.revert_to or "nowhere known (it would be labelled bridge-violation)"
        out.append(
            f"  {'violation':<12} bridge sync moves it back to {to} and comments what is missing"
        )
    e = v.enforcement
    todo = [f"create {c.summary!r}" for c in e.create]
    todo += [f"reopen {r.sub_task} ({r.review})" for r in e.reopen]
    if todo:
        out += ["", "to do", *(f"  - {t}" for t in todo)]
    return out
