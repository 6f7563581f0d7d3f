#!/bin/sh
# with_tool.sh TOOL COMMAND...: run COMMAND, or exit 77 (ctest SKIP) when TOOL is not installed.
tool=$1
shift
if ! command -v "$tool" >/dev/null 2>&1; then
  echo "SKIP: $tool not installed"
  exit 77
fi
exec "$@"
