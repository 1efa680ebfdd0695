"""Reporting units as data: districts and towns with validity dates, aliases and priority status."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from pipeline.configfile import load_model
from pipeline.periods import Period
from pipeline.text import fold

# Prefixes officers put before a unit's name; removed before matching.
_PREFIXES = (
    "ubnd ",
    "uy ban nhan dan ",
    "huyen ",
    "h. ",
    "h ",
    "thi xa ",
    "tx. ",
    "tx ",
    "thanh pho ",
    "tp. ",
    "tp ",
    "phong kinh te va ha tang ",
    "phong kinh te ",
)


class UnitError(ValueError):
    """The unit list is malformed."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Title(_Model):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    since: date
    type: str

    @model_validator(mode="before")
    @classmethod
    def _from(cls, data: object) -> object:
        if isinstance(data, dict) and "from" in data:
            data = {("since" if k == "from" else k): v for k, v in data.items()}
        return data


class Unit(_Model):
    code: str
    name: str
    titles: tuple[Title, ...]
    valid_from: date
    valid_to: date | None = None
    priority: bool = False
    priority_note: str | None = None
    level: str = "district"  # or "province" (the provincial Trung tâm Khuyến công)
    split_from: str | None = None
    aliases: tuple[str, ...] = ()

    def type_on(self, day: date) -> str:
        current = self.titles[0].type
        for t in self.titles:
            if t.since <= day:
                current = t.type
        return current

    def full_name(self, day: date) -> str:
        """E.g. "huyện Bù Đăng" as it was called on `day`."""
        kind = self.type_on(day)
        return self.name if kind == "trung tâm" else f"{kind} {self.name}"

    def exists_during(self, period: Period) -> bool:
        """True if the unit existed for at least part of the period."""
        return self.valid_from <= period.end and (self.valid_to is None or self.valid_to >= period.start)

    def exists_throughout(self, period: Period) -> bool:
        return self.valid_from <= period.start and (self.valid_to is None or self.valid_to >= period.end)


class UnitRegistry(_Model):
    province: str
    units: tuple[Unit, ...]

    @model_validator(mode="after")
    def _check(self) -> UnitRegistry:
        seen: dict[str, str] = {}
        for u in self.units:
            for key in {fold(u.name), fold(u.code), *(fold(a) for a in u.aliases)}:
                if seen.get(key, u.code) != u.code:
                    raise UnitError(f"name or alias '{key}' belongs to both {seen[key]} and {u.code}")
                seen[key] = u.code
        return self

    @cached_property
    def by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def _keys(self) -> dict[str, Unit]:
        keys: dict[str, Unit] = {}
        for u in self.units:
            for name in (u.name, u.code, *u.aliases):
                keys[fold(name)] = u
                keys[_strip_prefix(fold(name))] = u
        return keys

    @cached_property
    def search_keys(self) -> list[tuple[str, Unit]]:
        """Names and aliases (accent-free, without "huyện"/"UBND" …) to look for inside longer texts."""
        keys = {_strip_prefix(fold(n)): u for u in self.units for n in (u.name, *u.aliases)}
        return [(k, u) for k, u in keys.items() if len(k) >= 4]

    def find(self, text: str) -> Unit | None:
        """The unit an officer meant by `text` ("UBND huyện Bù Đăng", "Bu Dang" …), or None."""
        key = fold(text)
        return self._keys.get(key) or self._keys.get(_strip_prefix(key))

    def expected(self, period: Period) -> list[Unit]:
        """Units that existed during the period, in the registry's order."""
        return [u for u in self.units if u.exists_during(period)]


def _strip_prefix(key: str) -> str:
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if key.startswith(p):
                key, changed = key[len(p) :], True
    return key


def load_units(config_dir: Path) -> UnitRegistry:
    """The unit list of a configuration folder (units.yaml); a malformed one is a ConfigError."""
    return load_model(config_dir / "units.yaml", UnitRegistry)


def find_unit_in_text(registry: UnitRegistry, text: str) -> Unit | None:
    """A unit named inside a longer text ("PHÒNG KINH TẾ VÀ HẠ TẦNG HUYỆN BÙ ĐĂNG"): the longest name found."""
    key = f" {fold(text)} "
    best: tuple[int, Unit] | None = None
    for name, unit in registry.search_keys:
        if f" {name} " in key and (best is None or len(name) > best[0]):
            best = (len(name), unit)
    return best[1] if best else None
