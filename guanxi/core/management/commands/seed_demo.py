"""Load (or top up) the demo organisation. Safe to run again: every seeder is idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from guanxi.core.demo import DemoContext, demo_seeders
from guanxi.core.scoping import org_scope


class Command(BaseCommand):
    help = "Create the demo organisation with users for every role and sample data."

    def handle(self, *args: Any, **options: Any) -> None:
        from guanxi.accounts.demo import ensure_demo_organisation

        with transaction.atomic():
            org = ensure_demo_organisation()
        ctx = DemoContext(org=org, log=lambda msg: self.stdout.write(f"  {msg}"))
        with org_scope(org):
            for seeder in demo_seeders():
                self.stdout.write(f"seeding {seeder.name} …")
                with transaction.atomic():
                    seeder.run(ctx)
        self.stdout.write(self.style.SUCCESS(f"demo organisation ready: {org.name}"))
