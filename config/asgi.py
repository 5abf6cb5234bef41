"""ASGI entry point: HTTP through Django, websockets through Channels with session auth.

HTTP requests enter Django at most HTTP_MAX_CONCURRENCY at a time, and bodies over
HTTP_MAX_BODY_MB are refused before they are read (config/http_limit.py).
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.http_limit import BoundedBody, BoundedConcurrency  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from config.warmup import warm_up_web_process  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BoundedBody(
            BoundedConcurrency(django_asgi_app, settings.HTTP_MAX_CONCURRENCY),
            settings.HTTP_MAX_BODY_MB * 1024 * 1024,
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
warm_up_web_process()
