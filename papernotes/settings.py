"""Settings for the 最新論文ノート CMS.

Every value that differs between machines comes from the environment (django-environ);
the defaults are the embedded ones used by ``make run``: SQLite under ``var/``, a
filesystem Celery broker, no Redis. Each variable is documented in the README.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (export SECRET_KEY=... or DEBUG=true).")
    SECRET_KEY = "insecure-local-development-key-only-used-with-DEBUG"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django.contrib.sitemaps",
    "axes",
    "markdownx",
    "simple_history",
    "papernotes",
    "editorial",
    "api",
    "papernotes.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "papernotes.middleware.RequestGuardMiddleware",
    "papernotes.middleware.PublicGZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "papernotes.caching.ReaderCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "papernotes.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "papernotes.wsgi.application"
ASGI_APPLICATION = "papernotes.asgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker write the same file: WAL lets readers go on
    # while one writes, IMMEDIATE transactions queue writers instead of failing them.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that a worker thread in the tests shares the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    VAR_DIR.mkdir(exist_ok=True)
else:
    # Reuse connections across requests (a new PostgreSQL connection costs more than a
    # cached page); the health check drops one the server closed in the meantime.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Admin login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user
# name from one address, logins of that pair are refused for LOGIN_LOCKOUT_MINUTES (a
# Japanese page, 429). The address is read as the API's throttling reads it (API_NUM_PROXIES).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = env.bool("LOGIN_THROTTLING", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "papernotes.security.client_ip"
AXES_LOCKOUT_CALLABLE = "papernotes.security.login_lockout_response"
# Its admin screens are in English only; `manage.py axes_list_attempts` / `axes_reset` instead.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Every screen an editor or reader sees is in Japanese, whatever the browser asks for:
# no LocaleMiddleware, so LANGUAGE_CODE decides (the UI strings stay translatable).
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ja")
LANGUAGES = [("ja", _("日本語")), ("en", _("英語"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"

# Cache: Redis in production (REDIS_URL), an in-process cache otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "papernotes"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 2000}}
    )
}

# Celery. Production: Redis (CELERY_BROKER_URL=redis://...). The embedded default is
# kombu's filesystem transport under var/celery, so `make run` still runs tasks in a
# real worker process without any server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # kombu's default is "control" relative to the working directory: the repository.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Three queues, so that each kind of work gets the worker it needs (Procfile, compose.yaml):
# "drafting" waits on the LLM's network replies, and is consumed by a thread pool wide
# enough to keep LLM_MAX_CONCURRENT calls in flight; "ingestion" parses PDFs (CPU) in a
# prefork pool beside "default" (editorial checks, publication). A worker started without
# -Q (`make run`, the tests) consumes all three.
CELERY_TASK_DEFAULT_QUEUE = "default"
TASK_QUEUE_NAMES = ("default", "ingestion", "drafting")
CELERY_TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in TASK_QUEUE_NAMES)
CELERY_TASK_ROUTES = {
    "papernotes.drafting.*": {"queue": "drafting"},
    "papernotes.tasks.*": {"queue": "ingestion"},
}

# Markdown: what editors and the LLM write is rendered with these extensions and then
# sanitised with nh3 (see papernotes/markdown.py).
MARKDOWNX_MARKDOWN_EXTENSIONS = ["markdown.extensions.extra", "markdown.extensions.sane_lists"]
MARKDOWNX_MARKDOWNIFY_FUNCTION = "papernotes.markdown.render_markdown"

# --- REST API (issue 9) ------------------------------------------------------------------
# Deny by default: a view is public only when it says so (api/views/public.py).
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.DenyAll"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("API_ANON_THROTTLE_RATE", default="120/minute")},
    # Proxies in front of the site that append to X-Forwarded-For: 0 trusts only the socket's
    # address (a client cannot dodge throttling with a forged header); 1 behind one proxy.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
# API tokens (hashed at rest, shown once): days a new token is valid by default, and at most.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
API_TOKEN_MAX_TTL_DAYS = env.int("API_TOKEN_MAX_TTL_DAYS", default=365)
# Bytes an API request body may have (a pasted list is capped on its own, in lines and bytes).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1_000_000)
SPECTACULAR_SETTINGS = {
    "TITLE": "最新論文ノート API",
    "DESCRIPTION": "公開済みの週刊号・論文ノート・Q&A の読み取り API と、編集者向けの API。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_common_responses",
    ],
    # Several serializers have a "state"; name each choice set so the schema is stable.
    "ENUM_NAME_OVERRIDES": {
        "IssueStateEnum": "papernotes.models.choices.IssueState",
        "NoteStateEnum": "papernotes.models.choices.NoteState",
        "PipelineRowStateEnum": "papernotes.models.choices.PipelineRowState",
        "TextSourceEnum": "papernotes.models.choices.TextSource",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # One line per HTTP request and per BM25 index is noise in a worker's log.
    "loggers": {"httpx": {"level": "WARNING"}, "bm25s": {"level": "WARNING"}},
}

# --- Production serving and security (issue 9) ----------------------------------------
# Secure by default whenever DEBUG is off; each setting can be turned off from the
# environment (e.g. behind a proxy that already redirects to HTTPS). README: Production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Only behind a proxy that sets X-Forwarded-Proto itself (and strips the client's).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# URLs that skip the HTTPS redirect: none by default (a load balancer's health check may need one).
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])

# Content-Security-Policy (django-csp): nothing from other origins, no inline script.
# Inline style *attributes* are allowed (admin templates and Swagger UI set a few); style
# elements are not, except on the API docs page (api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Reader pages: how long shared caches (CDNs, proxies) may keep a page without asking
# again. Browsers always revalidate (cheap: 304 from a version stamp, see papernotes/caching.py).
READER_SHARED_MAX_AGE = env.int("READER_SHARED_MAX_AGE", default=60)
# How long a rendered page stays in the cache under one version stamp (seconds).
READER_CACHE_TIMEOUT = env.int("READER_CACHE_TIMEOUT", default=600)
# Seconds a web process reuses the version stamp before asking the database again (0: ask
# for every request); the delay with which a publication or correction reaches readers.
READER_STAMP_TTL = env.float("READER_STAMP_TTL", default=1.0)
# Rendered pages each web process also keeps in memory, in front of the shared cache.
READER_LOCAL_CACHE_ENTRIES = env.int("READER_LOCAL_CACHE_ENTRIES", default=64)
# A page missing from the cache is rendered by one request at a time: the others wait up to
# READER_RENDER_WAIT seconds for it; a renderer's lock expires after READER_RENDER_LOCK_SECONDS.
READER_RENDER_WAIT = env.float("READER_RENDER_WAIT", default=10.0)
READER_RENDER_LOCK_SECONDS = env.int("READER_RENDER_LOCK_SECONDS", default=30)
# Requests with a longer path or query string get a 400 before any view reads them.
REQUEST_MAX_PATH_LENGTH = env.int("REQUEST_MAX_PATH_LENGTH", default=1024)
REQUEST_MAX_QUERY_LENGTH = env.int("REQUEST_MAX_QUERY_LENGTH", default=2048)
# Part of every ETag and cache key: the release of the code (e.g. a git commit). Empty: a
# digest of the templates, static files and code, computed when a process starts.
CACHE_RELEASE = env.str("CACHE_RELEASE", default="")
# The CDN purge hook (papernotes/cdn.py): after a publication, correction or withdrawal,
# the changed URLs are POSTed as JSON to CDN_PURGE_URL (Bearer CDN_PURGE_TOKEN), or given
# as arguments to CDN_PURGE_COMMAND. PUBLIC_BASE_URL makes them absolute.
CDN_PURGE_URL = env.str("CDN_PURGE_URL", default="")
CDN_PURGE_TOKEN = env.str("CDN_PURGE_TOKEN", default="")
CDN_PURGE_COMMAND = env.str("CDN_PURGE_COMMAND", default="")
CDN_PURGE_TIMEOUT = env.float("CDN_PURGE_TIMEOUT", default=10.0)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")
# URLs per sitemap page (sitemap.xml is an index of them).
SITEMAP_PAGE_SIZE = env.int("SITEMAP_PAGE_SIZE", default=1000)
# Search counts matches up to this many; above it the total reads 「1,000 件以上」. Counting
# every note that contains a common word (評価 is in nearly all) was most of a search's time.
# Each note counted is also scored, which reads its texts: 200 keeps a common word's search
# within tens of milliseconds on ten years of notes (1,000 took four to five times as long).
SEARCH_COUNT_LIMIT = env.int("SEARCH_COUNT_LIMIT", default=200)
# Seconds a search's ranked matches are kept, per normalised query and version of public content.
SEARCH_CACHE_TIMEOUT = env.int("SEARCH_CACHE_TIMEOUT", default=60)
# Searches one client address may make (the search page and the API's q together).
SEARCH_THROTTLE_RATE = env.str("SEARCH_THROTTLE_RATE", default="30/minute")
# Served at the site root by WhiteNoise: favicon.ico, robots.txt.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# Ingestion (arXiv metadata and PDFs). arXiv asks for at most one request every
# 3 seconds and one connection at a time, across all our workers.
ARXIV_API_URL = env.str("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
ARXIV_MIN_INTERVAL = env.float("ARXIV_MIN_INTERVAL", default=3.0)
ARXIV_TIMEOUT = env.float("ARXIV_TIMEOUT", default=30.0)
# Attempts within one task run, with exponential backoff from this base (seconds);
# after them the task itself is retried later with a longer backoff.
ARXIV_RETRY_ATTEMPTS = env.int("ARXIV_RETRY_ATTEMPTS", default=4)
ARXIV_BACKOFF_BASE = env.float("ARXIV_BACKOFF_BASE", default=2.0)
# A pasted list of papers (admin 「リストから新しい号を作成」, the API, new_issue): refused before
# it is read above these sizes, and above this many papers before anything is written.
PAPER_LIST_MAX_BYTES = env.int("PAPER_LIST_MAX_BYTES", default=1_000_000)
PAPER_LIST_MAX_LINES = env.int("PAPER_LIST_MAX_LINES", default=5000)
PAPER_LIST_MAX_PAPERS = env.int("PAPER_LIST_MAX_PAPERS", default=50)
# Hosts PDFs may come from: "host" (its scheme's default port), "host:port", "host:*" (any port).
PDF_ALLOWED_HOSTS = env.list("PDF_ALLOWED_HOSTS", default=["arxiv.org", "export.arxiv.org"])
# http:// links to these hosts are fetched over https (arXiv's feed links http://arxiv.org/pdf/...).
PDF_HTTPS_HOSTS = env.list("PDF_HTTPS_HOSTS", default=["arxiv.org", "export.arxiv.org", "www.arxiv.org"])
PDF_MAX_BYTES = env.int("PDF_MAX_BYTES", default=50 * 1024 * 1024)
PDF_TIMEOUT = env.float("PDF_TIMEOUT", default=60.0)
PDF_MAX_PAGES = env.int("PDF_MAX_PAGES", default=200)
PDF_EXTRACT_TIME_LIMIT = env.float("PDF_EXTRACT_TIME_LIMIT", default=120.0)
# Where the shared rate limiter keeps its state: Redis when REDIS_URL is set, else a
# lock file under var/ (enough for the processes of one machine).
RATE_LIMIT_DIR = env.path("RATE_LIMIT_DIR", default=VAR_DIR / "ratelimit")

# Drafting with an LLM (papernotes/drafting). Any OpenAI-compatible server works: set
# OPENAI_BASE_URL for vLLM, Ollama, llama.cpp or LM Studio (a key is then optional).
# With neither a key nor a base URL, drafting is off and editors write drafts by hand.
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
LLM_MODEL = env.str("LLM_MODEL", default="gpt-4o-mini")
# A model per step; each defaults to LLM_MODEL.
LLM_MODEL_READ = env.str("LLM_MODEL_READ", default=LLM_MODEL)
LLM_MODEL_ANSWER = env.str("LLM_MODEL_ANSWER", default=LLM_MODEL)
LLM_MODEL_REPAIR = env.str("LLM_MODEL_REPAIR", default=LLM_MODEL)
# Seconds per call; tries per call within a task on 429/5xx/timeouts (Retry-After honoured).
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=120.0)
LLM_RETRY_ATTEMPTS = env.int("LLM_RETRY_ATTEMPTS", default=3)
LLM_BACKOFF_BASE = env.float("LLM_BACKOFF_BASE", default=2.0)
LLM_MAX_RETRY_AFTER = env.float("LLM_MAX_RETRY_AFTER", default=60.0)
# Shared by all workers (Redis when REDIS_URL is set): calls in flight, and per-minute quotas
# (0: no quota of that kind).
LLM_MAX_CONCURRENT = env.int("LLM_MAX_CONCURRENT", default=4)
LLM_REQUESTS_PER_MINUTE = env.int("LLM_REQUESTS_PER_MINUTE", default=0)
LLM_TOKENS_PER_MINUTE = env.int("LLM_TOKENS_PER_MINUTE", default=0)
# Output budget per step, and the request parameter that carries it (older servers and
# models take "max_tokens").
LLM_MAX_OUTPUT_TOKENS = env.int("LLM_MAX_OUTPUT_TOKENS", default=8000)
LLM_MAX_TOKENS_PARAMETER = env.str("LLM_MAX_TOKENS_PARAMETER", default="max_completion_tokens")
# USD per million tokens, per model: {"model": {"input": .., "cached_input": .., "output": ..}}.
# A model not in the table is recorded at cost 0 and named in the log.
LLM_PRICES = env.json(
    "LLM_PRICES",
    default={
        "gpt-4o-mini": {"input": 0.15, "cached_input": 0.075, "output": 0.60},
        "gpt-4o": {"input": 2.50, "cached_input": 1.25, "output": 10.00},
        "gpt-4.1-mini": {"input": 0.40, "cached_input": 0.10, "output": 1.60},
        "gpt-4.1": {"input": 2.00, "cached_input": 0.50, "output": 8.00},
    },
)
# A request carried by the Batch API (DRAFTING_MODE=batch) costs this share of the price
# above, unless the model's entry names its own "batch_input", "batch_cached_input" and
# "batch_output" prices.
LLM_BATCH_PRICE_FACTOR = env.float("LLM_BATCH_PRICE_FACTOR", default=0.5)
# What a draft holds: the range of Q&A pairs, the house style of the blog ("blog": sentences
# end with ".", ASCII ":" "?" "(" ")"; "none": the model's own punctuation), and how much of
# the paper goes into each call.
DRAFTING_QA_MIN = env.int("DRAFTING_QA_MIN", default=9)
DRAFTING_QA_MAX = env.int("DRAFTING_QA_MAX", default=11)
DRAFTING_HOUSE_STYLE = env.str("DRAFTING_HOUSE_STYLE", default="blog")
DRAFTING_READ_PASSAGE_CHARS = env.int("DRAFTING_READ_PASSAGE_CHARS", default=12000)
DRAFTING_PASSAGES_PER_QUESTION = env.int("DRAFTING_PASSAGES_PER_QUESTION", default=3)
DRAFTING_ANSWER_PASSAGE_CHARS = env.int("DRAFTING_ANSWER_PASSAGE_CHARS", default=40000)
# Start drafting by itself once a paper's text is extracted (issues not yet published).
DRAFTING_AUTO_START = env.bool("DRAFTING_AUTO_START", default=True)
# Repair calls per step (read, answer): each step has its own.
DRAFTING_REPAIRS_PER_STEP = env.int("DRAFTING_REPAIRS_PER_STEP", default=1)
# Seconds one paper's drafting may take in all, across calls, retries and task retries: a
# hung provider fails the paper (with the reason) instead of keeping it busy for an hour.
DRAFTING_PAPER_DEADLINE = env.float("DRAFTING_PAPER_DEADLINE", default=600.0)
# The judge step (papernotes/drafting/judge.py): after a note's draft, one call scores every
# answer on a rubric (faithful to its evidence, answers the question, Japanese, house style),
# 1 to 5 each with a short reason, shown on the review screen. Off by default; its model
# defaults to LLM_MODEL.
DRAFTING_JUDGE_ENABLED = env.bool("DRAFTING_JUDGE_ENABLED", default=False)
DRAFTING_JUDGE_MODEL = env.str("DRAFTING_JUDGE_MODEL", default="")
# How a week is drafted (papernotes/drafting/batch.py): "sync", a call per step and paper as
# soon as it can be made, or "batch", the read step of the week's notes as one batch of the
# OpenAI Batch API, then the answer step as a second one (about half the token price,
# results within 24 hours). `draft_issue --batch` chooses batch for one run.
DRAFTING_MODE = env.str("DRAFTING_MODE", default="sync")
if DRAFTING_MODE not in ("sync", "batch"):
    raise ImproperlyConfigured(f"DRAFTING_MODE must be 'sync' or 'batch', not {DRAFTING_MODE!r}.")
# Seconds between two looks at the batches in flight (Celery beat runs the poller).
DRAFTING_BATCH_POLL_INTERVAL = env.float("DRAFTING_BATCH_POLL_INTERVAL", default=60.0)
# Seconds a batch may take from its submission; then it is cancelled and its notes fail
# with the reason (the provider's own window is 24 hours).
DRAFTING_BATCH_DEADLINE = env.float("DRAFTING_BATCH_DEADLINE", default=26 * 3600.0)
# What becomes of a request the batch did not carry out (expired, cancelled, the batch
# failed, a 429 or 5xx for that line): drafted at once with ordinary calls (true), or the
# note fails with the reason (false). A request the provider refused (a 400) fails either way.
DRAFTING_BATCH_FALLBACK = env.bool("DRAFTING_BATCH_FALLBACK", default=True)
# -- Editorial review (issue 8) --------------------------------------------------------
# django-import-export: the glossary's CSV import/export. django-celery-beat: scheduled
# publication; the beat (started by `make run`, or `celery -A papernotes beat` in
# production) publishes due issues every minute.
INSTALLED_APPS += ["import_export", "django_celery_beat"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "publish-due-issues": {"task": "editorial.tasks.publish_due_issues_task", "schedule": 60.0},
    # Batch mode (DRAFTING_MODE=batch, draft_issue --batch): send, poll and apply the batches.
    "poll-drafting-batches": {
        "task": "papernotes.drafting.poll_drafting_batches_task",
        "schedule": DRAFTING_BATCH_POLL_INTERVAL,
    },
}
# How many Q&A pairs a note should have (the qa_count check).
EDITORIAL_QA_COUNT_RANGE = (env.int("QA_COUNT_MIN", default=8), env.int("QA_COUNT_MAX", default=12))
# -- Email delivery of published issues (issue 16) ---------------------------------------
# The site's public address: links in emails are absolute (the worker has no request).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Django's email backend from one URL (django-environ): smtp+tls://user:password@host:587,
# smtps://... (implicit TLS), smtp://host:25, consolemail://. Unset: each message is written
# as a file under EMAIL_FILE_PATH (var/mail, ``make run``), so nothing leaves the machine.
EMAIL_URL = env.str("EMAIL_URL", default="")
_email = (
    env.email_url("EMAIL_URL") if EMAIL_URL else {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    # The same backend, remembering the server's reply to each message (the send log keeps it).
    EMAIL_BACKEND = "papernotes.delivery.smtp.EmailBackend"
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
# A password kept out of the URL may come on its own.
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="") or _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=30.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="最新論文ノート <newsletter@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Send a published issue to confirmed subscribers as soon as it is published (also when a
# schedule publishes it). Imported back issues are never sent.
NEWSLETTER_SEND_ON_PUBLISH = env.bool("NEWSLETTER_SEND_ON_PUBLISH", default=True)
NEWSLETTER_FROM_EMAIL = env.str("NEWSLETTER_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
# List-Id (RFC 2919); by default derived from the site's host name.
NEWSLETTER_LIST_ID = env.str("NEWSLETTER_LIST_ID", default="")
# An address whose mail is read as "unsubscribe" (List-Unsubscribe's optional mailto); empty: none.
NEWSLETTER_UNSUBSCRIBE_MAILTO = env.str("NEWSLETTER_UNSUBSCRIBE_MAILTO", default="")
# The SMTP server's limits, shared by every worker (the rate limiter of papernotes.external):
# messages per second (spacing between the starts of two messages) and per minute (0: none).
NEWSLETTER_MESSAGES_PER_SECOND = env.float("NEWSLETTER_MESSAGES_PER_SECOND", default=10.0)
NEWSLETTER_MESSAGES_PER_MINUTE = env.int("NEWSLETTER_MESSAGES_PER_MINUTE", default=0)
NEWSLETTER_MIN_INTERVAL = 1.0 / NEWSLETTER_MESSAGES_PER_SECOND if NEWSLETTER_MESSAGES_PER_SECOND > 0 else 0.0
NEWSLETTER_REQUESTS_PER_MINUTE = NEWSLETTER_MESSAGES_PER_MINUTE
NEWSLETTER_TIMEOUT = EMAIL_TIMEOUT
# Messages per batch task (each batch also stops after NEWSLETTER_BATCH_SECONDS and hands on).
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=200)
NEWSLETTER_BATCH_SECONDS = env.float("NEWSLETTER_BATCH_SECONDS", default=120.0)
# Tries per message on temporary SMTP errors (4xx), with backoff from NEWSLETTER_RETRY_BACKOFF seconds.
NEWSLETTER_MAX_ATTEMPTS = env.int("NEWSLETTER_MAX_ATTEMPTS", default=5)
NEWSLETTER_RETRY_BACKOFF = env.float("NEWSLETTER_RETRY_BACKOFF", default=60.0)
# A message claimed this many seconds ago and still "sending" lost its worker: it becomes
# "送信結果不明" for a chief editor to resolve, never re-sent by itself. Longer than a batch's
# hard time limit.
NEWSLETTER_SENDING_LEASE = env.float("NEWSLETTER_SENDING_LEASE", default=600.0)
# Double opt-in: how long a confirmation link works, and how often one address may be sent one.
NEWSLETTER_CONFIRM_MAX_AGE = env.int("NEWSLETTER_CONFIRM_MAX_AGE", default=7 * 24 * 3600)
NEWSLETTER_CONFIRM_RESEND_INTERVAL = env.int("NEWSLETTER_CONFIRM_RESEND_INTERVAL", default=600)
# Subscribe requests allowed per client address and per email address per hour.
NEWSLETTER_SUBSCRIBE_PER_IP_HOUR = env.int("NEWSLETTER_SUBSCRIBE_PER_IP_HOUR", default=10)
NEWSLETTER_SUBSCRIBE_PER_ADDRESS_HOUR = env.int("NEWSLETTER_SUBSCRIBE_PER_ADDRESS_HOUR", default=3)
# Proxies in front of the site that append to X-Forwarded-For (as API_NUM_PROXIES).
NEWSLETTER_NUM_PROXIES = env.int("NEWSLETTER_NUM_PROXIES", default=env.int("API_NUM_PROXIES", default=0))
# Shared secret of the bounce and complaint webhook (POST /api/v1/delivery/events/); empty: off.
NEWSLETTER_WEBHOOK_SECRET = env.str("NEWSLETTER_WEBHOOK_SECRET", default="")
CELERY_BEAT_SCHEDULE["resume-deliveries"] = {"task": "papernotes.delivery.resume_deliveries_task", "schedule": 60.0}
