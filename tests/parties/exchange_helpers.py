"""Helpers for the import, export, merge and pool tests: files in real encodings, jobs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django_scopes import scope

from guanxi.parties.importing import run_check, run_import, save_mapping, start_import
from guanxi.parties.models import ImportJob, Party
from guanxi.parties.services import create_party


@pytest.fixture
def english():
    """Messages in English, so tests can match them (zh-hans is the default language)."""
    with translation.override("en"):
        yield


def in_english(client):
    """Make a test client's pages answer in English (the language switch's cookie)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


HEADERS_ZH = ["客户名称", "手机", "邮箱", "城市", "级别", "联系人", "联系人手机"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", *, delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def new_job(org, member, data: bytes, name: str = "customers.csv") -> ImportJob:
    return start_import(org=org, actor=member.user, upload=upload(data, name), language="en")


def checked(job: ImportJob, member, *, policy: str = "skip", columns=None, **options) -> ImportJob:
    job = save_mapping(
        job=job,
        actor=member.user,
        columns=columns if columns is not None else job.mapping["columns"],
        policy=policy,
        match_on=options.get("match_on", ["phone", "email", "name"]),
        create_categories=options.get("create_categories", True),
    )
    return run_check(job)


def imported(job: ImportJob) -> ImportJob:
    with scope(org=job.org_id):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
        job.refresh_from_db()
    return run_import(job)


def import_file(org, member, data: bytes, name: str = "customers.csv", **options) -> ImportJob:
    """Upload, map automatically, check and import a file; return the finished job."""
    job = checked(new_job(org, member, data, name), member, **options)
    return imported(job)


def party(org, member=None, **data: Any) -> Party:
    data.setdefault("name", "上海测试贸易有限公司")
    tags = data.pop("tags", ())
    return create_party(org=org, actor=getattr(member, "user", member), data=data, tags=tags)


def count_parties(org) -> int:
    with scope(org=org.pk):
        return Party.objects.count()
