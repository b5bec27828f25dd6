"""One HTTP layer for every connector that reads a live API.

A source configured with `url = ...` instead of `path` gets an `HttpClient` from its I/O
object (`Inputs.http(spec)`), sets its credentials, and asks it for JSON: the body it gets
is handed to the same `parse()` a saved export goes through. What every API source gets
from here, so that no connector does it its own way:

- Timeouts: connect within 10 s, an answer within `timeout` seconds (60 by default).
- Retries (`retries`, 3 by default) on 429, 502, 503 and 504, on timeouts and on dropped
  or reset connections: 1, 2, 4... seconds apart, or as long as the server's `Retry-After`
  asks, never more than a minute at a time. 401, 403, 404 and bodies are not retried.
- TLS verified by default; `verify = "ca.pem"` trusts that CA bundle (resolved beside the
  config); `verify = false` turns checking off and says so on stderr, once per source.
- Credentials come only from the environment variables that `*_env` keys name, read when
  the source is fetched: an unset one fails that source, naming the variable, never its
  value. They are sent only to the configured host: redirects are not followed (the error
  says where the server pointed), links an API returns (`next`) are re-based onto the
  configured URL, and `~/.netrc` is never consulted. Every error text is scrubbed of the
  credentials and of tokens a logon returned before it leaves this module.
- Every failure is a `SourceError` (`HttpError`) naming the source, the method and the
  URL: 401, 403 and 404 with what they usually mean, other statuses with the API's own
  message, and a body that is not JSON (an HTML login page, a proxy's error page, a
  truncated answer).
- `pages()`: the paging loop; the connector says how to reach the next page.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth
from urllib3.exceptions import InsecureRequestWarning

from auditor.errors import SourceError
from connectors.spec import SourceSpec

#: Statuses that mean "not now": retried, waiting as `Retry-After` says.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Seconds to wait for the TCP (and TLS) connection.
CONNECT_TIMEOUT = 10.0
#: Seconds to wait for an answer, unless the source sets `timeout`.
DEFAULT_TIMEOUT = 60.0
#: Retries after the first attempt, unless the source sets `retries`.
DEFAULT_RETRIES = 3
#: First wait between attempts when the server gives no `Retry-After`; doubles each time.
BACKOFF = 1.0
#: The longest wait between two attempts, whatever `Retry-After` asks: a nightly audit
#: must end, and an API that is down for an hour fails its source with a clear error.
MAX_WAIT = 60.0
#: More pages than this is a paging loop, not an inventory.
MAX_PAGES = 100_000
#: Keys an API's error body keeps its message under (SWIS `Message`, NetBox `detail`...).
ERROR_KEYS = ("Message", "message", "detail", "error", "Error", "errorMessage",
              "description", "title")
#: Query parameters whose values are never shown (tokens in URLs: PRTG, some proxies).
_SECRET_PARAM = re.compile(r"(^|[?&])([^=&]*(?:token|key|pass|pwd|secret|auth|sig)[^=&]*)=[^&]*",
                           re.IGNORECASE)
_LOOPBACK = ("127.", "::1", "localhost")
#: Error messages quote at most this much of what a server said.
_QUOTE = 300


class HttpError(SourceError):
    """An API call that failed: the message names the source, the method and the URL."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "",
                 bad_body: bool = False) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status, when the server answered with an error status."""
        self.reason = reason
        """The message without the source and URL (`HTTP 404 Not Found: ...`)."""
        self.bad_body = bad_body
        """The server answered, but not with the JSON the API documents."""


@dataclass(frozen=True, slots=True)
class Call:
    """One request: what `HttpClient.json` sends and `pages` steps through."""

    method: str
    url: str
    """The full URL, query string included."""
    body: Any = None
    """A JSON body (POST), or None."""
    form: Mapping[str, str] | None = None
    """A form body (POST, `application/x-www-form-urlencoded`: Splunk's search endpoints)
    instead of JSON."""
    cursor: int = 0
    """Where this page starts, for a paging rule that counts (SWQL row windows)."""


class HeaderAuth(AuthBase):
    """One header carrying a credential (`Authorization: Token ...`, `Dcnm-Token: ...`).

    An auth object rather than a plain header, so requests never replaces it with
    credentials from `~/.netrc`.
    """

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.name] = self.value
        return request


class NoAuth(AuthBase):
    """No credentials (a logon call that sends them in its body); keeps `~/.netrc` out."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def shown_url(url: str) -> str:
    """`url` as errors and reports may show it: no user or password, no token values."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    query = _SECRET_PARAM.sub(r"\1\2=***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def base_url(url: str, api_roots: tuple[str, ...] = ()) -> str:
    """The server's base URL: `url` without a trailing slash, cut before any of
    `api_roots` (so `https://orion:17774/SolarWinds/InformationService/v3/Json/` works
    as well as `https://orion:17774`)."""
    parts = urlsplit(url)
    path = parts.path
    for root in api_roots:
        at = path.find(root)
        if at >= 0:
            path = path[:at]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


class HttpClient:
    """Calls one source's API: its URL, TLS setting, timeouts, retries and credentials.

    Built from the source's spec (by `Inputs.http`); does no I/O until a call. Use it as a
    context manager: on the way out it closes its connections, and any `SourceError`
    raised inside (the connector's `parse` too) leaves scrubbed of credentials and naming
    the source.
    """

    def __init__(self, spec: SourceSpec, *, api_roots: tuple[str, ...] = (),
                 not_found_hint: str = "", env: Mapping[str, str] | None = None,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        if spec.url is None:
            raise ValueError(f"source {spec.name!r} has no url")
        self.spec = spec
        self.label = f"source {spec.name!r}"
        self.base = base_url(spec.url, api_roots)
        self.not_found_hint = not_found_hint
        options = spec.options
        verify = options.get("verify", True)
        self.verify: bool | str = str(verify) if isinstance(verify, Path | str) else \
            bool(verify)
        self.read_timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        self.connect_timeout = min(CONNECT_TIMEOUT, self.read_timeout)
        self.retries = int(options.get("retries", DEFAULT_RETRIES))
        self.auth: AuthBase = NoAuth()
        """Credentials sent with every call that does not pass its own."""
        self._env = os.environ if env is None else env
        self._session = session
        self._own_session = session is None
        self._opened = False
        self._sleep = sleep or time.sleep
        self._warn = warn or _warn_on_stderr
        self._warned_plain = False
        self._secrets: set[str] = set()
        self._variables: list[str] = []

    # -- set-up --------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """The `requests.Session` all calls go through (built, and TLS warned about, once)."""
        if self._session is None:
            self._session = requests.Session()
        if not self._opened:
            self._opened = True
            self._session.verify = self.verify
            self._session.headers["Accept"] = "application/json"
            self._session.headers["User-Agent"] = "stale-audit"
            if self.verify is False:
                self._warn(f"{self.label}: verify = false: the TLS certificate of "
                           f"{urlsplit(self.base).netloc} is not checked, so whoever sits "
                           "in between can read the credentials and answer in its place")
        return self._session

    def url(self, path: str) -> str:
        """The configured base URL joined with an API path (`/api/ipam/prefixes/`)."""
        return self.base + path

    def rebase(self, link: str) -> str:
        """A URL the API handed back (a `next` link) moved onto the configured scheme, host
        and port: credentials go nowhere else, and a NetBox behind a proxy that writes its
        own `http://internal:8000` links still pages."""
        target = urlsplit(urljoin(self.base + "/", link))
        base = urlsplit(self.base)
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))

    def shown(self, url: str) -> str:
        """`url` without credentials, as errors and record locations show it."""
        return self.scrub(shown_url(url))

    def secret(self, key: str) -> str:
        """The value of the environment variable that option `key` (`password_env`) names.

        Raises:
            HttpError: the key is not configured, or the variable is unset or empty: names
                the source, the key and the variable, never a value.
        """
        name = self.spec.options.get(key)
        if not isinstance(name, str) or not name:
            raise HttpError(f"{self.label}: {key} is not set: it names the environment "
                            "variable holding the credential")
        value = self._env.get(name)
        if not value:
            raise HttpError(f"{self.label}: environment variable {name} (named by {key}) is "
                            "not set or empty; export it for the audit")
        value = value.rstrip("\r\n")   # a token file read into a variable, newline and all
        self.add_secret(value)
        if name not in self._variables:
            self._variables.append(name)
        return value

    def add_secret(self, value: str) -> None:
        """Never let `value` (a token a logon returned) into an error text."""
        if value:
            self._secrets.add(value)

    def basic_auth(self, user_key: str = "username_env",
                   password_key: str = "password_env") -> AuthBase:
        """HTTP Basic credentials from two `*_env` options (UTF-8, so `DOMAIN\\user` and
        non-ASCII passwords work)."""
        user, password = self.secret(user_key), self.secret(password_key)
        pair = f"{user}:{password}".encode()
        self.add_secret(base64.b64encode(pair).decode("ascii"))
        return HTTPBasicAuth(user.encode(), password.encode())

    def header_auth(self, name: str, value: str) -> AuthBase:
        """A credential header (`Authorization: Bearer <token>`); the value is a secret."""
        self.add_secret(value)
        return HeaderAuth(name, value)

    def scrub(self, text: str) -> str:
        """`text` with every credential and token this client has seen replaced by ***."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
        if isinstance(exc, SourceError):
            text = self.scrub(str(exc))
            if not text.startswith(self.label):
                text = f"{self.label}: {text}"
            if text != str(exc):
                raise HttpError(text, status=getattr(exc, "status", None),
                                reason=self.scrub(getattr(exc, "reason", "")),
                                bad_body=getattr(exc, "bad_body", False)) from None

    def close(self) -> None:
        if self._session is not None and self._own_session:
            self._session.close()

    # -- calls ---------------------------------------------------------------------------

    def get_json(self, url: str, *, auth: AuthBase | None = None) -> Any:
        """GET `url` and return its JSON body."""
        return self.json(Call("GET", url), auth=auth)

    def post_json(self, url: str, body: Any, *, auth: AuthBase | None = None) -> Any:
        """POST `body` as JSON to `url` and return the JSON answer."""
        return self.json(Call("POST", url, body), auth=auth)

    def json(self, call: Call, *, auth: AuthBase | None = None,
             retries: int | None = None) -> Any:
        """Send `call` (retrying as this module says) and return its JSON body.

        Raises:
            HttpError: the call failed for good, or the answer is not JSON.
        """
        return self.decode(call, self.send(call, auth=auth, retries=retries))

    def pages(self, first: Call, follow: Callable[[Any, Call], Call | None]
              ) -> Iterator[tuple[Call, Any]]:
        """Every page, from `first` until `follow(body, call)` says there is no next one.

        Each page is yielded before `follow` looks at it, so the caller checks its shape
        first. A next page that was already read is a paging loop: an error, not a hang.
        """
        seen: set[tuple[str, str, str]] = set()
        call: Call | None = first
        while call is not None:
            key = (call.method, call.url, json.dumps(call.body, sort_keys=True, default=str))
            if key in seen:
                raise self._error(call, "the API's paging leads back to a page already read "
                                  f"(after {len(seen)} pages); it would never end",
                                  bad_body=True)
            if len(seen) >= MAX_PAGES:
                raise self._error(call, f"more than {MAX_PAGES} pages: the API's paging does "
                                  "not end", bad_body=True)
            seen.add(key)
            body = self.json(call)
            yield call, body
            call = follow(body, call)

    def send(self, call: Call, *, auth: AuthBase | None = None,
             retries: int | None = None, stream: bool = False) -> requests.Response:
        """Send `call`; retry what is worth retrying; return a 2xx response (with `stream`,
        its body not read yet: the caller reads it, line by line, and closes it).

        Raises:
            HttpError: naming the source, method and URL (an error status, a redirect, a
                timeout or connection failure that outlived the retries, TLS refused).
        """
        session = self.session
        attempts = 1 + (self.retries if retries is None else retries)
        self._warn_plain_http(call.url)
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                with warnings.catch_warnings():
                    # said once per source above, not once per request
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                    response = session.request(
                        call.method, call.url, json=call.body, data=call.form,
                        auth=auth or self.auth, stream=stream,
                        timeout=(self.connect_timeout, self.read_timeout),
                        # explicit: a session's verify loses to REQUESTS_CA_BUNDLE otherwise
                        verify=self.verify, allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                raise self._error(call, f"TLS failed ({_tls_reason(exc)}); if the server's "
                                  "certificate comes from your own CA, set verify = "
                                  '"ca.pem" (that CA\'s PEM file), or verify = false to '
                                  "skip the check") from exc
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                    requests.exceptions.ChunkedEncodingError) as exc:
                if last:
                    raise self._error(call, f"{self._network_problem(exc)} "
                                      f"({_attempts(attempt)})") from exc
                self._pause(attempt, None)
                continue
            except (requests.RequestException, UnicodeError) as exc:
                # its text may quote a header, credential and all: only its kind is shown
                hint = "; does a credential hold a character HTTP headers cannot carry?" \
                    if isinstance(exc, requests.exceptions.InvalidHeader | UnicodeError) \
                    else ""
                raise self._error(call, f"the request failed ({type(exc).__name__})"
                                  f"{hint}") from None
            status = response.status_code
            if status in RETRY_STATUSES and not last:
                self._pause(attempt, response.headers.get("Retry-After"))
                response.close()
                continue
            if not 200 <= status < 300:
                raise self._status_error(call, response, attempt)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def decode(self, call: Call, response: requests.Response) -> Any:
        """The JSON of `response`, or an error that says what came instead."""
        data = response.content
        kind = response.headers.get("Content-Type", "").split(";")[0].strip() or \
            "no Content-Type"
        if not data.strip():
            raise self._error(call, f"the answer is empty ({kind}), not the JSON the API "
                              "documents", bad_body=True)
        try:
            return json.loads(data)
        except UnicodeDecodeError:
            raise self._error(call, f"the answer is not JSON text ({kind}, {len(data)} "
                              "bytes)", bad_body=True) from None
        except json.JSONDecodeError as exc:
            start = " ".join(data[:80].decode("utf-8", "replace").split())
            if data.lstrip()[:1] == b"<":
                raise self._error(call, f"the answer is HTML or XML ({kind}), not JSON: a "
                                  "login page, a proxy's error page or the wrong port? It "
                                  f"starts: {start!r}", bad_body=True) from None
            raise self._error(call, f"the answer is not valid JSON ({exc.msg}: line "
                              f"{exc.lineno} column {exc.colno} of {len(data)} bytes; cut "
                              f"short?); it starts: {start[:40]!r}", bad_body=True) from None

    # -- errors --------------------------------------------------------------------------

    def _error(self, call: Call, reason: str, *, status: int | None = None,
               bad_body: bool = False) -> HttpError:
        reason = self.scrub(reason)
        return HttpError(self.scrub(f"{self.label}, {call.method} {shown_url(call.url)}: "
                                    f"{reason}"), status=status, reason=reason,
                         bad_body=bad_body)

    def _status_error(self, call: Call, response: requests.Response,
                      attempts: int) -> HttpError:
        status = response.status_code
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = response.reason or ""
        text = f"HTTP {status} {phrase}".rstrip()
        if status == 401:
            held = " / ".join(self._variables) or "the configured *_env variables"
            text += f": the server refused the credentials from {held}"
        elif status == 403:
            text += ": the account is not allowed to read this (or the token is invalid)"
        elif status == 404:
            text += ": no such API path on this server; is url the server's base URL"
            text += f" ({self.not_found_hint})?" if self.not_found_hint else "?"
        elif 300 <= status < 400:
            where = response.headers.get("Location")
            to = shown_url(urljoin(call.url, where)) if where else "nowhere it names"
            text += (f": the server redirects to {to}; set url to where the API answers "
                     "(redirects are not followed, so credentials go to no other address)")
        elif status in RETRY_STATUSES:
            text += f" ({_attempts(attempts)})"
        said = _said(response)
        if said:
            text += f"; it says: {said}"
        return self._error(call, text, status=status)

    def _network_problem(self, exc: Exception) -> str:
        text = str(exc)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"no connection within {self.connect_timeout:g} s"
        if isinstance(exc, requests.exceptions.ReadTimeout) or "timed out" in text.lower():
            return f"no answer within {self.read_timeout:g} s (timeout)"
        for needle, words in (("refused", "connection refused (is the port right?)"),
                              ("reset", "connection reset by the server"),
                              ("without response", "the server closed the connection "
                                                   "without answering"),
                              ("Name or service not known", "host name not found"),
                              ("nodename nor servname", "host name not found"),
                              ("IncompleteRead", "the answer was cut off"),
                              ("unreachable", "network unreachable")):
            if needle in text:
                return words
        return f"connection failed ({type(exc).__name__})"

    # -- waiting -------------------------------------------------------------------------

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        wait = _retry_after(retry_after)
        if wait is None:
            wait = BACKOFF * 2 ** (attempt - 1)
        self._sleep(min(max(wait, 0.0), MAX_WAIT))

    def _warn_plain_http(self, url: str) -> None:
        if self._warned_plain or not self._secrets:
            return
        parts = urlsplit(url)
        if parts.scheme == "http" and not (parts.hostname or "").startswith(_LOOPBACK):
            self._warned_plain = True
            self._warn(f"{self.label}: url is plain http: the credentials cross the network "
                       "unencrypted; use https")


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds: a number, or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def _said(response: requests.Response) -> str:
    """The API's own error message, one line, if its body carries one."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        kind = response.headers.get("Content-Type", "")
        if kind.startswith("text/plain"):
            return _one_line(response.content.decode("utf-8", "replace"))
        return ""
    for _ in range(2):   # {"error": {"message": ...}} (Elasticsearch, Zabbix) one level down
        if not isinstance(body, dict):
            return ""
        for key in ERROR_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return _one_line(value)
        body = next((body[k] for k in ERROR_KEYS if isinstance(body.get(k), dict)), None)
    return ""


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE else text[:_QUOTE - 3] + "..."


def _tls_reason(exc: Exception) -> str:
    text = str(exc)
    match = re.search(r"certificate verify failed: ([^(')\]]+)", text)
    if match:
        return f"certificate verify failed: {match.group(1).strip()}"
    if "hostname" in text.lower() and "match" in text.lower():
        return "the certificate is for another host name"
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "the server does not speak TLS on this port: http:// rather than https://?"
    return "handshake failed"


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _warn_on_stderr(message: str) -> None:
    print(f"stale-audit: warning: {message}", file=sys.stderr)


__all__ = ["BACKOFF", "DEFAULT_RETRIES", "DEFAULT_TIMEOUT", "MAX_WAIT", "RETRY_STATUSES",
           "Call", "HeaderAuth", "HttpClient", "HttpError", "NoAuth", "base_url",
           "shown_url"]
