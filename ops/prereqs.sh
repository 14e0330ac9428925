#!/usr/bin/env bash
# Installs what ./ops/run, ./ops/test and ./ops/bench need on a fresh Debian machine that has the .NET SDK.
# Sourced by those scripts; safe to run again (it only installs what is missing).
set -euo pipefail

need_apt=()
pg_found=""
for d in ${PG_BIN:-} /usr/lib/postgresql/*/bin; do
  if [ -x "$d/initdb" ]; then pg_found="$d"; break; fi
done
[ -n "$pg_found" ] || need_apt+=(postgresql)
if [ "${NARRATIVE_NEED_BROWSER:-0}" = "1" ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
fi
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian's package starts a cluster of its own; Narrative runs its own server, so stop that one.
  if [[ " ${need_apt[*]} " == *" postgresql "* ]]; then $SUDO service postgresql stop >/dev/null 2>&1 || true; fi
fi

command -v dotnet >/dev/null 2>&1 || { echo "The .NET SDK 10 is required (dotnet not on PATH)." >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
