# Shared by .ci/run and the e2e checks.

# Daemons the checks run (knotd, nsd, unbound) are installed in /usr/sbin, which a user's PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH="$PATH:/usr/sbin:/sbin" ;; esac

apt_updated=""
# ensure_tool COMMAND DEBIAN_PACKAGE: install the package when the command is missing.
ensure_tool() {
  if command -v "$1" >/dev/null 2>&1; then
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || { echo "ci: installing $2 did not provide $1" >&2; exit 1; }
}

# free_port: a free TCP port on loopback (UDP on the same number is checked by the server at bind time).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_dns PORT NAME: wait up to 60 s until the server at 127.0.0.1:PORT answers NAME.
wait_for_dns() {
  for _ in $(seq 1 120); do
    if dig @127.0.0.1 -p "$1" "$2" +short +time=1 +tries=1 2>/dev/null | grep -q .; then
      return 0
    fi
    sleep 0.5
  done
  echo "ci: no answer for $2 on port $1 after 60 s" >&2
  return 1
}

# wait_for_answers PORT NAME COUNT: wait up to 60 s until NAME has at least COUNT A records at
# 127.0.0.1:PORT. The first answers may come before every cluster has synced.
wait_for_answers() {
  wait_for_dns "$1" "$2" || return 1
  for _ in $(seq 1 120); do
    if [ "$(dig @127.0.0.1 -p "$1" "$2" A +short +time=1 +tries=1 2>/dev/null | wc -l)" -ge "$3" ]; then
      return 0
    fi
    sleep 0.5
  done
  echo "ci: fewer than $3 answers for $2 on port $1 after 60 s" >&2
  return 1
}
