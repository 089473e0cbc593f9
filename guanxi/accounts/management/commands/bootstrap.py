"""First-run set-up: an `admin` user (password `admin`, to be changed at first login)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership, User
from guanxi.accounts.services import create_organisation


class Command(BaseCommand):
    help = "Create admin/admin and a first organisation when the installation has no users."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic(), scopes_disabled():
            if User.objects.exists():
                self.stdout.write("users exist already; nothing to do")
                return
            admin = User(
                username="admin",
                display_name="管理员",
                must_change_password=True,
                is_staff=True,
                is_superuser=True,
            )
            admin.set_password("admin")
            admin.save()
            if not Membership.objects.exists():
                create_organisation(name="我的公司", actor=admin, admin=admin)
        self.stdout.write(
            self.style.WARNING(
                "created user admin with password admin: it must be changed at first login"
            )
        )
