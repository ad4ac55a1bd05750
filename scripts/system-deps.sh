#!/usr/bin/env bash
# Install the Debian packages the suite needs (PostgreSQL server, Chromium, Electrum) when they are absent.
# electrum (4.3.4 on bookworm) is the real wallet the reserve's signer tests run against, as a regtest daemon.
# apt waits for a dpkg or package-list lock held by another process (an unattended upgrade, another job)
# instead of failing at once: DPkg::Lock::Timeout for dpkg's locks, a retry loop for `apt-get update`.
set -euo pipefail
LOCK_WAIT=${APT_LOCK_WAIT:-900}  # seconds
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
command -v electrum >/dev/null 2>&1 || need+=(electrum)
# WeasyPrint (the review pack's PDF) lays text out with Pango.
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || need+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || need+=(libpangoft2-1.0-0)
[ ${#need[@]} -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 2
fi
apt() { apt-get -q -o DPkg::Lock::Timeout="$LOCK_WAIT" "$@"; }
echo "installing Debian packages: ${need[*]}" >&2
waited=0
until apt update >/dev/null 2>/tmp/biplomacy-apt-update.err; do
  if ! grep -qi "lock" /tmp/biplomacy-apt-update.err || [ "$waited" -ge "$LOCK_WAIT" ]; then
    cat /tmp/biplomacy-apt-update.err >&2
    exit 1
  fi
  [ "$waited" -eq 0 ] && echo "waiting for another apt/dpkg process to release its lock..." >&2
  sleep 5
  waited=$((waited + 5))
done
DEBIAN_FRONTEND=noninteractive apt install -y --no-install-recommends "${need[@]}" >/dev/null
