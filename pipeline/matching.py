"""Matching the rows of a free-layout report to indicators by their words, section and unit.

The rule, in words. A row's label is cut into words (syllables, without accents or case) and pairs of
neighbouring words ("đào tạo", "tay nghề"); abbreviations are written out first (CNNT -> công nghiệp nông thôn,
config/labels.yaml) and stop words (places, times, sources, connectives, recognised with their accents) left
out. Each indicator is described by its own words - its name, synonyms and report phrase (programme file) and
the officers' words for it (labels.yaml `indicators`) - and, more weakly, by its sub-programme's name and
contents (the seed's Điều 4 "Nội dung"), minus the words that are any of the sub-programme's indicators' own.
A word found in few indicators' descriptions weighs more than a common one (weight ln(1 + indicators /
indicators having it)); a pair weighs 1.5 times as much. A row's score for an indicator is the weight of the
indicator's own words found in the label plus half the weight of its sub-programme's words found there; an
indicator none of whose own pairs is in the label is not a candidate (one syllable alone says too little).
Then:
- the ĐVT: a row counting "lao động" can only be an indicator counted in "người" (labels.yaml `units`); a ĐVT
  no indicator counts ("gian hàng", "HTX", "tờ", `not_counted`, or any ĐVT not in the table) leaves the row
  unmatched; a fitting ĐVT adds UNIT_BONUS; when the words point CONFLICT times more strongly to an indicator
  the ĐVT rules out, words and unit disagree and the row stays unmatched;
- the section: under a heading naming a sub-programme (I., II. … in the name or the STT cell, a heading in
  capitals, or "1." with no STT), only that sub-programme's indicators can be chosen, and they get
  SECTION_BONUS; a heading names a sub-programme when it scores GROUP_MIN and GROUP_GAP more than the next;
- rows beginning with a phrase of `not_indicators` ("Công tác khác", "Kiểm tra, giám sát …") stay unmatched.
The best indicator is taken only if its score reaches MIN_SCORE and is at least GAP ahead of the runner-up;
otherwise the row stays unmatched and the receipt names the two best as candidates. If two rows of one file
reach one indicator this way, neither is taken. Each match carries why (the words, the section, the unit),
stored with the value. A province decision on a label (pipeline.labels) comes before all of this.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, field_validator

from pipeline.configfile import load_model
from pipeline.text import fold, match_key, nfc

if TYPE_CHECKING:
    from pipeline.programme import Programme

MIN_SCORE = 3.0  # below this, too few of an indicator's words are in the label
GAP = 2.0  # the best must score at least this much more than the runner-up
CONFLICT = 1.5  # an indicator the ĐVT rules out, this many times ahead by words: the row is left unmatched
UNIT_BONUS = 1.0
SECTION_BONUS = 1.0
TASK_FACTOR = 0.5  # words of the sub-programme's contents count half
PAIR_FACTOR = 1.5
GROUP_MIN = 6.0  # a heading names a sub-programme when it scores this much …
GROUP_GAP = 2.0  # … and this much more than the next one

MEMO_SIZE = 50_000  # labels remembered per matcher
LABELS_FILE = "labels.yaml"
DECISIONS_FILE = "label-decisions.yaml"
DECIDED = "theo quyết định"  # the start of `why` for a row a province decision mapped or set aside


class Decision(BaseModel):
    """A province's decision on one label (`khuyencong labels --map/--ignore`): its indicator, or none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    indicator: str | None = None  # None: the row is no indicator (ignored)
    by: str
    at: str  # UTC ISO time of the decision


class Decisions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    decisions: tuple[Decision, ...] = ()


@dataclass(frozen=True)
class Decided:
    indicator: str  # "" when ignored
    why: str


class Vocabulary(BaseModel):
    """config/labels.yaml: abbreviations, ĐVT -> indicator units, rows that are no indicator, stop words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    abbreviations: dict[str, str] = {}
    units: dict[str, tuple[str, ...]] = {}
    not_counted: tuple[str, ...] = ()  # ĐVT no indicator counts (also recognised in "(…)" after a label)
    not_indicators: tuple[str, ...] = ()
    stop_words: tuple[str, ...] = ()
    indicators: dict[str, tuple[str, ...]] = {}  # indicator code -> officers' words for it
    decisions: tuple[Decision, ...] = ()  # not in labels.yaml: label-decisions.yaml, written by pipeline.labels

    @cached_property
    def decided(self) -> dict[str, Decided]:
        """match_key of each decided label -> what was decided, with the why stored with its values."""
        out = {}
        for d in self.decisions:
            day = f"{d.at[8:10]}/{d.at[5:7]}/{d.at[:4]}"
            what = f"→ {d.indicator}" if d.indicator else "không phải chỉ tiêu (bỏ qua)"
            out[match_key(d.label)] = Decided(d.indicator or "", f"{DECIDED} của {d.by} ngày {day}: «{d.label}» {what}")
        return out

    @field_validator("abbreviations")
    @classmethod
    def _abbreviations(cls, v: dict[str, str]) -> dict[str, str]:
        for short, long in v.items():
            if not _words(fold(short)) or len(_words(fold(short))) != 1:
                raise ValueError(f"abbreviation {short!r} must be one word")
            if not long.strip():
                raise ValueError(f"abbreviation {short!r} stands for nothing")
        return v

    @cached_property
    def folded_abbreviations(self) -> dict[str, tuple[str, ...]]:
        return {fold(k): tuple(_words(fold(v))) for k, v in self.abbreviations.items()}

    @cached_property
    def folded_units(self) -> dict[str, frozenset[str]]:
        out = {" ".join(_words(fold(k))): frozenset(fold(u) for u in v) for k, v in self.units.items()}
        return out | {" ".join(_words(fold(k))): frozenset() for k in self.not_counted}

    @cached_property
    def folded_not_indicators(self) -> tuple[str, ...]:
        return tuple(_key_text(fold(t)) for t in self.not_indicators)

    @cached_property
    def stops(self) -> frozenset[str]:
        return frozenset(nfc(w).lower() for w in self.stop_words)


def load_vocabulary(config_dir: Path) -> Vocabulary | None:
    """<config>/labels.yaml with the decisions of <config>/label-decisions.yaml, checked; None when the folder
    has no labels.yaml (rows then match by exact names only)."""
    path = config_dir / LABELS_FILE
    if not path.exists():
        return None
    vocabulary = load_model(path, Vocabulary)
    decided = config_dir / DECISIONS_FILE
    return with_decisions(vocabulary, load_model(decided, Decisions).decisions) if decided.exists() else vocabulary


def with_decisions(vocabulary: Vocabulary, decisions: tuple[Decision, ...] | list[Decision]) -> Vocabulary:
    """The vocabulary with these decisions (a new object: its cached tables are built afresh)."""
    return Vocabulary(**{**vocabulary.model_dump(exclude={"decisions"}), "decisions": tuple(decisions)})


_WORD = re.compile(r"[0-9a-z.]+")
_TOKEN = re.compile(r"[\w.]+")
_NUMBERING = re.compile(r"^(?:(?:[ivxlc]+|[a-z]|\d+(?:\.\d+)*)[.)/:]?\s+|[-+*•–]\s*)+")


def _words(folded: str) -> list[str]:
    return [w.strip(".") for w in _WORD.findall(folded) if w.strip(".")]


def _key_text(folded: str) -> str:
    """A folded label without its numbering ("1.", "a)", "-", "IV."), single-spaced, no punctuation."""
    return " ".join(_words(_NUMBERING.sub("", folded)))


@dataclass(frozen=True)
class Scored:
    code: str
    score: float
    words: tuple[str, ...]  # the label's words found among the indicator's


@dataclass(frozen=True)
class Match:
    """The outcome for one row: `code` ("" if unmatched), why (Vietnamese) and the best candidates."""

    code: str
    why: str = ""
    candidates: tuple[tuple[str, float], ...] = ()
    ignored: bool = False  # a row that is no indicator (not_indicators, a ĐVT no indicator counts)


@dataclass
class Matcher:
    """The programme's indicators and sub-programmes as weighted word sets (built once per programme)."""

    programme: Programme
    vocabulary: Vocabulary
    own: dict[str, dict[str, float]] = field(default_factory=dict)  # indicator -> feature -> weight
    tasks: dict[str, dict[str, float]] = field(default_factory=dict)  # indicator -> sub-programme feature weight
    group_of: dict[str, str] = field(default_factory=dict)  # indicator -> its group's code
    groups: dict[str, dict[str, float]] = field(default_factory=dict)  # group -> feature -> weight
    units: dict[str, str] = field(default_factory=dict)  # indicator -> folded unit
    memo: dict[tuple, object] = field(default_factory=dict)  # labels repeat from file to file: each scored once

    def __post_init__(self) -> None:
        p = self.programme
        own_sets: dict[str, set[str]] = {}
        task_sets: dict[str, set[str]] = {}
        group_sets: dict[str, set[str]] = {}
        for g in p.groups:
            g_words = self.features(" ".join((g.name, *g.synonyms, *getattr(g, "tasks", ()))))
            task_sets[g.code] = g_words
            group_sets[g.code] = set(g_words)
            for i in g.indicators:
                texts = (
                    i.name,
                    *i.synonyms,
                    (i.phrase or "").replace("{n}", " "),
                    *self.vocabulary.indicators.get(i.code, ()),
                )
                own_sets[i.code] = set().union(*(self.features(t) for t in texts))
                self.group_of[i.code] = g.code
                self.units[i.code] = fold(i.unit)
                group_sets[g.code] |= own_sets[i.code]
        n = len(own_sets)
        df: dict[str, int] = {}  # in how many indicators' descriptions (own words and contents) a feature is
        for c, s in own_sets.items():
            for f in s | task_sets[self.group_of[c]]:
                df[f] = df.get(f, 0) + 1
        gn = len(task_sets)
        hdf: dict[str, int] = {}
        for s in group_sets.values():
            for f in s:
                hdf[f] = hdf.get(f, 0) + 1

        def weight(f: str, count: int, total: int) -> float:
            return math.log(1 + total / count) * (PAIR_FACTOR if " " in f else 1.0)

        self.own = {c: {f: weight(f, df[f], n) for f in s} for c, s in own_sets.items()}
        in_group: dict[str, set[str]] = {}  # every own word of a group's indicators
        for c, s in own_sets.items():
            in_group.setdefault(self.group_of[c], set()).update(s)
        # the contents' words count for each indicator of the sub-programme alike: a word that is one
        # indicator's own does not also count, at half weight, for its siblings
        self.tasks = {
            c: {f: weight(f, df[f], n) for f in task_sets[self.group_of[c]] - in_group[self.group_of[c]]}
            for c in own_sets
        }
        self.groups = {g: {f: weight(f, hdf[f], gn) for f in s} for g, s in group_sets.items()}

    def _expand(self, words: list[str]) -> list[str]:
        out: list[str] = []
        for w in words:
            out += self.vocabulary.folded_abbreviations.get(w, (w,))
        return out

    def features(self, text: str) -> set[str]:
        """Words and pairs of neighbouring words of `text`, abbreviations written out, stop words left out.
        Stop words are recognised with their accents ("từ" is one, "tư" of "tư vấn" is not)."""
        tokens: list[tuple[str, bool]] = []  # (folded word, is a stop word)
        stops = self.vocabulary.stops
        for w in _TOKEN.findall(nfc(str(text)).lower()):
            folded = fold(w).strip(".")
            if not folded:
                continue
            expanded = self.vocabulary.folded_abbreviations.get(folded)
            if expanded:
                tokens += [(x, False) for x in expanded]
            else:
                tokens.append((folded, w in stops or folded.isdigit()))
        keep = {w for w, stop in tokens if not stop}
        pairs = {f"{a} {b}" for (a, sa), (b, sb) in zip(tokens, tokens[1:], strict=False) if not (sa or sb)}
        return keep | pairs

    def is_unit(self, text: str) -> bool:
        """Whether `text` is a ĐVT the vocabulary knows (one an indicator counts, or one of not_counted)."""
        return (
            bool(text.strip())
            and self.unit_fits(text) is not None
            and (
                " ".join(self._expand(_words(fold(text)))) in self.vocabulary.folded_units
                or " ".join(_words(fold(text))) in self.vocabulary.folded_units
            )
        )

    def unit_fits(self, dvt: str) -> frozenset[str] | None:
        """The indicator units a ĐVT can count (empty: none); None when the row has no ĐVT."""
        key = " ".join(self._expand(_words(fold(dvt)))) if dvt else ""
        if not key:
            return None
        units = self.vocabulary.folded_units
        raw_key = " ".join(_words(fold(dvt)))
        for k in (raw_key, key):
            if k in units:
                return units[k]
        compact = key.replace(" ", "").replace(".", "")
        for alias, fits in units.items():
            if alias.replace(" ", "").replace(".", "") == compact:
                return fits
        return frozenset()

    def is_not_indicator(self, label: str) -> bool:
        key = _key_text(fold(label))
        return any(key == t or key.startswith(t + " ") for t in self.vocabulary.folded_not_indicators if t)

    def group(self, label: str, codes: frozenset[str] | None = None) -> tuple[str, float, float]:
        """The group (sub-programme or context group) a heading or budget line names: (code or "", best,
        runner-up)."""
        key = ("group", label, codes)
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) > MEMO_SIZE:
                self.memo.clear()
            found = self.memo[key] = self._group(label, codes)
        return found  # type: ignore[return-value]

    def _group(self, label: str, codes: frozenset[str] | None) -> tuple[str, float, float]:
        feats = self.features(label)
        scores = sorted(
            (
                (sum(w for f, w in ws.items() if f in feats), g)
                for g, ws in self.groups.items()
                if not codes or g in codes
            ),
            reverse=True,
        )
        best, code = scores[0] if scores else (0.0, "")
        second = scores[1][0] if len(scores) > 1 else 0.0
        if best >= GROUP_MIN and best - second >= GROUP_GAP:
            return code, best, second
        return "", best, second

    def match(self, label: str, dvt: str = "", section: str = "", section_label: str = "") -> Match:
        """The indicator of a row, by the rule of this module's docstring."""
        key = ("match", label, dvt, section, section_label)
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) > MEMO_SIZE:
                self.memo.clear()
            found = self.memo[key] = self._match(label, dvt, section, section_label)
        return found  # type: ignore[return-value]

    def _match(self, label: str, dvt: str, section: str, section_label: str) -> Match:
        if self.is_not_indicator(label):
            return Match("", ignored=True)
        fits = self.unit_fits(dvt)
        if fits is not None and not fits:
            return Match("", ignored=True)
        feats = self.features(label)
        scored: list[Scored] = []
        words_best: Scored | None = None  # the best by words among the indicators the ĐVT rules out
        words: dict[str, float] = {}  # the word score of the others
        for code, ws in self.own.items():
            if section and self.group_of[code] != section:
                continue
            found = [f for f in ws if f in feats]
            if not any(" " in f for f in found):
                continue  # Vietnamese words are mostly two syllables: one syllable alone says too little
            s = sum(ws[f] for f in found) + TASK_FACTOR * sum(w for f, w in self.tasks[code].items() if f in feats)
            if s <= 0:
                continue
            if fits is not None and self.units[code] not in fits:
                if words_best is None or (s, code) > (words_best.score, words_best.code):
                    words_best = Scored(code, s, ())
                continue
            words[code] = s
            s += (UNIT_BONUS if fits else 0.0) + (SECTION_BONUS if section else 0.0)
            scored.append(Scored(code, s, tuple(sorted(found, key=lambda f: (-len(f), f)))))
        scored.sort(key=lambda x: (-x.score, x.code))
        candidates = tuple((s.code, round(s.score, 1)) for s in scored[:3])
        if not scored:
            return Match("", candidates=candidates)
        best = scored[0]
        if words_best is not None and words_best.score >= CONFLICT * words[best.code]:
            # the words point to an indicator the ĐVT rules out: words and unit disagree, no choice is safe
            return Match("", candidates=((words_best.code, round(words_best.score, 1)), *candidates[:1]))
        second = scored[1].score if len(scored) > 1 else 0.0
        if best.score < MIN_SCORE or best.score - second < GAP:
            return Match("", candidates=candidates)
        return Match(best.code, self._why(best, second, dvt, section, section_label), candidates)

    def _why(self, best: Scored, second: float, dvt: str, section: str, section_label: str) -> str:
        pairs = [w for w in best.words if " " in w]
        singles = [w for w in best.words if " " not in w and not any(w in p.split() for p in pairs)]
        shown = ", ".join(f"«{w}»" for w in (pairs + singles)[:6])
        parts = [f"khớp từ {shown}" if shown else "khớp nội dung tiểu chương trình"]
        if section:
            parts.append(f"thuộc mục «{section_label}» ({section})")
        if dvt:
            parts.append(f"ĐVT «{dvt}»")
        runner = f"; kế tiếp {_num(second)}" if second else ""
        parts.append(f"điểm {_num(best.score)}{runner}")
        return "; ".join(parts)


def _num(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


_MATCHERS: dict[int, Matcher] = {}


def matcher_for(programme: Programme, vocabulary: Vocabulary) -> Matcher:
    """The programme's matcher, built once per process."""
    key = id(programme)
    m = _MATCHERS.get(key)
    if m is None or m.programme is not programme or m.vocabulary is not vocabulary:
        m = _MATCHERS[key] = Matcher(programme, vocabulary)
    return m


def candidates_text(candidates: tuple[tuple[str, float], ...]) -> str:
    """ "có thể là P1.2 hoặc P1.3" (the receipt's line for an unmatched row with candidates)."""
    codes = [c for c, _ in candidates[:2]]
    return f"có thể là {' hoặc '.join(codes)}" if codes else ""
