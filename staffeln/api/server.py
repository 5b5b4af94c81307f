"""staffeln-api's production HTTP server: slow clients cost no thread.

An asyncio event loop accepts the connections (TLS with optional client
certificates included) and reads each request whole, with h11, under
deadlines: ``[api] client_timeout`` for the headers and again for the
body, ``max_request_body_size`` for the body. Only a complete request is
handed to one of the ``[api] workers`` threads that run the WSGI
application (a request whose body is too large is handed over without
it, to be answered 400, and its connection closed), and its answer must
come within ``[api] request_timeout``, otherwise the client gets 503 (the
delete hook then refuses, as it must).
So neither slow or idle clients nor a database that stopped answering can
make the server unreachable: the delete hook and ``/healthcheck`` keep
answering within those bounds.
"""

import asyncio
import concurrent.futures
import dataclasses
import io
import socket
import ssl
import sys
import urllib.parse

import h11
from oslo_config import cfg
from oslo_log import log as logging

from staffeln.api import body_limit
from staffeln.common import exception

LOG = logging.getLogger(__name__)

_REASONS = {400: b'Bad Request', 408: b'Request Timeout',
            413: b'Content Too Large', 431: b'Request Header Fields Too Large',
            500: b'Internal Server Error', 503: b'Service Unavailable'}


def check_tls(conf: cfg.ConfigOpts) -> None:
    """Raise ConfigurationError unless the TLS options of [api] agree."""
    api = conf.api
    if bool(api.ssl_cert_file) != bool(api.ssl_key_file):
        raise exception.ConfigurationError(
            '[api] ssl_cert_file and ssl_key_file must be set together')
    if api.ssl_ca_file and not api.ssl_cert_file:
        raise exception.ConfigurationError(
            '[api] ssl_ca_file needs ssl_cert_file and ssl_key_file')


def ssl_context(conf: cfg.ConfigOpts) -> ssl.SSLContext | None:
    """The server's TLS context, or None for plain HTTP.

    Files that cannot be read raise ``OSError`` or ``ssl.SSLError``.
    """
    api = conf.api
    if not api.ssl_cert_file:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(api.ssl_cert_file, api.ssl_key_file)
    if api.ssl_ca_file:
        context.load_verify_locations(cafile=api.ssl_ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclasses.dataclass
class Limits:
    """How long and how much a client may take."""

    #: Seconds for the headers of a request (and to wait for the next
    #: request on a kept-alive connection), and again for its body.
    client_timeout: float = 10.0
    #: Seconds the application has to answer.
    request_timeout: float = 10.0
    max_body: int = 65536
    max_header: int = 16384


class _Reject(Exception):
    """A request refused before it reaches the application."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status


class _TooLarge(Exception):
    """A request whose body is larger than the limit: left unread."""

    def __init__(self, request: h11.Request):
        super().__init__('The request body is too large.')
        self.request = request


def _content_length(request: h11.Request) -> int:
    for name, value in request.headers:
        if name == b'content-length':
            return int(value)   # h11 has checked it is a number
    return 0


class Server:
    """A WSGI application on ``host:port``; not bound until prepare()."""

    def __init__(self, app, host: str, port: int, threads: int,
                 backlog: int = 128, ssl_context: ssl.SSLContext | None = None,
                 limits: Limits | None = None):
        self.app = app
        self.bind_addr = (host, port)
        self.threads = threads
        self.backlog = backlog
        self.ssl_context = ssl_context
        self.limits = limits or Limits()
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        #: Requests read and not answered yet.
        self._busy = 0
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix='staffeln-api')

    @property
    def url(self) -> str:
        host, port = self.bind_addr[:2]
        if ':' in host:
            host = f'[{host}]'
        scheme = 'https' if self.ssl_context is not None else 'http'
        return f'{scheme}://{host}:{port}'

    def prepare(self) -> None:
        """Bind the listening socket (``OSError`` when the port is taken)."""
        host, port = self.bind_addr
        family = socket.AF_INET6 if ':' in host else socket.AF_INET
        self._socket = socket.create_server(
            (host, port), family=family, backlog=self.backlog,
            reuse_port=False)
        self.bind_addr = self._socket.getsockname()[:2]

    def serve(self) -> None:
        """Answer requests until :meth:`stop` is called."""
        if self._socket is None:
            self.prepare()
        asyncio.run(self._main())

    def stop(self) -> None:
        """Stop accepting, finish the requests in progress.

        Thread-safe, and harmless once the server has stopped.
        """
        loop, stopping = self._loop, self._stopping
        if loop is None or stopping is None:
            return
        try:
            loop.call_soon_threadsafe(stopping.set)
        except RuntimeError:
            pass    # the loop has ended: stopped already

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(
            self._connection, sock=self._socket, ssl=self.ssl_context,
            ssl_handshake_timeout=(self.limits.client_timeout
                                   if self.ssl_context else None),
            limit=self.limits.max_header)
        async with server:
            await self._stopping.wait()
            server.close()
            # Requests being answered get their answer; idle connections
            # are closed when the loop ends.
            deadline = self._loop.time() + self.limits.request_timeout
            while self._busy and self._loop.time() < deadline:
                await asyncio.sleep(0.05)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ a client

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER,
                              max_incomplete_event_size=self.limits.max_header)
        try:
            while not self._stopping.is_set():
                try:
                    request, body = await self._read_request(conn, reader)
                except _Reject as reject:
                    await self._reject(writer, reject)
                    break
                except _TooLarge as too_large:
                    await self._refuse_body(conn, reader, writer,
                                            too_large.request)
                    break
                if request is None:
                    break
                self._busy += 1
                try:
                    answer = await self._answer(
                        self._environ(request, body, writer))
                    await self._send(conn, writer, *answer)
                finally:
                    self._busy -= 1
                if conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
        except (ConnectionError, h11.LocalProtocolError, ssl.SSLError,
                asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            # The server stops: an idle connection is simply closed. The
            # task ends normally, so asyncio has nothing to report.
            pass
        finally:
            writer.close()

    async def _read_request(self, conn: h11.Connection,
                            reader: asyncio.StreamReader):
        """The next request and its body, or (None, b'') at the end."""
        loop = asyncio.get_running_loop()
        limits = self.limits
        deadline = loop.time() + limits.client_timeout
        event = await self._next_event(conn, reader, deadline, idle=True)
        if isinstance(event, h11.ConnectionClosed) or event is None:
            return None, b''
        if not isinstance(event, h11.Request):
            raise _Reject(400, 'Malformed request.')
        if _content_length(event) > limits.max_body:
            raise _TooLarge(event)
        deadline = loop.time() + limits.client_timeout
        chunks, size = [], 0
        while True:
            part = await self._next_event(conn, reader, deadline)
            if isinstance(part, h11.EndOfMessage):
                return event, b''.join(chunks)
            if not isinstance(part, h11.Data):
                raise _Reject(400, 'Incomplete request body.')
            size += len(part.data)
            if size > limits.max_body:
                raise _TooLarge(event)
            chunks.append(part.data)

    async def _next_event(self, conn, reader, deadline: float,
                          idle: bool = False):
        loop = asyncio.get_running_loop()
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                raise _Reject(status if status in _REASONS else 400,
                              'Malformed request.') from None
            if event is not h11.NEED_DATA:
                return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                if idle and not conn.trailing_data[0]:
                    return None  # a kept-alive connection went quiet
                raise _Reject(408, 'The request took too long to arrive.')
            try:
                data = await asyncio.wait_for(reader.read(65536), remaining)
            except TimeoutError:
                continue
            conn.receive_data(data)

    async def _answer(self, environ: dict):
        """Run the application on a worker thread, within the deadline."""
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._pool, self._call, environ),
                self.limits.request_timeout)
        except TimeoutError:
            LOG.error('%s %s: no answer within %gs (is the database '
                      'reachable?); answered 503', environ['REQUEST_METHOD'],
                      environ['PATH_INFO'], self.limits.request_timeout)
            return _plain(503, 'No answer in time; nothing can be decided.')

    def _call(self, environ: dict):
        """The WSGI call (on a worker thread): status, headers, body."""
        started = {}

        def start_response(status, headers, exc_info=None):
            started['status'], started['headers'] = status, headers
        try:
            result = self.app(environ, start_response)
            try:
                body = b''.join(result)
            finally:
                close = getattr(result, 'close', None)
                if close is not None:
                    close()
        except Exception:
            LOG.exception('Unexpected error answering %s %s',
                          environ['REQUEST_METHOD'], environ['PATH_INFO'])
            return _plain(500, 'Internal error; see the staffeln-api log.')
        code = int(started['status'].split(' ', 1)[0])
        return code, started['headers'], body

    def _environ(self, request: h11.Request, body: bytes, writer) -> dict:
        target = request.target.decode('latin-1')
        path, _, query = target.partition('?')
        peer = writer.get_extra_info('peername') or ('', 0)
        environ = {
            'REQUEST_METHOD': request.method.decode('ascii'),
            'SCRIPT_NAME': '',
            'PATH_INFO': urllib.parse.unquote(path, 'latin-1'),
            'QUERY_STRING': query,
            'SERVER_NAME': str(self.bind_addr[0]),
            'SERVER_PORT': str(self.bind_addr[1]),
            'SERVER_PROTOCOL': 'HTTP/' + request.http_version.decode(),
            'REMOTE_ADDR': str(peer[0]),
            'REMOTE_PORT': str(peer[1]),
            'wsgi.version': (1, 0),
            'wsgi.url_scheme': 'https' if self.ssl_context else 'http',
            'wsgi.input': io.BytesIO(body),
            'wsgi.errors': sys.stderr,
            'wsgi.multithread': True,
            'wsgi.multiprocess': False,
            'wsgi.run_once': False,
            'CONTENT_LENGTH': str(len(body)),
        }
        for name, value in request.headers:
            key = name.decode('latin-1').upper().replace('-', '_')
            value = value.decode('latin-1')
            if key == 'CONTENT_TYPE':
                environ['CONTENT_TYPE'] = value
            elif key != 'CONTENT_LENGTH':
                key = 'HTTP_' + key
                environ[key] = (f'{environ[key]},{value}' if key in environ
                                else value)
        return environ

    async def _send(self, conn, writer, status: int, headers, body: bytes,
                    close: bool = False):
        headers = [(k, v) for k, v in headers
                   if k.lower() not in ('content-length', 'connection',
                                        'transfer-encoding')]
        headers.append(('Content-Length', str(len(body))))
        headers.append(('Server', 'staffeln-api'))
        if close or self._stopping.is_set():
            headers.append(('Connection', 'close'))
        data = conn.send(h11.Response(status_code=status, headers=headers))
        data += conn.send(h11.Data(data=body)) if body else b''
        data += conn.send(h11.EndOfMessage())
        writer.write(data)
        await asyncio.wait_for(writer.drain(), self.limits.client_timeout)

    async def _refuse_body(self, conn, reader, writer,
                           request: h11.Request) -> None:
        """Answer a request whose body is too large, unread, and close.

        The application answers (400, in its error shape), told so by the
        environment. What the client still sends is then read and dropped
        for up to ``client_timeout``: closing with unread data would reset
        the connection, and the client could lose the answer.
        """
        environ = self._environ(request, b'', writer)
        environ[body_limit.TOO_LARGE] = True
        self._busy += 1
        try:
            answer = await self._answer(environ)
            await self._send(conn, writer, *answer, close=True)
        finally:
            self._busy -= 1
        if writer.can_write_eof():
            writer.write_eof()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.client_timeout
        while (remaining := deadline - loop.time()) > 0:
            try:
                if not await asyncio.wait_for(reader.read(65536), remaining):
                    break
            except TimeoutError:
                break

    async def _reject(self, writer, reject: _Reject) -> None:
        """Answer a request that cannot be read, and close."""
        status, _, body = _plain(reject.status, str(reject))
        head = (f'HTTP/1.1 {status} {_REASONS[status].decode()}\r\n'
                f'Content-Type: text/plain; charset=utf-8\r\n'
                f'Server: staffeln-api\r\n'
                f'Content-Length: {len(body)}\r\nConnection: close\r\n\r\n')
        writer.write(head.encode() + body)
        await asyncio.wait_for(writer.drain(), self.limits.client_timeout)


def _plain(status: int, text: str):
    return status, [('Content-Type', 'text/plain; charset=utf-8')], (
        text + '\n').encode()


def build_server(conf: cfg.ConfigOpts, app) -> Server:
    """A server for ``app`` on ``[api] host:port``; not bound yet.

    ``server.prepare()`` binds (``OSError`` when the port is taken), then
    ``server.serve()`` answers until ``server.stop()``. Certificate or key
    files that cannot be read raise ``OSError`` or ``ssl.SSLError`` here.
    """
    api = conf.api
    limits = Limits(client_timeout=api.client_timeout.total_seconds(),
                    request_timeout=api.request_timeout.total_seconds(),
                    max_body=api.max_request_body_size)
    return Server(app, api.host, api.port, threads=api.workers,
                  backlog=api.backlog, ssl_context=ssl_context(conf),
                  limits=limits)
