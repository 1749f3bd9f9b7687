#!/bin/bash
# Bad input from the Kubernetes side, through the real `faultline` binary: a kubeconfig that
# is missing or wrong is exit 2 naming the file, line and field; an "API server" that answers
# an HTML page (a proxy's login page) or JSON that is not a PodList is a clear error and
# nothing is injected — the fake server (python3's HTTPS server on loopback, a certificate
# of the test's own) logs every request, and no DELETE reaches it.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FL=${FAULTLINE:-$ROOT/build/faultline}
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
tmp=$(mktemp -d)
srv=

cleanup() {
	[ -z "$srv" ] || { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$FL" ] || { fail "prerequisites" "$FL is not built (make)"; summary; exit 1; }

cat >"$tmp/exp.yaml" <<'EOF'
apiVersion: faultline/v1
kind: Experiment
metadata: {name: bad-api}
spec:
  targets:
    victims: {pods: {namespace: streamforge, selector: app=loader}}
  method:
    - fault: {target: victims, kind: pod-delete}
EOF

# ---- kubeconfigs ------------------------------------------------------------------------
out=$("$FL" run "$tmp/exp.yaml" --kubeconfig "$tmp/none.kc" --quiet 2>&1)
rc=$?
if [ "$rc" = 2 ] && echo "$out" | grep -q "kubernetes: $tmp/none.kc: No such file"; then
	ok "a missing kubeconfig: exit 2 naming it"
else
	fail "missing kubeconfig" "exit $rc: $out"
fi
printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {username: admin, password: x}\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n' \
	>"$tmp/basic.kc"
out=$("$FL" plan "$tmp/exp.yaml" --kubeconfig "$tmp/basic.kc" 2>&1)
rc=$?
if [ "$rc" = 2 ] && echo "$out" | grep -q "$tmp/basic.kc:8:10: users\[0\].user.username: not supported"; then
	ok "a kubeconfig with basic auth: exit 2 naming file:line:col and the field"
else
	fail "basic-auth kubeconfig" "exit $rc: $out"
fi

# ---- an API server that answers garbage ---------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
	{ fail "prerequisites" "openssl could not make a certificate"; summary; exit 1; }
cat >"$tmp/server.py" <<'EOF'
import http.server, json, ssl, sys
mode, log = sys.argv[2], open(sys.argv[3], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        log.write(self.command + " " + self.path + "\n")
        if mode == "html":
            body, ctype = b"<html><body>Please log in</body></html>", "text/html"
        else:
            body = json.dumps({"kind": "PodList", "metadata": {"resourceVersion": "1"},
                               "items": [{"metadata": {"name": "x"}}]}).encode()
            ctype = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_DELETE = do_PATCH = answer
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[4], sys.argv[5])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(sys.argv[1], "w").write(str(srv.server_address[1]))
srv.serve_forever()
EOF

serve() { # mode: starts the server, writes tmp/kc
	[ -z "$srv" ] || { kill "$srv"; wait "$srv" 2>/dev/null; }
	rm -f "$tmp/port" "$tmp/requests"
	python3 "$tmp/server.py" "$tmp/port" "$1" "$tmp/requests" "$tmp/cert.pem" "$tmp/key.pem" &
	srv=$!
	for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:%s", certificate-authority: %s}\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n' \
		"$(cat "$tmp/port")" "$tmp/cert.pem" >"$tmp/kc"
}

for mode in html notapod; do
	serve $mode
	out=$("$FL" run "$tmp/exp.yaml" --kubeconfig "$tmp/kc" --quiet 2>&1)
	rc=$?
	case $mode in
	html) want='not JSON' ;;
	notapod) want='items\[0\].metadata.namespace: missing' ;;
	esac
	if [ "$rc" = 2 ] && echo "$out" | grep -q "$want" && grep -q '^GET /api/v1/namespaces/streamforge/pods' "$tmp/requests" &&
		! grep -qv '^GET ' "$tmp/requests"; then
		ok "an API server answering $mode: exit 2 ($want), only GETs reached it: nothing deleted"
	else
		fail "$mode answer" "exit $rc: $out" "requests: $(cat "$tmp/requests" 2>/dev/null)"
	fi
done
summary
