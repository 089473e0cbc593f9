"""The demo data registry: `manage.py seed_demo` runs every registered seeder in order.

Each app adds a seeder for its own records. Seeders must be idempotent: running the
command twice leaves the same data as running it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guanxi.core.models import Organisation


@dataclass
class DemoContext:
    org: Organisation
    users: dict[str, Any] = field(default_factory=dict)  # username -> User
    log: Callable[[str], None] = print


@dataclass(frozen=True)
class DemoSeeder:
    name: str
    order: int
    run: Callable[[DemoContext], None]


_SEEDERS: dict[str, DemoSeeder] = {}

DEMO_ORG_NAME = "演示贸易有限公司"
DEMO_PASSWORD = "guanxi-demo-2026"  # noqa: S105 (documented demo-only password)


def register_demo_seeder(name: str, order: int, run: Callable[[DemoContext], None]) -> None:
    _SEEDERS[name] = DemoSeeder(name=name, order=order, run=run)


def demo_seeders() -> list[DemoSeeder]:
    return sorted(_SEEDERS.values(), key=lambda s: (s.order, s.name))
