#!/usr/bin/env bash
# Make sure what the tests talk to is there: PostgreSQL, Redis, Debian's Chromium and dovecot.
# Starts or installs what is missing; fails loudly when it cannot.
set -euo pipefail

say() { printf 'test-services: %s\n' "$*"; }

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  say "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 -q || { say "PostgreSQL did not start"; exit 1; }
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "Redis is not answering on 127.0.0.1:6379; starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { say "Redis did not start"; exit 1; }
fi

if [ ! -x /usr/bin/chromium ]; then
  say "Chromium is missing; installing Debian's package"
  if [ "$(id -u)" -ne 0 ]; then say "need root to apt-get install chromium"; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x /usr/sbin/dovecot ]; then
  say "dovecot is missing (the e-mail channel tests start it); installing Debian's package"
  if [ "$(id -u)" -ne 0 ]; then say "need root to apt-get install dovecot-imapd"; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  # The tests run their own dovecot; the package's system service is not needed.
  service dovecot stop >/dev/null 2>&1 || true
fi
say "PostgreSQL, Redis, Chromium and dovecot are ready"
