#!/usr/bin/env bash
# Makes sure the services tests talk to are up: PostgreSQL on 127.0.0.1:5432 (trust auth) and
# Redis on 127.0.0.1:6379. A service that answers is left alone; one that is missing is started,
# and on Debian installed first. Tests read DATABASE_URL / REDIS_URL with these defaults.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
    command -v apt-get >/dev/null || { echo "services: cannot install $* (no apt-get)" >&2; exit 1; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
        || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if ! postgres_up; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    if [ -z "$version" ]; then echo "services: no PostgreSQL cluster" >&2; exit 1; fi
    hba=/etc/postgresql/$version/main/pg_hba.conf
    # Tests connect as postgres over TCP without a password, as on the CI machine.
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    as_root pg_ctlcluster "$version" main start || true
    for _ in $(seq 1 30); do postgres_up && break; sleep 1; done
    postgres_up || { echo "services: PostgreSQL did not start" >&2; exit 1; }
fi

if ! redis_up; then
    command -v redis-server >/dev/null || apt_install redis-server
    redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
    for _ in $(seq 1 30); do redis_up && break; sleep 1; done
    redis_up || { echo "services: Redis did not start" >&2; exit 1; }
fi

echo "services: PostgreSQL and Redis are up"
