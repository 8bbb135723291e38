"""Reading and writing pipeline configurations as TOML.

>>> print(dumps_toml({"steps": [{"name": "ChineseConvert", "config": "t2s"}]}))
[[steps]]
name = "ChineseConvert"
config = "t2s"
<BLANKLINE>
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["ConfigError", "dumps_toml", "load_config"]


class ConfigError(ValueError):
    """A pipeline configuration (dict or TOML file) is invalid; the message says where.

    Also importable as ``textwash.ConfigError`` and ``textwash.pipeline.ConfigError``.
    """


def load_config(config: Mapping[str, Any] | str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """Return ``(config_dict, where)`` from a dict, a TOML file path or a TOML string.

    ``where`` names the source for error messages.
    """
    if isinstance(config, Mapping):
        return dict(config), "<config>"
    text: str
    where: str
    if isinstance(config, os.PathLike) or (
        isinstance(config, str) and "\n" not in config and "=" not in config
    ):
        path = Path(config)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read pipeline file ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: pipeline file is not UTF-8 ({exc.reason})") from None
    else:
        text, where = str(config), "<toml>"
    try:
        return tomllib.loads(text), where
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps_toml(config: Mapping[str, Any]) -> str:
    """Write a pipeline config (``{"steps": [...]}`` plus scalars and tables) as TOML.

    >>> print(dumps_toml({"protect": {"kinds": ["url"]}, "steps": [{"name": "Width"}]}))
    [protect]
    kinds = ["url"]
    <BLANKLINE>
    [[steps]]
    name = "Width"
    <BLANKLINE>
    """
    lines: list[str] = []
    tables = {k: v for k, v in config.items() if isinstance(v, Mapping)}
    for k, v in config.items():
        if k != "steps" and k not in tables:
            lines.append(f"{k} = {_value(v)}")
    if lines:
        lines.append("")
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_value(v)}" for k, v in table.items())
        lines.append("")
    for step in config.get("steps", []):
        lines.append("[[steps]]")
        lines.extend(f"{k} = {_value(v)}" for k, v in step.items() if v is not None)
        lines.append("")
    return "\n".join(lines)
