"""The verify report: a line per call with its differences spelled out, a conformance score
(calls that match / calls made) and a coverage figure (routes exercised / routes served)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from mockserver.verify.compare import PASS, Verdict


@dataclass
class Report:
    provider: str
    target: str                   # the base URL, or "replay of DIR"
    verdicts: list[Verdict]
    routes_exercised: list[str]
    routes_served: list[str]
    prefix: str = ""              # the provider's API prefix, for the hint when every real call is a 404

    @property
    def matching(self) -> int:
        return sum(v.verdict == PASS for v in self.verdicts)

    @property
    def conforms(self) -> bool:
        return self.matching == len(self.verdicts)

    def as_json(self) -> dict:
        return {"provider": self.provider, "target": self.target,
                "conformance": {"matching": self.matching, "calls": len(self.verdicts)},
                "coverage": {"exercised": len(self.routes_exercised), "served": len(self.routes_served),
                             "routes_not_exercised": self.routes_not_exercised},
                "calls": [asdict(v) for v in self.verdicts]}

    def as_text(self) -> str:
        width = max([len(v.name) for v in self.verdicts] + [4])
        lines = [f"mockserver verify {self.provider} against {self.target}", ""]
        for v in self.verdicts:
            statuses = f"{_status(v.real_status)} / {_status(v.sandbox_status)}"
            lines.append(f"  {v.name:<{width}}  {v.verdict:<13}  {statuses:<9}  {v.call}")
            lines += [f"  {'':<{width}}    {difference}" for difference in v.differences]
        lines += ["", "  statuses are real / sandbox",
                  f"conformance: {self.matching}/{len(self.verdicts)} calls match",
                  f"coverage: {len(self.routes_exercised)}/{len(self.routes_served)} routes the sandbox serves were "
                  "exercised"]
        missing = self.routes_not_exercised
        if missing:
            lines.append(f"  not exercised: {', '.join(missing)}")
        if self.all_not_found:
            lines.append(f"every call to the real API answered 404: does the base URL end with the API's prefix "
                         f"({self.prefix}), as in https://host{self.prefix}?")
        return "\n".join(lines)

    @property
    def routes_not_exercised(self) -> list[str]:
        return sorted(set(self.routes_served) - set(self.routes_exercised))

    @property
    def all_not_found(self) -> bool:
        """Every call the real API answered was a 404: most likely a base URL without the prefix."""
        answered = [v.real_status for v in self.verdicts if v.real_status is not None]
        return bool(answered) and all(status == 404 for status in answered)


def _status(status: int | None) -> str:
    return "-" if status is None else str(status)
