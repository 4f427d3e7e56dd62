"""Settings from CARELOOP_* environment variables, safe for the embedded mode by default.

Embedded mode (the default) keeps everything under CARELOOP_DATA_DIR: the SQLite database, the
Huey queue and uploaded import files. Production mode (CARELOOP_ENV=production) refuses to start
with a default secret key or DEBUG on.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"CARELOOP_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env("ENV", "embedded") == "production"
INSECURE_KEY = "careloop-embedded-insecure-key-change-me"
SECRET_KEY = env("SECRET_KEY", INSECURE_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and (SECRET_KEY == INSECURE_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "CARELOOP_ENV=production 需要设置 CARELOOP_SECRET_KEY(至少 32 个字符)"
    )
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("CARELOOP_ENV=production 不允许 CARELOOP_DEBUG=1")

ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "huey.contrib.djhuey",
    "ninja",  # serves Swagger UI from its own static files (docs work offline)
    "careloop.core",
    "careloop.accounts",
    "careloop.customers",
    "careloop.complaints",
    "careloop.imports",
    "careloop.segments",
    "careloop.workcal",
    "careloop.emotion",
    "careloop.care",
    "careloop.messaging",
    "careloop.webhooks",
    "careloop.callbacks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "careloop.urls"
WSGI_APPLICATION = "careloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


def _database(url: str) -> dict:
    if url:
        config = dj_database_url.parse(url, conn_max_age=60)
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "careloop.sqlite3"}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web process read while the worker imports; IMMEDIATE avoids
        # deadlocking upgrades from read to write locks between the two.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=20000; PRAGMA temp_store=MEMORY; "
                "PRAGMA cache_size=-64000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        config["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    return config


DATABASES = {
    "default": _database(os.environ.get("CARELOOP_TEST_DATABASE_URL") or env("DATABASE_URL"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "uploads"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

REDIS_URL = env("REDIS_URL")
HUEY = {
    "name": "careloop",
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": int(env("WORKERS", "2")), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # The Huey consumer adds its own handler to "huey"; not propagating avoids double lines.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "huey": {"propagate": False}},
}

# Who may see full phone numbers without an audited reveal.
CARELOOP_PHONE_VISIBLE_ROLES = {"admin", "supervisor"}
CARELOOP_PAGE_SIZE = 25

# Working calendar and outgoing messages (careloop.workcal, careloop.messaging), company time.
CARELOOP_BUSINESS_HOURS = env("BUSINESS_HOURS", "09:00-18:00")
CARELOOP_QUIET_HOURS = env("QUIET_HOURS", "21:00-09:00")
CARELOOP_MESSAGE_FREQUENCY_DAYS = int(env("MESSAGE_FREQUENCY_DAYS", "7"))
CARELOOP_MESSAGE_SENDER = env("MESSAGE_SENDER", "careloop.messaging.senders.TimelineSender")
