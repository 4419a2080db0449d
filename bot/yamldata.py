"""Reading YAML: with libyaml's C parser when PyYAML was built with it (about 7x faster than the pure-Python
one; the engine reads its intents and signal words at every start), else the pure-Python safe loader."""
from __future__ import annotations

from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """yaml.safe_load, faster: the same safe constructors, the same yaml.YAMLError on bad input."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader, the C build of SafeLoader
