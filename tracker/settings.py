"""Settings for the claims tracker, read from the environment.

The defaults give a working local run on SQLite; production sets the DJANGO_* variables
(see the README). Every variable is parsed strictly, so a typo stops startup with a message
that names it instead of silently falling back to a default.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"1", "true", "0", "false"}:
        raise ImproperlyConfigured(f"{name}={raw!r}: use true/false (or 1/0)")
    return raw in {"1", "true"}


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value}: expected {minimum} or more")
    return value


def env_site_url(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: expected a base URL like https://claims.example.org"
        )
    return raw.rstrip("/")


# Seconds to wait for a database server to accept a connection (libpq's connect_timeout).
DB_CONNECT_TIMEOUT = env_int("DJANGO_DB_CONNECT_TIMEOUT", 3, minimum=2)


def database_config(name: str, raw: str, *, transaction_pooling: bool = False) -> dict:
    """One DATABASES entry from a URL; `name` is the variable it came from (for errors).

    `transaction_pooling`: the URL is a PgBouncer in transaction pooling mode, where each
    transaction may run on another server connection, so nothing may outlive one: no
    server-side cursors (Django declares them WITH HOLD outside a transaction), no prepared
    statements, and no `options` startup parameter (PgBouncer refuses it): `jit = off` must
    then be set on the role or database (docs/replicas.md).
    """
    try:
        config = dj_database_url.parse(raw, conn_max_age=600, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"{name}: cannot parse {raw!r} ({exc})") from None
    if config.get("ENGINE") not in {
        "django.db.backends.sqlite3",
        "django.db.backends.postgresql",
    }:
        raise ImproperlyConfigured(f"{name}: only sqlite:// and postgres:// URLs are supported")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE: a writer takes the lock at BEGIN, so two concurrent writers queue instead
        # of failing half-way with "database is locked".
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
        config["CONN_MAX_AGE"] = 0
    else:
        options = config.setdefault("OPTIONS", {})
        # A server that does not answer costs a request (or a replica check) this long, not
        # libpq's default of waiting forever.
        options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
        if transaction_pooling:
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
            options["prepare_threshold"] = None  # psycopg's own; Django's default too
        else:
            # No JIT: a page's queries are short, and compiling one whose estimated cost passes
            # jit_above_cost (a deep page, a count over the sources) took 8-30 ms per request.
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DEBUG = env_flag("DJANGO_DEBUG")
# The prefix trips `check --deploy` (security.W009) if this default ever reaches production.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip() or "django-insecure-local-only"
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]
SITE_URL = env_site_url("DJANGO_SITE_URL", "http://localhost:8000")
SITE_NAME = os.environ.get("DJANGO_SITE_NAME", "").strip() or "Claims Tracker"
# Name the reviewers and editors of each claim on its page (their public profile), or only
# the organisation (the default).
PUBLIC_REVIEWERS = env_flag("DJANGO_PUBLIC_REVIEWERS")

# Behind HTTPS (production), turn on every transport protection `check --deploy` asks for.
# Off by default so the quick start and the test client work over plain http.
HTTPS = env_flag("DJANGO_HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
# Opt-in: preload and subdomains are hard to undo once browsers have cached them.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD")
# Opt-in and documented, so `check --deploy` need not warn about them while they are off.
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
# Load balancers probe over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a proxy, DJANGO_PROXY_COUNT must say how many (a deploy check warns: claims/clientip.py).
BEHIND_PROXY = env_flag("DJANGO_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The JSON API is open data: any site may read it from a browser (GET; never with cookies).
# Nothing else is shared across origins, and nothing but reading is allowed.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ("GET",)
CORS_ALLOW_CREDENTIALS = False

INSTALLED_APPS = [
    # django.contrib.admin with a guarded "view on site" and 400s for hostile requests.
    "claims.adminsite.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_tables2",
    "django_filters",
    "simple_history",
    "axes",
    "corsheaders",
    "claims",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that may answer on its own (a 503, a redirect), so those carry CORS too.
    "corsheaders.middleware.CorsMiddleware",
    "claims.health.DatabaseUnavailableMiddleware",
    # Where this request reads (a replica or the primary), before anything reads.
    "claims.routing.ReadRoutingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After static files and the 503 guard, before the session: a revalidation of a public
    # page is a 304 from one read of the data version, before the rest of the stack runs;
    # and it sees the final response (cookies set, Vary) to decide public or private.
    "claims.caching.PublicCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into a 429 response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin login throttling: five failures for one username from one address lock it for an hour.
AXES_FAILURE_LIMIT = env_int("DJANGO_AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Whose address a lockout counts: the client's, taken from X-Forwarded-For behind PROXY_COUNT
# proxies of our own (claims/clientip.py). ipware with a proxy count and no header list found
# no address at all behind a proxy, so one lockout locked the username for everyone.
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "claims.clientip.client_address"
# The log names the address (axes hides it by default); not the username, which may hold a
# password typed into the wrong box.
AXES_SENSITIVE_PARAMETERS = ["username"]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

# No inline script or style anywhere; JSON-LD data blocks are not executed and need no nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "claims.context_processors.site",
            ],
        },
    },
]

# --- Databases: the primary, read replicas and a pooler (docs/replicas.md) -----------------
# The URLs point at PgBouncer in transaction pooling mode (each of them, replicas included).
DB_TRANSACTION_POOLING = env_flag("DJANGO_DB_TRANSACTION_POOLING")
DATABASES = {
    "default": database_config(
        "DATABASE_URL",
        os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'tracker.sqlite3'}",
        transaction_pooling=DB_TRANSACTION_POOLING,
    )
}
# Read replicas (PostgreSQL streaming replicas of the primary), as aliases replica_1, …:
# anonymous readers' pages, API, exports, feeds and sitemaps read from one (claims.routing).
READ_REPLICAS = []
for _number, _url in enumerate(
    (url.strip() for url in os.environ.get("DATABASE_REPLICA_URLS", "").split(",") if url.strip()),
    start=1,
):
    _replica = database_config(
        "DATABASE_REPLICA_URLS", _url, transaction_pooling=DB_TRANSACTION_POOLING
    )
    if _replica["ENGINE"] != "django.db.backends.postgresql" or (
        DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS: replicas need PostgreSQL (postgres://…) here and in DATABASE_URL"
        )
    _replica["TEST"] = {"MIRROR": "default"}  # tests read the primary's test database
    DATABASES[f"replica_{_number}"] = _replica
    READ_REPLICAS.append(f"replica_{_number}")
if READ_REPLICAS:
    DATABASE_ROUTERS = ["claims.routing.PrimaryReplicaRouter"]
# A replica further behind the primary than this many seconds is skipped (reads go to the
# primary), as is one that does not answer; each process checks them every
# REPLICA_CHECK_SECONDS, never per request.
REPLICA_MAX_LAG = env_int("DJANGO_REPLICA_MAX_LAG", 10, minimum=0)
REPLICA_CHECK_SECONDS = env_int("DJANGO_REPLICA_CHECK_SECONDS", 5, minimum=1)
# After a client writes, its reads go to the primary for this long (a signed cookie): at
# least the lag a replica may have plus the time its status may be old.
READ_YOUR_WRITES_SECONDS = env_int("DJANGO_READ_YOUR_WRITES_SECONDS", 30, minimum=1)
if READ_REPLICAS and READ_YOUR_WRITES_SECONDS < REPLICA_MAX_LAG + REPLICA_CHECK_SECONDS:
    raise ImproperlyConfigured(
        f"DJANGO_READ_YOUR_WRITES_SECONDS={READ_YOUR_WRITES_SECONDS}: expected at least "
        "DJANGO_REPLICA_MAX_LAG + DJANGO_REPLICA_CHECK_SECONDS "
        f"({REPLICA_MAX_LAG + REPLICA_CHECK_SECONDS}), or a client may miss its own write"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The grade and verdict sort indexes INCLUDE their column on PostgreSQL (index-only deep
    # pages); SQLite has no INCLUDE and ignores it, and the index still serves the sort.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            # Production turns this on after `collectstatic` (hashed, cacheable names); the
            # default needs no collectstatic, so the quick start and the tests just work.
            if env_flag("DJANGO_MANIFEST_STATIC")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# A search page ranks at most this many matches (the first found) and counts exactly up to it;
# past it the page says so and shows lower bounds. 5,000 keeps a common word under 50 ms at
# 1M claims on 2 cores; the CSV always holds every match.
CLAIMS_SEARCH_BOUND = env_int("DJANGO_SEARCH_BOUND", 5000)

# The largest text a source may hold (UTF-8 bytes), in the admin and in import_source alike,
# and the most candidate claims one import may propose (claims/limits.py).
CLAIMS_SOURCE_TEXT_MAX_BYTES = env_int("DJANGO_SOURCE_TEXT_MAX_BYTES", 2_000_000, minimum=1)
CLAIMS_IMPORT_MAX_CANDIDATES = env_int("DJANGO_IMPORT_MAX_CANDIDATES", 2000, minimum=1)
# The most one citation import (the admin's paste or file) reads, in bytes (claims/limits.py);
# an uploaded file is kept only to one byte past it (claims/uploads.py).
CLAIMS_CITATION_IMPORT_MAX_BYTES = env_int("DJANGO_CITATION_IMPORT_MAX_BYTES", 5_000_000, minimum=1)
FILE_UPLOAD_HANDLERS = ["claims.uploads.BoundedUploadHandler"]
# Rendered claim pages each process keeps, by content (claims.detail.PageCache; a page is
# a few tens of KB).
CLAIMS_PAGE_CACHE_SIZE = env_int("DJANGO_CLAIM_PAGE_CACHE", 1000, minimum=0)
# What anonymous readers' responses say to caches (claims.caching): browsers and a CDN reuse a
# page for CACHE_MAX_AGE seconds, then may serve it stale for up to
# CACHE_STALE_WHILE_REVALIDATE more while they revalidate it (a 304 from one indexed read).
CACHE_MAX_AGE = env_int("DJANGO_CACHE_MAX_AGE", 60, minimum=0)
CACHE_STALE_WHILE_REVALIDATE = env_int("DJANGO_CACHE_STALE_WHILE_REVALIDATE", 300, minimum=0)
# How long (ms) a process may reuse the data version it read for the ETags (claims.dataversion
# .recent): a burst of requests reads it once; 0 reads it for every request.
CLAIMS_DATA_VERSION_CACHE_MS = env_int("DJANGO_DATA_VERSION_CACHE_MS", 1000, minimum=0)
# Part of every ETag, so a deploy changes them all: set it to the deployed commit or version;
# empty, a digest of the code, templates and static files (read once per process) stands in.
RELEASE = os.environ.get("DJANGO_RELEASE", "").strip()
# Readers' error reports a client address may send in an hour (claims.reports).
CLAIMS_REPORTS_PER_HOUR = env_int("DJANGO_REPORTS_PER_HOUR", 5, minimum=1)
# Citation look-ups (claims.lookups): Crossref for DOIs, NCBI E-utilities for PMIDs. Off by
# default (an offline deployment, and the tests, never reach the internet); on, both services
# ask for a contact address in the User-Agent, so it is required.
CITATION_LOOKUPS = env_flag("DJANGO_CITATION_LOOKUPS")
CONTACT_EMAIL = os.environ.get("DJANGO_CONTACT_EMAIL", "").strip()
if CITATION_LOOKUPS and "@" not in CONTACT_EMAIL:
    raise ImproperlyConfigured(
        "DJANGO_CITATION_LOOKUPS=true needs DJANGO_CONTACT_EMAIL (Crossref and NCBI ask for it)"
    )
CROSSREF_API = "https://api.crossref.org"
EUTILS_API = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
CITATION_LOOKUP_TIMEOUT = 10  # seconds per request
CITATION_LOOKUP_RETRIES = 3  # after a timeout, a 429 or a 5xx, with backoff

# A form body may carry a text at the limit even when every byte of it is percent-encoded
# (three characters each), with room for the other fields; Django's default (2.5 MB) would
# refuse a 2 MB source text in the admin with a bare 400 before the form could explain. The
# citation import's forms are multipart, so their text counts as sent (one byte a byte).
DATA_UPLOAD_MAX_MEMORY_SIZE = (
    max(3 * CLAIMS_SOURCE_TEXT_MAX_BYTES, CLAIMS_CITATION_IMPORT_MAX_BYTES) + 1_000_000
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Django's loggers propagate to the root's handler; configured here, they drop Django's
    # own console handler, which printed every line twice under runserver.
    "loggers": {"django": {"level": "INFO"}},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]
# History pages show old versions; restoring one would bypass the services (claims/admin/common.py).
SIMPLE_HISTORY_REVERT_DISABLED = True
AXES_VERBOSE = False
