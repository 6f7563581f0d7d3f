#!/bin/sh
# Print the Debian packages that own the shared libraries BINARY... links
# (one per line): what the runtime image must install, and nothing more.
# Used by driftwatch.Dockerfile's build stage. Fails when a library has no owner.
set -eu
libs=$(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
owners=""
for lib in $libs; do
  real=$(readlink -f "$lib")
  owner=""
  for cand in "$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}"; do
    owner=$(dpkg -S "$cand" 2>/dev/null | head -n1 | cut -d: -f1 | cut -d, -f1) || true
    [ -n "$owner" ] && break
  done
  if [ -z "$owner" ]; then
    echo "runtime-packages.sh: no Debian package owns $lib" >&2
    exit 1
  fi
  owners="$owners $owner"
done
printf '%s\n' $owners | sort -u
