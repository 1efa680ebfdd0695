"""The programme as data: sub-programmes, indicators, targets and budgets, checked on load."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.configfile import ConfigError, load_model
from pipeline.matching import Vocabulary, load_vocabulary
from pipeline.text import fold, match_key


class ProgrammeError(ValueError):
    """A programme file that cannot be used (its figures do not add up, or it is malformed)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Model):
    code: str
    name: str
    synonyms: tuple[str, ...] = ()  # column headers officers use for it
    national: bool = False  # the national khuyến công funds (KCQG), set apart for the Bộ Công Thương


class Budget(_Model):
    """Budget by funding source plus the stated total, in the programme's money unit."""

    by_source: dict[str, Decimal]
    total: Decimal

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: object) -> object:
        if isinstance(data, dict) and "by_source" not in data:
            data = dict(data)
            total = data.pop("total")
            return {"by_source": data, "total": total}
        return data


class Indicator(_Model):
    code: str
    name: str
    unit: str
    target: Decimal | None = None  # 5-year target (required for a sub-programme's indicators)
    kind: Literal["flow", "level"] = "flow"  # flow: counted in the period (summed); level: at the period's end
    # "province": carried out by the provincial centre only; "district": a fact about a unit's territory
    # (the context indicators), owed by the districts, towns and city only - never by the provincial centre
    level: Literal["all", "province", "district"] = "all"
    whole: bool = True  # a count: whole numbers only
    synonyms: tuple[str, ...] = ()  # other names officers use for it (free-layout reports)
    phrase: str | None = None  # the report's sentence for a result: "Đào tạo mới {n} lao động"
    noun: str | None = None  # the word after a cumulative figure ("lũy kế 180/300 lao động"); the unit if None

    @model_validator(mode="after")
    def _phrase(self) -> Indicator:
        if self.phrase is not None and "{n}" not in self.phrase:
            raise ProgrammeError(f"indicator {self.code}: phrase must contain {{n}}: {self.phrase!r}")
        return self


class Check(_Model):
    """A cross-check applied to every report (like a DHIS2 validation rule)."""

    rule: Literal["row_total", "whole_number", "above_target", "province_only"]
    severity: Literal["error", "warning"]
    multiple: Decimal | None = None  # above_target: a single report above `multiple` x the 5-year target


class SubProgramme(_Model):
    code: str
    name: str
    synonyms: tuple[str, ...] = ()
    budget: Budget
    indicators: tuple[Indicator, ...]
    tasks: tuple[str, ...] = ()  # the programme's tasks (seed, Điều 4 "Nội dung"), listed for the next period


class Group(_Model):
    """Context indicators outside the sub-programmes (establishments, workers, production value)."""

    code: str
    name: str
    synonyms: tuple[str, ...] = ()
    indicators: tuple[Indicator, ...]


class Growth(_Model):
    """An objective of growth per year for one indicator (seed, Điều 2: production value +15-20 %/year)."""

    indicator: str
    low: Decimal
    high: Decimal


class Programme(_Model):
    code: str
    name: str
    decision: str
    province: str
    first_year: int
    last_year: int
    money_unit: str
    sources: tuple[Source, ...]
    budget: Budget
    average_per_year: Decimal | None = None
    subprogrammes: tuple[SubProgramme, ...] = Field(min_length=1)
    context: Group | None = None
    growth: Growth | None = None
    annual_plans: dict[int, dict[str, Decimal]] = {}  # kế hoạch năm: year -> indicator or sub-programme -> plan
    checks: tuple[Check, ...] = ()
    vocabulary: Vocabulary | None = None  # not in the programme file: <config>/labels.yaml (pipeline.matching)

    @property
    def groups(self) -> tuple[SubProgramme | Group, ...]:
        """The groups of rows of table A: the sub-programmes, then the context indicators."""
        return (*self.subprogrammes, *((self.context,) if self.context else ()))

    def check(self, rule: str) -> Check | None:
        return next((c for c in self.checks if c.rule == rule), None)

    @cached_property
    def indicators(self) -> dict[str, Indicator]:
        """Every indicator a report may carry, context indicators included."""
        return {i.code: i for g in self.groups for i in g.indicators}

    @cached_property
    def targeted(self) -> dict[str, Indicator]:
        """The sub-programmes' indicators (each with a 5-year target)."""
        return {i.code: i for s in self.subprogrammes for i in s.indicators}

    @cached_property
    def source_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.sources)

    @cached_property
    def national_source(self) -> str | None:
        """The code of the source marked `national: true` (the national funds, "KCQG"), if one is."""
        return next((s.code for s in self.sources if s.national), None)

    @cached_property
    def group_codes(self) -> frozenset[str]:
        return frozenset(g.code for g in self.groups)

    @cached_property
    def name_keys(self) -> dict[str, tuple[str, str]]:
        """Matching key (pipeline.text.match_key) of every code, name and synonym -> ("indicator" |
        "subprogramme", code): how rows of a free-layout report are recognised."""
        keys: dict[str, tuple[str, str]] = {}
        for g in self.groups:
            for text in (g.code, g.name, *g.synonyms):
                keys[match_key(text)] = ("subprogramme", g.code)
            for i in g.indicators:
                for text in (i.code, i.name, *i.synonyms):
                    keys[match_key(text)] = ("indicator", i.code)
        return keys

    @cached_property
    def source_keys(self) -> dict[str, str]:
        """Folded code, name and synonyms of each funding source -> its code."""
        return {fold(t): s.code for s in self.sources for t in (s.code, s.name, *s.synonyms)}

    def subprogramme_of(self, indicator_code: str) -> SubProgramme:
        return next(s for s in self.subprogrammes if any(i.code == indicator_code for i in s.indicators))

    @property
    def years(self) -> int:
        return self.last_year - self.first_year + 1

    @model_validator(mode="after")
    def _check(self) -> Programme:
        _check_programme(self)
        return self


def _fmt(x: Decimal) -> str:
    return f"{x:,}".replace(",", ".")


def _check_budget(owner: str, budget: Budget, sources: tuple[str, ...]) -> None:
    unknown = set(budget.by_source) - set(sources)
    missing = set(sources) - set(budget.by_source)
    if unknown or missing:
        raise ProgrammeError(
            f"{owner}: budget sources {sorted(budget.by_source)} do not match the programme's {list(sources)}"
        )
    parts = sum(budget.by_source.values(), Decimal(0))
    if parts != budget.total:
        detail = " + ".join(f"{k} {_fmt(v)}" for k, v in budget.by_source.items())
        raise ProgrammeError(
            f"{owner}: sources add up to {_fmt(parts)} ({detail}) but the stated total is {_fmt(budget.total)}"
        )


def _check_programme(p: Programme) -> None:
    sources = p.source_codes
    if p.last_year < p.first_year:
        raise ProgrammeError(f"programme {p.code}: last_year {p.last_year} is before first_year {p.first_year}")
    _check_budget(f"programme {p.code}", p.budget, sources)
    national = [s.code for s in p.sources if s.national]
    if len(national) > 1:
        raise ProgrammeError(f"programme {p.code}: only one source can be national, not {national}")
    for sp in p.subprogrammes:
        for i in sp.indicators:
            if i.target is None:
                raise ProgrammeError(f"programme {p.code}: indicator {i.code} of {sp.code} has no 5-year target")
    for year, plans in p.annual_plans.items():
        if not p.first_year <= year <= p.last_year:
            raise ProgrammeError(f"programme {p.code}: annual plan for {year}, outside {p.first_year}-{p.last_year}")
        unknown = set(plans) - set(p.targeted) - {sp.code for sp in p.subprogrammes}
        if unknown:
            raise ProgrammeError(f"programme {p.code}: annual plan {year} names unknown codes {sorted(unknown)}")
    if p.growth is not None and p.growth.indicator not in p.indicators:
        raise ProgrammeError(f"programme {p.code}: growth objective for unknown indicator {p.growth.indicator}")
    codes: set[str] = set()
    if p.context is not None:
        for code in [p.context.code, *(i.code for i in p.context.indicators)]:
            if code in codes:
                raise ProgrammeError(f"programme {p.code}: code {code} is used twice")
            codes.add(code)
    for sp in p.subprogrammes:
        _check_budget(f"sub-programme {sp.code} ({sp.name})", sp.budget, sources)
        for code in [sp.code, *(i.code for i in sp.indicators)]:
            if code in codes:
                raise ProgrammeError(f"programme {p.code}: code {code} is used twice")
            codes.add(code)
    for src in sources:
        summed = sum((sp.budget.by_source[src] for sp in p.subprogrammes), Decimal(0))
        if summed != p.budget.by_source[src]:
            raise ProgrammeError(
                f"programme {p.code}: the sub-programmes' {src} budgets add up to {_fmt(summed)} "
                f"but the programme's {src} budget is {_fmt(p.budget.by_source[src])}"
            )
    names: dict[str, str] = {}
    for sp in p.groups:
        for code, texts in [
            (sp.code, (sp.name, *sp.synonyms)),
            *((i.code, (i.name, *i.synonyms)) for i in sp.indicators),
        ]:
            for text in texts:
                key = match_key(text)
                if names.setdefault(key, code) != code:
                    raise ProgrammeError(
                        f"programme {p.code}: the name or synonym '{text}' of {code} also matches {names[key]}"
                    )
    if p.average_per_year is not None and p.budget.total / p.years != p.average_per_year:
        raise ProgrammeError(
            f"programme {p.code}: total {_fmt(p.budget.total)} over {p.years} years is "
            f"{_fmt(p.budget.total / p.years)} a year, not the stated {_fmt(p.average_per_year)}"
        )


def load_programme(path: Path) -> Programme:
    """Load and check one programme file; a ConfigError names the file, the line and what does not add up."""
    return load_model(path, Programme)


def load_programmes(config_dir: Path) -> list[Programme]:
    """Every programme file under <config>/programmes, oldest first; at least one."""
    files = sorted((config_dir / "programmes").glob("*.yaml"))
    if not files:
        raise ConfigError(config_dir / "programmes", "no programme file (*.yaml) in this folder")
    vocabulary = load_vocabulary(config_dir)
    loaded = sorted((load_programme(f) for f in files), key=lambda p: p.first_year)
    if vocabulary is not None:
        known = {code for p in loaded for code in p.indicators}
        named = set(vocabulary.indicators) | {d.indicator for d in vocabulary.decisions if d.indicator}
        if unknown := sorted(named - known):
            raise ConfigError(config_dir / "labels.yaml", f"indicators no programme has: {', '.join(unknown)}")
    return [p.model_copy(update={"vocabulary": vocabulary}) for p in loaded] if vocabulary else loaded


def programme_for_year(programmes: list[Programme], year: int) -> Programme:
    for p in programmes:
        if p.first_year <= year <= p.last_year:
            return p
    spans = ", ".join(p.code for p in programmes)
    raise ProgrammeError(f"no programme covers the year {year} (programmes: {spans})")
