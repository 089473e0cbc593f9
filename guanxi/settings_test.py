"""Settings for the test suite: the real settings plus a test-only app and fast hashing."""

import os
import tempfile

os.environ.setdefault("GUANXI_TESTING", "1")

from guanxi.settings import *  # noqa: F403
from guanxi.settings import DATABASES, INSTALLED_APPS

TESTING = True
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
# Hashing strength is not under test; argon2 would make every login test slow.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = tempfile.mkdtemp(prefix="guanxi-media-")
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so the test database behaves like production (WAL, busy
    # timeout, one writer at a time) and threads in concurrency tests really contend.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"guanxi-test-{os.getpid()}.sqlite3")
    }
