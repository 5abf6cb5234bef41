"""Settings for Cloud Factory, read from environment variables.

Two modes: the embedded default (no variables at all: SQLite, eager Celery, in-memory channel
layer, console e-mail) and production (`DJANGO_ENV=production`: PostgreSQL, Redis, secure
cookies). Every variable is listed in the README's configuration table.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

# The secret is read as it is: django-environ would take a value starting with "$" for a
# reference to another variable (and a random key starts with "$" now and then).
if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise environ.ImproperlyConfigured(
            "SECRET_KEY must be set to 50 or more random characters."
        )
else:
    # A development secret generated once per checkout and kept out of version control.
    _secret_file = BASE_DIR / ".dev-secret-key"
    if not _secret_file.exists():
        from django.core.management.utils import get_random_secret_key

        _secret_file.write_text(get_random_secret_key())
    SECRET_KEY = os.environ.get("SECRET_KEY") or _secret_file.read_text().strip()

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# daphne's app installs the Twisted reactor as it loads (0.3 s of every command and worker);
# only `runserver` needs it, to serve HTTP and websockets in one development process.
# Production runs the daphne command itself, which needs no app.
DEV_SERVER_APPS = ["daphne"] if sys.argv[1:2] == ["runserver"] else []

INSTALLED_APPS = [
    *DEV_SERVER_APPS,
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "csp",
    "accounts",
    "marketplace",
    "billing",
]

MIDDLEWARE = [
    # First: a NUL character must reach no lookup (PostgreSQL raises on one).
    "config.nul_bytes.NulRefusingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",  # django-csp's, plus the websockets
    "config.security.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SignInDeviceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.ActiveOrganizationMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
]

if PRODUCTION:
    # Static files served by the application server itself, compressed and cache-busted.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.organizations",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file, not memory, so that a live server in another process (the
    # browser tests) sees what a test writes; one per test process, so runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "test-artifacts" / f"test-db-{os.getpid()}.sqlite3")
    }
    # WAL and a busy timeout let the dev server, eager tasks and websockets share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_POOL", default=PRODUCTION
):
    # Each process borrows connections from its own pool and gives them back when a request or
    # task ends, so a deployment opens at most (processes x DB_POOL_MAX_SIZE) connections
    # however many clients come; a request finding the pool empty waits DB_POOL_TIMEOUT
    # seconds for one. DB_POOL=false where PgBouncer pools instead (README, production).
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django needs 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=8),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),  # seconds
        "max_idle": 300,  # seconds before an unused connection beyond min_size is closed
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# HTTP requests inside Django at once, per ASGI process (config/asgi.py): under ASGI every
# request runs its sync view in a thread of its own, so without a bound a burst of clients
# means as many threads and database connections. The pool's size is the natural bound.
HTTP_MAX_CONCURRENCY = env.int(
    "HTTP_MAX_CONCURRENCY",
    default=DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size", 8),
)

# The largest request body, refused with 413 before it is read (config/http_limit.py): a few
# designs of DESIGN_MAX_FILE_MB in one upload form; bodies below it spool to disk past
# FILE_UPLOAD_MAX_MEMORY_SIZE, so memory per request stays small whatever the size.
HTTP_MAX_BODY_MB = env.int("HTTP_MAX_BODY_MB", default=256)

REDIS_URL = env.str("REDIS_URL", default="")


def _cache_url_of_test_worker(redis_url: str) -> str:
    """Parallel test workers (pytest-xdist) share one Redis and clear the cache between tests:
    each gets a database of its own (1-15), so one worker's clearing cannot drop a lock or a
    counter another worker's test is holding. Outside tests the URL is used as it is."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return redis_url
    database = 1 + int(worker.removeprefix("gw")) % 15
    return urlsplit(redis_url)._replace(path=f"/{database}").geturl()


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url_of_test_worker(REDIS_URL),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Delivers only within one process: enough for the embedded default, where eager tasks
    # run inside the web server. Workers on other processes need REDIS_URL.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: eager in the embedded default; a real broker as soon as one is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "marketplace.designs.tasks.design_analyse_task": {"queue": "analysis"},
    "marketplace.orders.tasks.quote_solve_task": {"queue": "matching"},
    "marketplace.orders.tasks.outage_replan_task": {"queue": "matching"},
    "billing.tasks.*": {"queue": "billing"},
    "accounts.webhooks.tasks.*": {"queue": "webhooks"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)  # seconds
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# `celery -A config beat` runs these; the embedded default has no beat (run the command).
CELERY_BEAT_SCHEDULE = {
    "exports-expired-delete": {
        "task": "marketplace.exports.tasks.exports_expired_delete_task",
        "schedule": 60 * 60,  # seconds
    },
    "orders-housekeeping": {
        "task": "marketplace.orders.tasks.orders_housekeeping_task",
        "schedule": 15 * 60,  # seconds
    },
    "billing-settlement-sweep": {
        "task": "billing.tasks.settlement_sweep_task",
        "schedule": 10 * 60,  # seconds
    },
    "billing-settle-due": {
        "task": "billing.tasks.settlement_due_task",
        "schedule": 24 * 60 * 60,  # seconds: the daily claim-and-pay
    },
    "billing-webhook-events-retry": {
        "task": "billing.tasks.webhook_events_retry_task",
        "schedule": 10 * 60,
        "options": {"queue": "billing"},
    },
    "webhooks-dispatch-due": {
        "task": "accounts.webhooks.tasks.webhook_dispatch_due_task",
        "schedule": 60,  # seconds: retries come due from one minute on
        "options": {"queue": "webhooks"},
    },
    "billing-refunds-retry": {
        "task": "billing.tasks.refunds_retry_task",
        "schedule": 10 * 60,
        "options": {"queue": "billing"},
    },
    "shopfloor-silence": {
        "task": "marketplace.shopfloor.tasks.shopfloor_silence_task",
        "schedule": 60,  # seconds: machines silent past their timeout (docs/shop-floor-mqtt.md)
    },
}

# Outgoing webhooks (accounts/webhooks): private, loopback and reserved addresses are refused
# unless allowed (development only); timeouts in seconds; a failing endpoint is disabled after
# this many days of failures.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)
WEBHOOKS_CONNECT_TIMEOUT = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
WEBHOOKS_TOTAL_TIMEOUT = env.float("WEBHOOKS_TOTAL_TIMEOUT", default=10.0)
WEBHOOKS_DISABLE_AFTER_DAYS = env.int("WEBHOOKS_DISABLE_AFTER_DAYS", default=3)
WEBHOOKS_MAX_ENDPOINTS = env.int("WEBHOOKS_MAX_ENDPOINTS", default=20)  # per organization

# Shop floor over MQTT: the broker `manage.py shopfloor_bridge` subscribes to.
SHOPFLOOR_MQTT_URL = env.str("SHOPFLOOR_MQTT_URL", default="mqtt://127.0.0.1:1883")

# Uploaded designs: what one file may cost before it is refused (see marketplace/designs/geometry).
DESIGN_MAX_FILE_MB = env.int("DESIGN_MAX_FILE_MB", default=100)
DESIGN_MAX_TRIANGLES = env.int("DESIGN_MAX_TRIANGLES", default=5_000_000)
DESIGN_ANALYSIS_MEMORY_MB = env.int("DESIGN_ANALYSIS_MEMORY_MB", default=3072)
DESIGN_ANALYSIS_SECONDS = env.int("DESIGN_ANALYSIS_SECONDS", default=60)
# A workshop reads the revisions it was given while its job is live, and for this many days
# after the job is done (questions, rework, a dispute); never revisions uploaded later.
DESIGN_ACCESS_DAYS_AFTER_JOB = env.int("DESIGN_ACCESS_DAYS_AFTER_JOB", default=30)
# Start a warm analysis parent when the web process starts, where the analysis runs in it
# (eager Celery, the embedded default): the first upload then skips 3-5 s of imports.
DESIGN_ANALYSIS_PREWARM = env.bool("DESIGN_ANALYSIS_PREWARM", default=CELERY_TASK_ALWAYS_EAGER)
# The same in each process of a Celery worker that consumes the analysis queue, so that the
# first file after a worker (re)starts does not pay the imports either.
DESIGN_ANALYSIS_WORKER_PREWARM = env.bool("DESIGN_ANALYSIS_WORKER_PREWARM", default=True)
# Parts made from templates in the web process at once (each borrows a warm CAD parent of
# about 500 MB and holds a request thread); more wait up to the given seconds, then get a 503.
PART_GENERATIONS_AT_ONCE = env.int("PART_GENERATIONS_AT_ONCE", default=2)
PART_GENERATION_WAIT_SECONDS = env.float("PART_GENERATION_WAIT_SECONDS", default=5.0)

# Quotes and orders.
QUOTE_MARGIN_BP = env.int("QUOTE_MARGIN_BP", default=800)  # basis points on cost, shared out
PLATFORM_FEE_BP = env.int("PLATFORM_FEE_BP", default=500)  # basis points on cost, the platform's
QUOTE_VALIDITY_HOURS = env.int("QUOTE_VALIDITY_HOURS", default=72)
QUOTE_TIME_LIMIT_S = env.float("QUOTE_TIME_LIMIT_S", default=3.0)
QUOTE_SYNC_MAX_SIZE = env.int("QUOTE_SYNC_MAX_SIZE", default=60)  # steps x machines
MATCHING_WORKERS = env.int("MATCHING_WORKERS", default=2)
# Reviews and inspections feed matching: a workshop rated below this once enough reviews and
# inspected steps are in gets no new jobs.
MATCHING_MIN_RATING = env.float("MATCHING_MIN_RATING", default=3.0)  # stars out of 5
MATCHING_MIN_REVIEWS = env.int("MATCHING_MIN_REVIEWS", default=5)
ORDER_PAY_WITHIN_HOURS = env.int("ORDER_PAY_WITHIN_HOURS", default=72)
JOB_ACCEPT_WITHIN_HOURS = env.int("JOB_ACCEPT_WITHIN_HOURS", default=24)
# Machines going down within this many seconds are re-planned as one outage (one task).
OUTAGE_COALESCE_SECONDS = env.int("OUTAGE_COALESCE_SECONDS", default=3)
# Seconds for the one solve over every order an outage hits (a background task, promised
# within 10 s); a quote's second left two orders in eleven late that five seconds keep.
OUTAGE_REPLAN_TIME_LIMIT_S = env.float("OUTAGE_REPLAN_TIME_LIMIT_S", default=5.0)
# Hours after a promised end or arrival before lateness counts against a margin share.
SHARING_LATE_GRACE_HOURS = env.int("SHARING_LATE_GRACE_HOURS", default=24)
ORDER_AUTO_COMPLETE_DAYS = env.int("ORDER_AUTO_COMPLETE_DAYS", default=14)
# Escrow: a leg handed over but not confirmed within this many days counts as accepted.
ESCROW_AUTO_RELEASE_DAYS = env.int("ESCROW_AUTO_RELEASE_DAYS", default=7)

# Payments: "manual" (bank transfer, operators confirm) or "stripe" (Connect marketplace).
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="manual")
# The platform as the seller on customer invoices (see docs/billing.md, "Invoices and VAT").
INVOICE_SELLER_NAME = env.str("INVOICE_SELLER_NAME", default="Cloud Factory GmbH")
INVOICE_SELLER_ADDRESS = env.list(
    "INVOICE_SELLER_ADDRESS", default=["Torstraße 1", "10119 Berlin", "Germany"]
)
INVOICE_SELLER_COUNTRY = env.str("INVOICE_SELLER_COUNTRY", default="DE")
INVOICE_SELLER_VAT_ID = env.str("INVOICE_SELLER_VAT_ID", default="DE100000008")
STRIPE_API_KEY = env.str("STRIPE_API_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# The Connect endpoint (/billing/webhooks/stripe/connect/) has its own signing secret.
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # empty: api.stripe.com
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Settlement: runs and payouts left running/processing this long by a crashed worker are
# made retryable by the sweeper (longer than CELERY_TASK_TIME_LIMIT).
SETTLEMENT_STALE_MINUTES = env.int("SETTLEMENT_STALE_MINUTES", default=30)
# SEPA credit transfer files (pain.001) of manual payouts: the platform's account they debit.
SEPA_DEBTOR_NAME = env.str("SEPA_DEBTOR_NAME", default="Cloud Factory")
SEPA_DEBTOR_IBAN = env.str("SEPA_DEBTOR_IBAN", default="DE89370400440532013000")
SEPA_DEBTOR_BIC = env.str("SEPA_DEBTOR_BIC", default="COBADEFFXXX")
# Webhook events whose processing failed (or never ran) are retried by a sweeper.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=5)
WEBHOOK_RETRY_AFTER_MINUTES = env.int("WEBHOOK_RETRY_AFTER_MINUTES", default=15)
# Refunds whose answer was lost are looked up and resumed by a sweeper.
REFUND_MAX_ATTEMPTS = env.int("REFUND_MAX_ATTEMPTS", default=5)
REFUND_RETRY_AFTER_MINUTES = env.int("REFUND_RETRY_AFTER_MINUTES", default=15)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's model backend behind the sign-in limits: refuses while a limit is full, before
    # any password is checked.
    "accounts.signin.SignInLimitBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# allauth's failed-login limit locked the account for everyone, the owner included; the
# project's own limits (accounts/signin.py) replace it. allauth's other limits stay.
ACCOUNT_RATE_LIMITS = {"login_failed": None}

# Second factors (allauth.mfa): offered to everyone on /accounts/2fa/, required of operators and
# of whoever opens bank details or payout set-up (accounts/second_factor.py).
MFA_REQUIRED_FOR_OPERATORS = env.bool("MFA_REQUIRED_FOR_OPERATORS", default=True)
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Cloud Factory"
# Wrong codes are counted by the project (accounts/second_factor_limits.py): allauth counts them
# with "login_failed", switched off above.
MFA_FORMS = {
    "authenticate": "accounts.forms.CountedAuthenticateForm",
    "reauthenticate": "accounts.forms.CountedReauthenticateForm",
}
SECOND_FACTOR_WINDOW_MINUTES = env.int("SECOND_FACTOR_WINDOW_MINUTES", default=5)  # cool-off
SECOND_FACTOR_MAX_FAILURES_PER_ACCOUNT = env.int(
    "SECOND_FACTOR_MAX_FAILURES_PER_ACCOUNT", default=5
)
SECOND_FACTOR_MAX_FAILURES_PER_IP = env.int("SECOND_FACTOR_MAX_FAILURES_PER_IP", default=20)
# Security keys need a secure origin; the embedded default serves plain http on localhost.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

# Client addresses: X-Forwarded-For is believed only for this many proxies in front of the
# application (0: none, REMOTE_ADDR is the client). Sign-in limits and API throttles read it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Sign-in limits (accounts/signin.py), each counted over the window from the first failure.
SIGNIN_WINDOW_MINUTES = env.int("SIGNIN_WINDOW_MINUTES", default=15)  # also the cool-off
SIGNIN_MAX_FAILURES_PER_IP = env.int("SIGNIN_MAX_FAILURES_PER_IP", default=30)
SIGNIN_MAX_FAILURES_PER_ACCOUNT_AND_IP = env.int(
    "SIGNIN_MAX_FAILURES_PER_ACCOUNT_AND_IP", default=5
)
# Failures on one account from browsers that never signed in to it, from any address.
SIGNIN_MAX_FAILURES_PER_ACCOUNT = env.int("SIGNIN_MAX_FAILURES_PER_ACCOUNT", default=20)
SIGNIN_DEVICE_DAYS = env.int("SIGNIN_DEVICE_DAYS", default=180)  # a browser stays known

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Cloud Factory <noreply@cloudfactory.local>"
)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    # Uploaded designs are private: they are served only through permission-checked views.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox tokens and sessions, refusing operators without a second factor (403, the reason)
        "accounts.api.authentication.SecondFactorTokenAuthentication",
        "accounts.api.authentication.SecondFactorSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "config.api_parsing.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_METADATA_CLASS": "config.api_parsing.Metadata",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        # Each part preview builds a solid in a child process (about half a second).
        "part_preview": env.str("API_THROTTLE_PART_PREVIEW", default="120/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# API tokens expire TOKEN_TTL_DAYS after creation or their last renewal; a token in use is
# renewed by use (at most once an hour), and its owner can renew or revoke it on the tokens page.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
API_TOKENS_PER_HOUR = env.int("API_TOKENS_PER_HOUR", default=10)  # created per user
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 60 * 60,  # seconds
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cloud Factory API",
    "DESCRIPTION": "Manufacturing as a service: designs, workshops, quotes, orders, billing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served from the vendored sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "MachineStatusEnum": "marketplace.network.models.Machine.Status",
        "VerificationStatusEnum": "marketplace.network.models.Workshop.Verification",
        "InspectionEnum": "marketplace.orders.models.Job.Inspection",
        "DisputeOutcomeEnum": "marketplace.orders.models.DisputeDecision.Outcome",
        "WebhookEventTypeEnum": "accounts.webhooks.events.EVENT_TYPE_CHOICES",
        "DesignUnitEnum": "marketplace.designs.models.DesignRevision.Unit",
        "ParameterUnitEnum": ["mm", "count", "deg"],
        "QualityFileKindEnum": "marketplace.quality.models.QualityFile.Kind",
        "QualityDocumentKindEnum": "marketplace.quality.models.DocumentKind",
        "QualityOutcomeEnum": "marketplace.quality.models.QualityRecord.Outcome",
        "QualityReviewEnum": "marketplace.quality.models.QualityRecord.Review",
        "DesignAccessKindEnum": "marketplace.designs.models.DesignDownload.Kind",
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp): scripts and styles from our own origin only. The few
# inline blocks left (the design viewer's import map) carry the request's nonce; inline style
# attributes are allowed because the capacity calendar and Django's admin place boxes with them,
# while <style> elements and every inline script stay forbidden. connect-src gets the websockets
# of the host that served each page (config/security.py), whatever SITE_URL says.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # Stripe's hosted onboarding is reached by a redirect after our own form.
        "form-action": [SELF, "https://connect.stripe.com"],
    }
}
# Browser features no page here uses, switched off for every page (config/security.py).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_health": {"()": "config.healthz.OneLinePerFailedCheck"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "health_check": {"filters": ["one_line_health"]},
    },
}
