#!/usr/bin/env bash
# The demo jar, queried with dig: web.shop answers exactly the 5 ready pod IPs of both demo clusters.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

port=$(free_port)
http_port=$(free_port)
admin_port=$(free_port)
log=$(mktemp)
kdir=$(mktemp -d)
dns-server/target/meshdns demo --dns-port "$port" --http-port "$http_port" --admin-port "$admin_port" \
  --kubeconfig-dir "$kdir" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$log" "$kdir"' EXIT

# Both clusters' pods: the first answer may come before the second cluster has synced.
wait_for_answers "$port" web.shop.svc.clusterset.local 5 || { cat "$log"; exit 1; }

for proto in +notcp +tcp; do
  got=$(dig @127.0.0.1 -p "$port" web.shop.svc.clusterset.local A +short $proto | sort)
  want=$(printf '%s\n' 10.10.1.1 10.10.1.2 10.10.1.3 10.20.1.1 10.20.1.2 | sort)
  if [ "$got" != "$want" ]; then
    echo "e2e-demo: dig $proto answered:"; echo "$got"; echo "expected:"; echo "$want"; cat "$log"; exit 1
  fi
done
# Rotation on every query: ten digs in a row start with at least three different addresses.
firsts=$(for _ in 1 2 3 4 5 6 7 8 9 10; do dig @127.0.0.1 -p "$port" web.shop.svc.clusterset.local A +short | head -1; done | sort -u | wc -l)
[ "$firsts" -ge 3 ] || { echo "e2e-demo: ten digs started with only $firsts different addresses"; exit 1; }
status=$(dig @127.0.0.1 -p "$port" nope.shop.svc.clusterset.local A +noall +comments | grep -o 'status: [A-Z]*')
[ "$status" = "status: NXDOMAIN" ] || { echo "e2e-demo: unknown name gave '$status'"; exit 1; }
grep -q "Status page: http://127.0.0.1:$admin_port/" "$log" || { echo "e2e-demo: no status page URL in the welcome text"; cat "$log"; exit 1; }
curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null || { echo "e2e-demo: /healthz did not answer"; exit 1; }
echo "e2e-demo: dig answered the 5 ready IPs over UDP and TCP, NXDOMAIN for an unknown name"

# Every name form of the demo with kdig (Knot's client) as a second, independent parser.
Z=clusterset.local
check() { # check DESCRIPTION EXPECTED COMMAND...
  local want="$2"; shift 2
  local got
  got=$("$@" | sort | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || { echo "e2e-demo: $* gave '$got', expected '$want'"; cat "$log"; exit 1; }
}
check srv "0 33 5432 db-0.east.db.shop.svc.$Z. 0 33 5432 db-0.west.db.shop.svc.$Z. 0 33 5432 db-1.east.db.shop.svc.$Z." \
  kdig @127.0.0.1 -p "$port" "_postgres._tcp.db.shop.svc.$Z" SRV +short
check endpoint "10.10.3.2" kdig @127.0.0.1 -p "$port" "db-1.east.db.shop.svc.$Z" A +short
check ptr "db-0.east.db.shop.svc.$Z." kdig @127.0.0.1 -p "$port" -x 10.10.3.1 +short
check externalname "status: NXDOMAIN" sh -c "dig @127.0.0.1 -p $port docs.shop.svc.$Z A +comments | grep -o 'status: [A-Z]*'"
# The port rule: checkout's port 80 targets 8080 on its pods. east ([pod, clusterIP]) answers its ClusterIP,
# west ([pod]) is left out: no answer may send a client to a pod IP on port 80.
check port-rule "10.96.0.12" dig @127.0.0.1 -p "$port" "checkout.shop.svc.$Z" A +short
check port-rule-srv "0 100 80 checkout.shop.svc.$Z." dig @127.0.0.1 -p "$port" "_http._tcp.checkout.shop.svc.$Z" SRV +short
check port-rule-west "10.96.0.12" dig @127.0.0.1 -p "$port" "checkout.shop.svc.$Z" A +short +ednsopt=65300:$(printf west | od -An -tx1 | tr -d ' \n')
check port-rule-metric 'meshdns_service_clusters_unreachable{namespace="shop",service="checkout"} 1.0' \
  sh -c "curl -sf http://127.0.0.1:$http_port/metrics | grep '^meshdns_service_clusters_unreachable{namespace=\"shop\",service=\"checkout\"}'"
check version '"1.0.0"' kdig @127.0.0.1 -p "$port" "dns-version.$Z" TXT +short
check 0x20 "wEb.ShOp.SvC.$Z." sh -c "dig @127.0.0.1 -p $port wEb.ShOp.SvC.$Z A +noall +answer | awk '{print \$1}' | sort -u"
check refused "status: REFUSED" sh -c "dig @127.0.0.1 -p $port example.com A +comments | grep -o 'status: [A-Z]*'"
axfr_records=$(kdig @127.0.0.1 -p "$port" "$Z" AXFR +noall +answer | grep -c "IN")
[ "$axfr_records" -ge 20 ] || { echo "e2e-demo: AXFR gave only $axfr_records records"; exit 1; }
echo "e2e-demo: SRV, per-endpoint, PTR, ExternalName not exported, the port rule (A, SRV, metric), dns-version, 0x20, REFUSED and AXFR ($axfr_records records) checked with kdig and dig"

# The demo as a playground (issue 31): kubectl against its mock API servers answers every command at once
# (each under timeout), with the columns of a real API server; create namespace, which kubectl sends as
# protobuf, is refused within 5 s with a clear message; apply/delete change what DNS answers.
if command -v kubectl >/dev/null 2>&1; then
  k() { timeout 10 kubectl --kubeconfig "$kdir/east.kubeconfig" --cache-dir "$kdir/kube-cache" "$@"; }
  fail() { echo "e2e-demo: $1"; cat "$log"; exit 1; }
  got=$(k get services -A -o wide) || fail "kubectl get services -A -o wide failed"
  echo "$got" | head -1 | grep -Eq '^NAMESPACE +NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE +SELECTOR$' \
    || fail "kubectl get -o wide lacks the API server's columns: $got"
  echo "$got" | grep -Eq '^shop +web +ClusterIP +10\.96\.0\.10 +<none> +80/TCP ' || fail "no row for web: $got"
  # grep reads kubectl's whole output (no -q): under pipefail, a grep that quits at its first match can leave
  # kubectl writing to a closed pipe, and its SIGPIPE fails the check (seen once with api-resources).
  k get endpointslices -A | grep '10.10.1.1,10.10.1.2,10.10.1.3' >/dev/null || fail "kubectl get endpointslices"
  k version | grep '^Server Version: v1.32.0+meshdns.mock$' >/dev/null || fail "kubectl version"
  k describe service web -n shop | grep -E '^Selector: +app=web$' >/dev/null || fail "kubectl describe service"
  k get namespaces | grep -E '^kube-system +Active ' >/dev/null || fail "kubectl get namespaces"
  k api-resources | grep '^configmaps ' >/dev/null || fail "kubectl api-resources"
  for cmd in "create namespace x" "create service clusterip x --tcp=80:8080 -n shop"; do
    rc=0
    # shellcheck disable=SC2086 # the words of $cmd are kubectl's arguments
    err=$(timeout 5 kubectl --kubeconfig "$kdir/east.kubeconfig" --cache-dir "$kdir/kube-cache" $cmd 2>&1) || rc=$?
    [ "$rc" -ne 124 ] || fail "kubectl $cmd did not return within 5 s"
    echo "$err" | grep -q 'the body of the request was in an unknown format' || fail "kubectl $cmd said: $err"
  done
  k create namespace x --dry-run=client -o yaml | k apply -f - | grep '^namespace/x created$' >/dev/null \
    || fail "kubectl create --dry-run=client -o yaml | kubectl apply -f - did not create the namespace"
  manifest=$kdir/api.yaml
  cat >"$manifest" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, annotations: {meshdns.io/export: "true"}}
spec: {type: ClusterIP, clusterIP: 10.96.0.20, selector: {app: api}, ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-east-1, namespace: shop, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
ports: [{name: http, port: 80}]
endpoints: [{addresses: [10.10.9.1], conditions: {ready: true}}]
EOF
  k apply -f "$manifest" >/dev/null || fail "kubectl apply -f of a Service and its EndpointSlice"
  wait_for_dns "$port" "api.shop.svc.$Z" || fail "the applied service got no answer"
  check applied "10.10.9.1" dig @127.0.0.1 -p "$port" "api.shop.svc.$Z" A +short
  # a changed object: kubectl sends a strategic merge patch, which the mock refuses at once
  rc=0
  err=$(sed 's/10.10.9.1/10.10.9.2/' "$manifest" | k apply -f - 2>&1) || rc=$?
  [ "$rc" -ne 124 ] || fail "kubectl apply of a changed object did not return within 10 s"
  echo "$err" | grep -q 'UnsupportedMediaType' || fail "kubectl apply of a changed object said: $err"
  k delete -f "$manifest" >/dev/null || fail "kubectl delete -f"
  echo "e2e-demo: kubectl get -o wide, endpointslices, version, describe, namespaces, api-resources, apply and delete" \
    "answered; create namespace/service and apply of a change refused at once with a clear message"
else
  echo "e2e-demo: kubectl is not on PATH: the kubectl checks are SKIPPED"
fi

# coredns-config against the demo's kube-system/coredns ConfigMaps (the Corefile kubeadm installs).
cat >"$kdir/meshdns.yaml" <<'EOF'
clusters:
  - {id: east, kubeconfig: east.kubeconfig, reachability: [pod, clusterIP]}
  - {id: west, kubeconfig: west.kubeconfig}
EOF
diff=$(timeout 60 dns-server/target/meshdns coredns-config --config "$kdir/meshdns.yaml" --forward-to "127.0.0.1:$port" \
  --dry-run 2>"$kdir/coredns-config.err") \
  || { echo "e2e-demo: coredns-config --dry-run failed"; cat "$kdir/coredns-config.err"; exit 1; }
for want in '--- a/east/kube-system/coredns/Corefile' '--- a/west/kube-system/coredns/Corefile' \
  "+    forward . 127.0.0.1:$port {" '+    rewrite edns0 local set 0xff14 west'; do
  printf '%s\n' "$diff" | grep -qxF -- "$want" \
    || { echo "e2e-demo: coredns-config --dry-run lacks '$want':"; echo "$diff"; exit 1; }
done
echo "e2e-demo: coredns-config --dry-run showed the meshdns block for east and west against the demo"
