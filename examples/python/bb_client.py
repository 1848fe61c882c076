#!/usr/bin/env python3
"""A Blue Button 2.0 client in plain Python 3.11 (standard library only) that passes every
`bbh conform` check: the same behaviour as examples/reference_client.rs without its flaws.

    bbh conform --scenario oauth-success --client "python3 examples/python/bb_client.py"

It follows only the client contract (bbh's README, "The client under test"):
BB_BASE_URL, BB_API_VERSION, BB_CLIENT_ID, BB_CLIENT_SECRET (empty for public apps),
BB_REDIRECT_URI, BB_OUTPUT and BROWSER. It writes
{"patient_id", "coverage_ids", "eob_ids", "patient_read", "userinfo_read", "notes"} to
BB_OUTPUT (stdout when unset) and exits 0; on failure it prints one line to stderr and
exits 1.

What it does:
1. Binds its callback server on 127.0.0.1:0 first and sends
   http://127.0.0.1:PORT/callback (the path of BB_REDIRECT_URI) as redirect_uri.
2. Per flow: a fresh PKCE verifier (64 unreserved characters, `secrets`), S256 challenge,
   and a fresh 32-character URL-safe state.
3. Runs BROWSER with `sh -c`, `%s` replaced by the shell-quoted authorize URL (or the URL
   appended), without waiting for it; waits at most 60 s for the callback.
4. error=access_denied -> empty output, exit 0. Wrong state -> 400, exit 1. Only the first
   valid callback is redeemed; later ones answer 400.
5. Token calls: form body only; confidential apps use HTTP Basic only, public apps send
   client_id in the body and no secret.
6. Reads userinfo, Coverage (every page), ExplanationOfBenefit (every page) and
   Patient/{patient from the token response}, with Bearer, Accept: application/fhir+json and
   Accept-Encoding: gzip, gunzipping only when Content-Encoding: gzip; follows
   link[relation=next] verbatim. 403 on Patient or userinfo is noted, never retried.
7. 401 -> one refresh with the newest refresh token (the rotated one is always stored), then
   the request again; invalid_grant on refresh -> one new authorization; a second -> exit 1.
8. 429/503 with Retry-After: N -> waits N s; other 5xx or no Retry-After -> 200 ms; at most
   3 retries per request, then that resource is given up (what was read stays).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.server
import json
import os
import queue
import secrets
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

CALLBACK_TIMEOUT = 60.0
AFTER_BROWSER_FAILED = 5.0
REQUEST_TIMEOUT = 30.0
MAX_RETRIES = 3
BACKOFF = 0.2
MAX_RETRY_AFTER = 120
FHIR_JSON = "application/fhir+json"
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class ClientError(Exception):
    """Something the client cannot go on from (exit 1)."""


def note(notes: list[str], text: str) -> None:
    """Records a note for the output (without the origin, so outputs compare across runs)."""
    base = (os.environ.get("BB_BASE_URL") or "").rstrip("/")
    if base:
        text = text.replace(base, "")
    print(f"note: {text}", file=sys.stderr)
    notes.append(text)


def random_string(length: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not something to follow."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


OPENER = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))


class Reply:
    """One HTTP response, body decoded per Content-Encoding."""

    def __init__(self, status: int, headers, body: bytes, url: str):
        self.status = status
        self.headers = headers
        encoding = (headers.get("Content-Encoding") or "").strip().lower()
        if encoding == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as error:
                raise ClientError(f"cannot gunzip the body of {url}: {error}") from error
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def http_request(url: str, *, method: str = "GET", headers=None, data: bytes | None = None) -> Reply:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=REQUEST_TIMEOUT) as response:
            return Reply(response.status, response.headers, response.read(), url)
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read(), url)
    except (urllib.error.URLError, OSError) as error:
        raise ClientError(f"HTTP error on {url}: {error}") from error


def retry_after(headers) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = min(int(value.strip()), MAX_RETRY_AFTER)
    except ValueError:
        seconds = 1
    return seconds + 0.02


class Callbacks:
    """The loopback callback server and the flow it waits for."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self.flow: dict | None = None
        self.in_flight = 0
        self.events: queue.Queue = queue.Queue()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                if parts.path != outer.path:
                    self.answer(404, "Not found.")
                    return
                params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
                with outer.lock:
                    outer.in_flight += 1
                try:
                    status, text = outer.decide(params)
                    self.answer(status, text)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def answer(self, status: int, text: str) -> None:
                body = f"<!doctype html><title>bb_client</title><p>{text}</p>\n".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def drain(self) -> None:
        """Waits (2 s at most) until every callback being handled has been answered."""
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            with self.lock:
                if self.in_flight == 0:
                    return
            time.sleep(0.01)

    def start_flow(self, flow_id: int, state: str) -> None:
        with self.lock:
            self.flow = {"id": flow_id, "state": state, "done": False}

    def decide(self, params: dict) -> tuple[int, str]:
        """The answer to one callback; tells the main thread what came back."""
        with self.lock:
            flow = self.flow
            if flow is None:
                return 400, "No authorization is in progress."
            if flow["done"]:
                return 400, "This authorization was already completed."
            flow_id = flow["id"]
            if params.get("state") != flow["state"]:
                flow["done"] = True
                self.events.put((flow_id, "refused",
                                 "the callback's state does not match the state sent; "
                                 "not redeeming its code"))
                return 400, "State mismatch."
            error = params.get("error")
            if error:
                flow["done"] = True
                if error == "access_denied":
                    self.events.put((flow_id, "denied", None))
                    return 200, "Access was denied. You can close this window."
                message = f"the authorization failed: {error} {params.get('error_description', '')}"
                self.events.put((flow_id, "refused", message.strip()))
                return 200, "The authorization failed."
            code = params.get("code")
            if not code:
                return 400, "The callback carries no code."
            flow["done"] = True
            self.events.put((flow_id, "code", code))
            return 200, "Authorized. You can close this window."


class Client:
    def __init__(self):
        env = lambda name: os.environ.get(name) or None  # noqa: E731
        base = env("BB_BASE_URL")
        if not base:
            raise ClientError("BB_BASE_URL is not set")
        self.client_id = env("BB_CLIENT_ID")
        if not self.client_id:
            raise ClientError("BB_CLIENT_ID is not set")
        self.base = base.rstrip("/")
        self.version = env("BB_API_VERSION") or "v2"
        self.secret = env("BB_CLIENT_SECRET") or ""
        self.output = env("BB_OUTPUT")
        self.browser = env("BROWSER")
        # Bind first, so a browser that is quick to come back finds the listener.
        redirect = urllib.parse.urlsplit(env("BB_REDIRECT_URI") or "http://127.0.0.1/callback")
        self.callbacks = Callbacks(redirect.path or "/")
        host = redirect.hostname or "127.0.0.1"
        self.redirect_uri = urllib.parse.urlunsplit(
            (redirect.scheme or "http", f"{host}:{self.callbacks.port}", redirect.path, redirect.query, ""))
        self.flows = 0
        self.access_token = ""
        self.refresh_token: str | None = None
        self.patient: str | None = None
        self.reauthorized = False
        self.notes: list[str] = []

    def url(self, path: str) -> str:
        return f"{self.base}/{self.version}/{path}"

    # --- OAuth -------------------------------------------------------------------------

    def token_request(self, form: list[tuple[str, str]]) -> tuple[int, dict | None]:
        headers = {"Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded"}
        if self.secret:
            pair = f"{urllib.parse.quote(self.client_id, safe='')}:{urllib.parse.quote(self.secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        else:
            form = form + [("client_id", self.client_id)]
        data = urllib.parse.urlencode(form).encode("ascii")
        reply = http_request(self.url("o/token/"), method="POST", headers=headers, data=data)
        return reply.status, reply.json()

    def store_tokens(self, tokens: dict) -> None:
        access = tokens.get("access_token")
        if not isinstance(access, str):
            raise ClientError("the token response has no access_token")
        self.access_token = access
        if isinstance(tokens.get("refresh_token"), str):
            self.refresh_token = tokens["refresh_token"]

    def open_browser(self, url: str, flow_id: int) -> None:
        if not self.browser:
            print(f"BROWSER is not set; open this URL to authorize: {url}", file=sys.stderr)
            return
        quoted = shlex.quote(url)
        command = self.browser.replace("%s", quoted) if "%s" in self.browser else f"{self.browser} {quoted}"
        # The browser's stdout goes to our stderr: stdout may carry the output JSON.
        child = subprocess.Popen(["sh", "-c", command], stdin=subprocess.DEVNULL, stdout=sys.stderr)

        def reap():
            status = child.wait()
            self.callbacks.events.put((flow_id, "browser", status))

        threading.Thread(target=reap, daemon=True).start()

    def wait_for_callback(self, flow_id: int) -> tuple[str, str | None]:
        deadline = time.monotonic() + CALLBACK_TIMEOUT
        browser_failed = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if browser_failed is not None:
                    raise ClientError(f"the browser command failed (status {browser_failed}) "
                                      "and no callback arrived")
                raise ClientError(f"no callback arrived within {int(CALLBACK_TIMEOUT)} s")
            try:
                flow, kind, value = self.callbacks.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if flow != flow_id:
                continue
            if kind == "browser":
                if value != 0:
                    print(f"note: the browser command failed (status {value}); waiting briefly",
                          file=sys.stderr)
                    deadline = min(deadline, time.monotonic() + AFTER_BROWSER_FAILED)
                    browser_failed = value
                continue
            return kind, value

    def authorize(self) -> bool:
        """One authorization flow up to tokens; False when the beneficiary denied access."""
        self.flows += 1
        flow_id = self.flows
        verifier = random_string(64, UNRESERVED)
        state = random_string(32, URL_SAFE)
        query = urllib.parse.urlencode([
            ("response_type", "code"),
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("state", state),
            ("code_challenge", s256(verifier)),
            ("code_challenge_method", "S256"),
        ])
        self.callbacks.start_flow(flow_id, state)
        self.open_browser(f"{self.url('o/authorize/')}?{query}", flow_id)
        kind, value = self.wait_for_callback(flow_id)
        if kind == "denied":
            return False
        if kind == "refused":
            raise ClientError(value)
        status, tokens = self.token_request([
            ("grant_type", "authorization_code"),
            ("code", value),
            ("redirect_uri", self.redirect_uri),
            ("code_verifier", verifier),
        ])
        if status != 200 or not isinstance(tokens, dict):
            raise ClientError(f"the token endpoint refused the code: {status} {tokens}")
        self.store_tokens(tokens)
        if isinstance(tokens.get("patient"), str):
            self.patient = tokens["patient"]
        return True

    def refresh(self) -> None:
        if not self.refresh_token:
            raise ClientError("the access token expired and there is no refresh token")
        status, body = self.token_request([
            ("grant_type", "refresh_token"),
            ("refresh_token", self.refresh_token),
        ])
        if status == 200 and isinstance(body, dict):
            self.store_tokens(body)
            return
        error = body.get("error") if isinstance(body, dict) else None
        if error != "invalid_grant":
            raise ClientError(f"the refresh failed: {status} {body}")
        if self.reauthorized:
            raise ClientError("the refresh token was refused again after re-authorizing")
        self.reauthorized = True
        note(self.notes, "the refresh token was refused (invalid_grant); authorizing again")
        self.refresh_token = None
        if not self.authorize():
            raise ClientError("access was denied on re-authorization")

    # --- Reads -------------------------------------------------------------------------

    def read(self, url: str) -> tuple[int, object]:
        """One API read: refresh on 401, bounded retries on 429/5xx. Returns (status, json)."""
        retries = 0
        refreshed = False
        while True:
            reply = http_request(url, headers={
                "Authorization": f"Bearer {self.access_token}",
                "Accept": FHIR_JSON,
                "Accept-Encoding": "gzip",
            })
            status = reply.status
            if status == 401:
                if refreshed:
                    return status, None
                self.refresh()
                refreshed = True
                continue
            if status in (429, 503) or 500 <= status < 600:
                if retries >= MAX_RETRIES:
                    note(self.notes, f"{url}: still {status} after {retries} retries; giving up")
                    return status, None
                retries += 1
                wait = retry_after(reply.headers)
                time.sleep(BACKOFF if wait is None else wait)
                continue
            if 200 <= status < 300:
                body = reply.json()
                if body is None:
                    raise ClientError(f"{url} answered invalid JSON")
                return status, body
            return status, None

    def search(self, resource: str) -> list[str]:
        ids: list[str] = []
        seen: set[str] = set()
        url: str | None = self.url(f"fhir/{resource}/")
        while url is not None:
            if url in seen:
                note(self.notes, f"{resource}: the next link repeats {url}; stopping")
                break
            seen.add(url)
            status, bundle = self.read(url)
            if not (200 <= status < 300) or not isinstance(bundle, dict):
                note(self.notes, f"{resource}: {url} answered {status}")
                break
            for entry in bundle.get("entry") or []:
                resource_id = (entry.get("resource") or {}).get("id")
                if isinstance(resource_id, str):
                    ids.append(resource_id)
            url = next((link.get("url") for link in bundle.get("link") or []
                        if link.get("relation") == "next"), None)
        return ids

    def run(self) -> dict:
        if not self.authorize():
            print("note: the beneficiary denied access", file=sys.stderr)
            return {"patient_id": None, "coverage_ids": [], "eob_ids": []}
        userinfo_status, _ = self.read(self.url("connect/userinfo"))
        if userinfo_status == 403:
            note(self.notes, "userinfo: 403 (demographics not shared)")
        elif not 200 <= userinfo_status < 300:
            note(self.notes, f"userinfo: {userinfo_status}")
        coverage_ids = self.search("Coverage")
        eob_ids = self.search("ExplanationOfBenefit")
        patient_read = False
        if self.patient is not None:
            status, _ = self.read(self.url(f"fhir/Patient/{self.patient}"))
            patient_read = 200 <= status < 300
            if status == 403:
                note(self.notes, "Patient: 403 (demographics not shared)")
            elif not patient_read:
                note(self.notes, f"Patient: {status}")
        else:
            note(self.notes, "the token response carried no patient id")
        return {
            "patient_id": self.patient,
            "coverage_ids": coverage_ids,
            "eob_ids": eob_ids,
            "patient_read": patient_read,
            "userinfo_read": 200 <= userinfo_status < 300,
            "notes": self.notes,
        }


def write_output(client: "Client", output: dict) -> None:
    text = json.dumps(output, indent=2) + "\n"
    if client.output:
        with open(client.output, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def main() -> int:
    client = None
    try:
        client = Client()
        try:
            output = client.run()
        finally:
            client.callbacks.drain()
        write_output(client, output)
        return 0
    except ClientError as error:
        print(f"bb_client: {error}", file=sys.stderr)
        if client is not None and client.patient is None:
            # Authorization failed (e.g. a callback whose state is not ours): nothing was read.
            nothing = {"patient_id": None, "coverage_ids": [], "eob_ids": [], "error": str(error)}
            write_output(client, nothing)
        return 1
    except OSError as error:
        print(f"bb_client: I/O error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
