"""Named extension points (detectron2 style): ``REG = Registry("what")``, ``@REG.register("name")``,
``REG.get(name)`` (an unknown name is one ConfigError listing the registered ones)."""

from __future__ import annotations

from typing import Any, Callable

from sam2_video.errors import ConfigError


class Registry:
    def __init__(self, what: str) -> None:
        self.what, self._items = what, {}

    def register(self, *names: str) -> Callable[[Any], Any]:
        def add(obj: Any) -> Any:
            for name in names or (obj.__name__,):
                if name in self._items:
                    raise ValueError(f"{self.what}: {name!r} is registered twice")
                self._items[name] = obj
            return obj
        return add

    def get(self, name: str) -> Any:
        if name not in self._items:
            raise ConfigError(f"{self.what}={name!r}: unknown; registered: {sorted(self._items)}")
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items
