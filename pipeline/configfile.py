"""Reading one configuration file: YAML (NFC) checked against its model, every error as a `ConfigError`
naming the file, the line (and column) and what is wrong - one line an administrator can act on."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.text import nfc

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration file is missing, is not valid YAML, or does not hold what its model expects."""

    def __init__(self, path: Path, what: str, line: int | None = None, column: int | None = None) -> None:
        self.path, self.what, self.line, self.column = path, what, line, column
        where = str(path) + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {what}")


def read_yaml(path: Path) -> object:
    """The file's data; a missing file or a YAML syntax error is a ConfigError at its line and column."""
    try:
        text = nfc(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot be read ({exc})") from None
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.problem:
            line = exc.context_mark.line + 1 if exc.context_mark else None
            what += f" ({exc.context}{f' at line {line}' if line and mark and line != mark.line + 1 else ''})"
        kind = "invalid value" if isinstance(exc, _BadValue) else "YAML syntax error"
        raise ConfigError(
            path, f"{kind}: {what}", mark.line + 1 if mark else None, mark.column + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"YAML syntax error: {exc}") from None
    finally:
        loader.dispose()


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: 5-15x faster


class _Loader(_SafeLoader):
    """PyYAML's safe loader whose errors in building a value (a date 2012-13-01) carry the value's position."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> object:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            found = f" (found {node.value!r})" if isinstance(node, yaml.ScalarNode) else ""
            raise _BadValue(None, None, f"{exc}{found}", node.start_mark) from None


class _BadValue(yaml.constructor.ConstructorError):
    """A scalar YAML reads but cannot build (a date 2012-13-01)."""


def load_model(path: Path, model: type[M], data: object = None) -> M:
    """The file (or `data` already read from it) validated as `model`; the first error, with its key path
    ("units[3].valid_from") and line, is a ConfigError."""
    data = read_yaml(path) if data is None else data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = tuple(first["loc"])
        key = _key_path(loc)
        message = _message(first)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(path, f"{key + ': ' if key else ''}{message}{more}", line_of(path, loc)) from None


def line_of(path: Path, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest node of `loc` found in the file (a missing key: the line of its parent)."""
    try:
        node = yaml.compose(nfc(path.read_text(encoding="utf-8")), Loader=_SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not loc or node is None:
        return None  # an error about the whole file (figures that do not add up): no one line to show
    line = None
    for step in loc:
        node = _child(node, step)
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(step)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return node.value[step]
    return None


def _key_path(loc: tuple[str | int, ...]) -> str:
    """("units", 3, "valid_from") -> "units[3].valid_from"."""
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _message(error: dict) -> str:
    """Pydantic's message, without its "Value error, " prefix, with the value found when it is short."""
    message = str(error["msg"]).removeprefix("Value error, ")
    found = error.get("input")
    if error["type"] != "missing" and isinstance(found, str | int | float | bool) and len(str(found)) <= 60:
        message += f" (found {found!r})"
    return message
