"""Running a simulator app, and the request-log / fault middlewares.

A provider simulator builds its ``web.Application`` with the middlewares of a
:class:`Harness` (outermost first: ``log_middleware``, then any provider
middleware, then ``fault_middleware``) and serves it with :func:`start`.
Requests under the control prefix (``/_sim``) bypass logging and faults.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from http import HTTPStatus
import json

from aiohttp import web
from aiohttp.typedefs import Middleware

from .clock import Clock
from .faults import Fault, FaultRegistry, MalformedMode
from .noise import garbage_bytes
from .request_log import RequestLog, RequestRecorder

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
type FailureBody = Callable[[web.Request, int], web.Response]
type EndpointOf = Callable[[web.Request], str]

CONTROL_PREFIX = "/_sim"
ENDPOINT_KEY = "sim.endpoint"
IDENTITY_KEY = "sim.identity"
FAULT_KEY = "sim.fault"
_MASKED_FIELDS = frozenset({"password", "client_secret", "secret"})

HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n"
    "</body>\r\n</html>\r\n"
)


async def start(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    shutdown_timeout: float = 0.5,
    access_log: bool = True,
) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on ``host``/``port``; return the runner and the base URL.

    ``port=0`` picks a free port; the base URL carries the real one. Stop the
    server with ``await runner.cleanup()``.
    """
    # Tests run under frozen clocks, which aiohttp's access log cannot time.
    runner = (
        web.AppRunner(app, shutdown_timeout=shutdown_timeout)
        if access_log
        else web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    real_port = int(runner.addresses[0][1])
    url_host = f"[{host}]" if ":" in host else host
    return runner, f"http://{url_host}:{real_port}"


@asynccontextmanager
async def serving(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    access_log: bool = True,
) -> AsyncIterator[str]:
    """Serve ``app`` for the duration of the block; yield its base URL."""
    runner, url = await start(app, host, port, access_log=access_log)
    try:
        yield url
    finally:
        await runner.cleanup()


def bind_middleware(
    method: Callable[[web.Request, Handler], Awaitable[web.StreamResponse]],
) -> Middleware:
    """Wrap a bound method as a new-style aiohttp middleware.

    ``web.middleware`` marks a function with an attribute, which bound methods
    cannot carry, hence the wrapper.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await method(request, handler)

    return middleware


def default_endpoint_of(request: web.Request) -> str:
    """Endpoint name of a request: the last non-empty path segment."""
    parts = [part for part in request.path.split("/") if part]
    return parts[-1] if parts else ""


def generic_failure(request: web.Request, status: int) -> web.Response:
    """Fallback body for an injected failure: a small JSON error."""
    body = {"status": status, "error": _reason(status), "path": request.path}
    return web.json_response(body, status=status)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def is_control(request: web.Request) -> bool:
    """Tell whether ``request`` targets the simulator's control endpoints."""
    return request.path == CONTROL_PREFIX or request.path.startswith(
        CONTROL_PREFIX + "/"
    )


class Harness:
    """Clock, request log and fault registry of one simulator, plus middlewares."""

    def __init__(
        self,
        clock: Clock,
        *,
        failure_body: FailureBody = generic_failure,
        endpoint_of: EndpointOf = default_endpoint_of,
    ) -> None:
        """Bind the harness to a clock; other parts start empty."""
        self.clock = clock
        self.recorder = RequestRecorder()
        self.faults = FaultRegistry()
        self._failure_body = failure_body
        self._endpoint_of = endpoint_of
        self.log_middleware = bind_middleware(self._log)
        self.fault_middleware = bind_middleware(self._fault)

    def attach(self, app: web.Application) -> None:
        """Wake hanging requests when ``app`` shuts down (fast test teardown)."""

        async def _release(_app: web.Application) -> None:
            self.faults.release()

        app.on_shutdown.append(_release)

    def endpoint(self, request: web.Request) -> str:
        """Endpoint name of ``request`` (cached on the request)."""
        name = request.get(ENDPOINT_KEY)
        if isinstance(name, str):
            return name
        name = self._endpoint_of(request)
        request[ENDPOINT_KEY] = name
        return name

    async def _log(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_control(request):
            return await handler(request)
        arrived: datetime = self.clock.now()
        endpoint = self.endpoint(request)
        form: dict[str, str] = {}
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            posted = await request.post()
            form = {
                key: ("***" if key in _MASKED_FIELDS else str(value))
                for key, value in posted.items()
            }
        status = 499
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499
            raise
        except Exception:
            status = 500
            raise
        else:
            status = response.status
            return response
        finally:
            identity = request.get(IDENTITY_KEY)
            fault = request.get(FAULT_KEY)
            self.recorder.add(
                RequestLog(
                    method=request.method,
                    path=request.path,
                    query={key: request.query[key] for key in request.query},
                    status=status,
                    time=arrived,
                    endpoint=endpoint,
                    identity=identity if isinstance(identity, str) else None,
                    fault=fault if isinstance(fault, str) else None,
                    form=form,
                )
            )

    async def _fault(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        if is_control(request):
            return await handler(request)
        endpoint = self.endpoint(request)
        await self.faults.sleep(self.faults.latency_for(endpoint))
        fault = self.faults.take(endpoint)
        if fault is None:
            return await handler(request)
        request[FAULT_KEY] = _describe(fault)
        if fault.kind == "hang":
            await self.faults.sleep(fault.seconds)
            return await handler(request)
        if fault.kind == "fail":
            if fault.body is None:
                return self._failure_body(request, fault.status)
            return web.Response(
                status=fault.status,
                body=fault.body,
                headers={"Content-Type": fault.content_type or "text/plain"},
            )
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        return corrupt(response, fault.mode, request.path)


def _describe(fault: Fault) -> str:
    if fault.kind == "fail":
        return f"fail:{fault.status}"
    if fault.kind == "hang":
        return f"hang:{fault.seconds:g}s"
    return f"malformed:{fault.mode}"


def corrupt(
    response: web.StreamResponse, mode: MalformedMode, salt: str = ""
) -> web.Response:
    """Return a copy of ``response`` whose body is broken as ``mode`` says."""
    body = b""
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        body = response.body
    content_type = response.headers.get("Content-Type", "application/json")
    if mode is MalformedMode.TRUNCATED:
        cut = body[: len(body) // 2] if len(body) > 2 else b'{"'
        return web.Response(
            status=response.status, body=cut, headers={"Content-Type": content_type}
        )
    if mode is MalformedMode.HTML:
        return web.Response(
            status=response.status,
            body=HTML_ERROR_PAGE.encode("ascii"),
            headers={"Content-Type": "text/html"},
        )
    return web.Response(
        status=response.status,
        body=garbage_bytes(max(24, len(body) // 4), salt),
        headers={"Content-Type": content_type},
    )


def json_bytes(payload: object) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is (like the real services)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )
