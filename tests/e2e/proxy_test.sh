#!/usr/bin/env bash
# The HTTPS entrance (nginx in front of synchub-ingest, docs/security.md) on a `./dev up`
# stack of its own, attacked the ways cpp-httplib alone cannot defend against:
#   tls        GET /healthz over TLS verified against the generated certificate (not -k),
#              for 127.0.0.1 and localhost; the certificate is not trusted without it
#   slowloris  16 connections that each trickle a header line every 3 s: 20 normal requests
#              on new connections meanwhile all answer within 1 s, and the server closes the
#              slow ones about 5 s (the header deadline) after they started. A control run
#              of the same attack on the gateway's plain port shows it starves the gateway.
#   headers    a request with 1 MB of headers (200 of 5 KB) is refused with 431 (nginx's 494)
#              and a problem document before 100 KiB of it was sent, a request line over 8 KiB
#              with 414; others still pass
#   body       a chunked POST /api/sync of 64 MiB: 413 arrives before 2 MiB was sent and the
#              gateway never saw it (the access log's upstream is -), while a small chunked
#              body does reach it; a Content-Length over 1 MiB is refused at once
#   auth       Authorization passed on unchanged: the gateway answers POST /api/sync with no,
#              a bogus and a malformed Authorization the same direct and through nginx
#   plain      plain HTTP to the TLS port: 400 (problem document), not proxied
# Prints one ok/FAILED line per check and the figures measured. Takes about 30 s.
# Usage: proxy_test.sh ROOT BUILD_DIR (ctest runs it with the build done).
set -euo pipefail
ROOT="$1"
export SYNCHUB_BUILD_DIR="$2"
export SYNCHUB_NO_BUILD=1
source "$ROOT/tools/dev/lib.sh"
work="$(mktemp -d /tmp/synchub-proxy-test.XXXXXX)"
chmod 755 "$work"
export SYNCHUB_STATE_DIR="$work/state"
# A port base whose +81 (the HTTPS port, which free_stack_port_base does not probe) is free too.
base_tries=0
while :; do
  SYNCHUB_PORT_BASE="$(free_stack_port_base)"
  (exec 3<>"/dev/tcp/127.0.0.1/$((SYNCHUB_PORT_BASE + 81))") 2>/dev/null || break
  base_tries=$((base_tries + 1))
  [ $base_tries -lt 20 ] || die "no port base with a free HTTPS port"
done
export SYNCHUB_PORT_BASE
BUILD_DIR="$SYNCHUB_BUILD_DIR"
source "$ROOT/tools/dev/throwaway_pg.sh"  # PG_BIN, _pg_as_owner
source "$ROOT/tools/dev/stack.sh"         # STACK_DIR, PG_CONN, ports, proxy_*
cleanup() {
  "$ROOT/dev" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

source "$ROOT/tests/e2e/stack_test_lib.sh"  # check, wait_for

# The attacks, in Python (its ssl module speaks TLS; bash's /dev/tcp does not). Each prints
# key=value lines.
cat >"$work/attack.py" <<'PY'
# Attacks on the HTTPS entrance (slowloris, big-header, chunked); key=value lines on stdout.
import http.client
import select
import socket
import ssl
import sys
import threading
import time


def tls_context(cafile):
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = True
    return context


def connect(port, cafile):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    if cafile is None:
        return raw
    return tls_context(cafile).wrap_socket(raw, server_hostname="localhost")


def slowloris(port, cafile, slow, normal, interval, give_up):
    """`slow` connections each send a request line, then a header line every `interval` s and
    never the blank line; meanwhile `normal` GET /healthz on new connections, 0.15 s apart."""
    opened = []
    closed_after = [None] * slow
    lock = threading.Lock()
    ready = threading.Barrier(slow + 1)

    def one(index):
        try:
            sock = connect(port, cafile)
            started = time.monotonic()
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        except OSError:
            ready.wait()
            return
        with lock:
            opened.append(index)
        ready.wait()
        next_line = started + interval
        line = 0
        while time.monotonic() - started < give_up:
            sock.settimeout(max(0.01, next_line - time.monotonic()))
            try:
                data = sock.recv(4096)
                if not data:
                    break  # closed by the server
                continue  # an answer (none expected): keep reading until it closes
            except (socket.timeout, ssl.SSLWantReadError):
                pass
            except OSError:
                break
            line += 1
            next_line += interval
            try:
                sock.sendall(b"X-Slow-%d: %d\r\n" % (line, index))
            except OSError:
                break
        else:
            sock.close()
            return  # still open after give_up seconds
        closed_after[index] = time.monotonic() - started
        sock.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(slow)]
    for thread in threads:
        thread.start()
    ready.wait()
    time.sleep(0.3)
    ok, slowest = 0, 0.0
    for _ in range(normal):
        began = time.monotonic()
        try:
            if cafile is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            else:
                conn = http.client.HTTPSConnection("localhost", port, timeout=2,
                                                   context=tls_context(cafile))
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                ok += 1
        except OSError:
            pass
        slowest = max(slowest, time.monotonic() - began)
        time.sleep(0.15)
    still_open = sum(1 for i in opened if closed_after[i] is None)
    print(f"slow_opened={len(opened)}")
    print(f"normal_ok={ok}")
    print(f"normal_slowest_ms={int(slowest * 1000)}")
    print(f"slow_open_after_normal={still_open}")
    if cafile is None:
        return  # the control run stops here: its slow connections are dropped at exit
    for thread in threads:
        thread.join()
    times = [t for t in closed_after if t is not None]
    print(f"slow_closed={len(times)}")
    print(f"slow_closed_min_ms={int(min(times) * 1000) if times else -1}")
    print(f"slow_closed_max_ms={int(max(times) * 1000) if times else -1}")


def big_header(port, cafile, count, size):
    """One request with `count` header lines of `size` bytes each, sent 16 KiB at a time;
    stops sending as soon as an answer arrives."""
    sock = connect(port, cafile)
    head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
    head += b"".join(b"X-Big-%d: %s\r\n" % (i, b"a" * size) for i in range(count)) + b"\r\n"
    began = time.monotonic()
    answer, sent = read_while_sending(sock, [head[i:i + 16384] for i in range(0, len(head), 16384)], 0.001)
    elapsed = time.monotonic() - began
    status_line, _, rest = answer.partition(b"\r\n")
    print(f"header_bytes={len(head)}")
    print(f"header_bytes_sent={sent}")
    print(f"status_line={status_line.decode(errors='replace')}")
    print(f"content_type={header_value(rest, b'content-type')}")
    print(f"answer_ms={int(elapsed * 1000)}")
    sock.close()


def read_while_sending(sock, pieces, pause):
    """Sends `pieces` one by one, looking for an answer `pause` s after each; stops sending
    at the first byte of an answer (or an error), then reads the answer's head. Returns
    (answer head, bytes sent). One thread: an SSL socket must not be used by two at once."""
    answer, sent, closed = b"", 0, False
    for piece in pieces:
        readable, _, _ = select.select([sock], [], [], pause)
        if readable or sock.pending():
            sock.setblocking(False)
            try:
                data = sock.recv(65536)
                answer += data
                closed = not data
            except ssl.SSLWantReadError:
                pass  # TLS records alone (session tickets): no answer yet
            except OSError:
                closed = True
            sock.setblocking(True)
            if answer or closed:
                break
        try:
            sock.sendall(piece)
        except OSError:
            break
        sent += len(piece)
    sock.settimeout(10)
    try:
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except OSError:
        pass
    return answer, sent


def header_value(head, name):
    for line in head.split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode(errors="replace")
    return ""


def chunked(port, cafile, total, chunk, pause, query):
    """POST /api/sync?QUERY with a chunked body of `total` bytes in `chunk`-byte chunks, a
    pause of `pause` s after each; stops sending as soon as an answer arrives."""
    sock = connect(port, cafile)
    sock.sendall(b"POST /api/sync?" + query.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
                 b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"%x\r\n" % chunk + b" " * chunk + b"\r\n"
    pieces = [piece] * (total // chunk) + [b"0\r\n\r\n"]
    began = time.monotonic()
    answer, sent = read_while_sending(sock, pieces, pause)
    elapsed = time.monotonic() - began
    status_line, _, rest = answer.partition(b"\r\n")
    print(f"body_bytes_sent={min(sent // len(piece), total // chunk) * chunk}")
    print(f"status_line={status_line.decode(errors='replace')}")
    print(f"content_type={header_value(rest, b'content-type')}")
    print(f"answer_ms={int(elapsed * 1000)}")
    sock.close()


if __name__ == "__main__":
    mode, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cafile = None if cafile == "-" else cafile
    if mode == "slowloris":
        slowloris(port, cafile, int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]),
                  float(sys.argv[7]))
    elif mode == "big-header":
        big_header(port, cafile, int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "chunked":
        chunked(port, cafile, int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]),
                sys.argv[7])
PY

started=$SECONDS
"$ROOT/dev" up >"$work/up.out" 2>&1 || { cat "$work/up.out"; exit 1; }
echo "stack up in $((SECONDS - started)) s (HTTPS port $HTTPS_PORT)"
HTTPS="https://127.0.0.1:$HTTPS_PORT"
CERT="$STACK_DIR/tls/cert.pem"
ACCESS_LOG="$STACK_DIR/logs/nginx-access.log"
attack() { python3 "$work/attack.py" "$@"; }
# value KEY FILE: the value of KEY=... in FILE (attack.py's output)
value() { sed -n "s/^$1=//p" "$2"; }
# status URL [curl args]: the HTTP status of GET URL with the generated certificate trusted
status() { curl -s -o "$work/body" -w '%{http_code}' --max-time 5 --cacert "$CERT" "$@"; }
healthy() { [ "$(status "$HTTPS/healthz")" = 200 ]; }
# log_line PROBE: the access log's line of the request whose query string is probe=PROBE
log_line() { grep -F "probe=$1 " "$ACCESS_LOG" || true; }
is_problem() {  # is_problem STATUS: $work/body is a problem document with that status
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["type"] == "about:blank" and d["status"] == int(sys.argv[2]) and d["title"] and d["detail"]))' "$work/body" "$1"
}
lt() { [ "$1" -lt "$2" ]; }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

echo "== tls: verified against the generated certificate =="
check "GET $HTTPS/healthz with --cacert answers 200" healthy
check "... with the gateway's body" grep -q '"status":"ok"' "$work/body"
check "GET https://localhost:$HTTPS_PORT/healthz verifies too (subjectAltName DNS:localhost)" \
  test "$(status "https://localhost:$HTTPS_PORT/healthz")" = 200
no_trust_rc=0
curl -s -o /dev/null --max-time 5 "$HTTPS/healthz" || no_trust_rc=$?
check "without --cacert the certificate is not trusted (curl exit 60, got $no_trust_rc)" test "$no_trust_rc" = 60
check "the key is 0600" test "$(stat -c %a "$STACK_DIR/tls/key.pem")" = 600
check "TLS 1.2 negotiates" test "$(status --tlsv1.2 --tls-max 1.2 "$HTTPS/healthz")" = 200
check "TLS 1.3 negotiates" test "$(status --tlsv1.3 "$HTTPS/healthz")" = 200

echo "== slowloris: 16 connections trickling a header line every 3 s =="
t0=$SECONDS
attack slowloris "$HTTP_PORT" - 16 2 3 8 >"$work/control.out"
echo "control, on the gateway's plain port: $(tr '\n' ' ' <"$work/control.out")"
check "control: the same attack starves the gateway itself (0 of 2 answered within 2 s)" \
  test "$(value normal_ok "$work/control.out")" = 0
check "control: the gateway recovers once they are gone" wait_for 10 curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP_PORT/healthz"
attack slowloris "$HTTPS_PORT" "$CERT" 16 20 3 12 >"$work/slowloris.out"
echo "through nginx: $(tr '\n' ' ' <"$work/slowloris.out") ($((SECONDS - t0)) s with the control)"
check "all 16 slow connections were open" test "$(value slow_opened "$work/slowloris.out")" = 16
check "... and still open after the 20 normal requests" test "$(value slow_open_after_normal "$work/slowloris.out")" = 16
check "20 of 20 normal requests answered 200" test "$(value normal_ok "$work/slowloris.out")" = 20
check "... each within 1 s (slowest $(value normal_slowest_ms "$work/slowloris.out") ms)" \
  lt "$(value normal_slowest_ms "$work/slowloris.out")" 1000
check "the server closed all 16 slow connections" test "$(value slow_closed "$work/slowloris.out")" = 16
check "... 4.5 to 6.5 s after they started ($(value slow_closed_min_ms "$work/slowloris.out") to $(value slow_closed_max_ms "$work/slowloris.out") ms)" \
  between "$(value slow_closed_min_ms "$work/slowloris.out")" 4500 6500
check "... (the last one too)" between "$(value slow_closed_max_ms "$work/slowloris.out")" 4500 6500

echo "== headers: 1 MB of headers, an 8 KiB request line =="
attack big-header "$HTTPS_PORT" "$CERT" 200 5000 >"$work/headers.out"
tr '\n' ' ' <"$work/headers.out"
echo
check "200 headers of 5 KB: refused with 431" grep -qx 'status_line=HTTP/1.1 431 *' "$work/headers.out"
check "... as a problem document" grep -qx 'content_type=application/problem+json' "$work/headers.out"
check "... at once (under 1 s)" lt "$(value answer_ms "$work/headers.out")" 1000
check "... before 100 KiB of the 1 MB were sent ($(value header_bytes_sent "$work/headers.out") bytes)" \
  lt "$(value header_bytes_sent "$work/headers.out")" $((100 * 1024))
check "a request line over 8 KiB: 414" \
  test "$(status "$HTTPS/healthz?x=$(head -c 9000 /dev/zero | tr '\0' a)")" = 414
check "... as a problem document" is_problem 414
check "the proxy keeps answering others" healthy

echo "== body: a 64 MiB chunked POST /api/sync =="
probe="big$$"
attack chunked "$HTTPS_PORT" "$CERT" $((64 * 1024 * 1024)) 65536 0.005 "probe=$probe" >"$work/body.out"
tr '\n' ' ' <"$work/body.out"
echo
echo "access log: $(log_line "$probe")"
sent="$(value body_bytes_sent "$work/body.out")"
check "413" grep -q '^status_line=HTTP/1.1 413 ' "$work/body.out"
check "... as a problem document" grep -qx 'content_type=application/problem+json' "$work/body.out"
check "... before 2 MiB of the 64 MiB were sent ($sent bytes)" between "$sent" $((1024 * 1024)) $((2 * 1024 * 1024))
check "the gateway never saw it (access log: 413, upstream=-)" \
  grep -q '" 413 .* upstream=- ' <<<"$(log_line "$probe")"
attack chunked "$HTTPS_PORT" "$CERT" 65536 65536 0.005 "probe=small$$" >"$work/small.out"
check "control: a 64 KiB chunked body does reach the gateway (access log: upstream=127.0.0.1:$HTTP_PORT)" \
  grep -Eq "upstream=127.0.0.1:$HTTP_PORT upstream_status=[0-9]{3} " <<<"$(log_line "small$$")"
head -c $((2 * 1024 * 1024)) /dev/zero >"$work/2mib"
check "Content-Length of 2 MiB: 413" \
  test "$(status -X POST -H 'Expect:' -H 'Content-Type: application/json' --data-binary "@$work/2mib" "$HTTPS/api/sync?probe=cl$$")" = 413
check "... as a problem document" is_problem 413
check "... not proxied" grep -q '" 413 .* upstream=- ' <<<"$(log_line "cl$$")"

echo "== headers passed on: Authorization unchanged =="
# The gateway's answer (status and problem code) to POST /api/sync with no, a bogus and a
# malformed Authorization header, direct and through nginx: the same when nginx passes the
# header on unchanged (with authentication at the gateway, a dropped header would answer
# differently).
answer_of() {  # answer_of URL [curl args]: "STATUS CODE" of POST URL/api/sync with body {}
  local code
  code="$(curl -s -o "$work/auth" -w '%{http_code}' --max-time 5 --cacert "$CERT" -X POST \
    -H 'Content-Type: application/json' -d '{}' "${@:2}" "$1/api/sync")"
  echo "$code $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("code", "-"))' "$work/auth" 2>/dev/null || echo -)"
}
for auth in "" "Bearer bogus-token-$$" "Basic Zm9vOmJhcg=="; do
  direct="$(answer_of "http://127.0.0.1:$HTTP_PORT" ${auth:+-H "Authorization: $auth"})"
  proxied="$(answer_of "$HTTPS" ${auth:+-H "Authorization: $auth"})"
  check "Authorization '${auth:-none}': the same answer direct and through nginx ($direct / $proxied)" \
    test "$direct" = "$proxied"
done

echo "== plain HTTP to the TLS port =="
plain="$(curl -s -o "$work/body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$HTTPS_PORT/healthz?probe=plain$$")"
check "refused with 400 (got $plain)" test "$plain" = 400
check "... as a problem document (code tls_required)" is_problem 400
check "... naming the cause" grep -q '"code":"tls_required"' "$work/body"
check "... not proxied" grep -q '" 400 .* upstream=- ' <<<"$(log_line "plain$$")"

check "./dev status shows the proxy running" grep -q '^proxy (nginx) *running' <<<"$("$ROOT/dev" status)"
"$ROOT/dev" down >/dev/null 2>&1
check "./dev down stops it" bash -c "! curl -s -o /dev/null --max-time 2 -k $HTTPS/healthz"

echo "proxy test: $failures failure(s), $((SECONDS - started)) s"
[ "$failures" = 0 ]
