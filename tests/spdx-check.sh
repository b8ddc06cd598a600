#!/bin/sh
# SPDX-License-Identifier: MIT
# spdx-check.sh ROOT: fails when a tracked source, header, script, test,
# CMake file or Go twin lacks "SPDX-License-Identifier: MIT" in its first
# lines (LICENSE holds the text). Skipped (77) outside a git checkout.
set -u
cd "${1:?usage: spdx-check.sh ROOT}" || exit 1
files=$(git ls-files 2>/dev/null) || { echo "not a git checkout: skipped"; exit 77; }
bad=0
for f in $files; do
  case $f in
    *.c|*.h|*.hpp|*.cpp|*.S|*.sh|*.py|*.go|*.pml|*.cmake|*.in|CMakeLists.txt|*/CMakeLists.txt|Makefile|.ci/run) ;;
    *) continue ;;
  esac
  case $f in debian/*) continue ;; esac
  head -n 5 "$f" | grep -q 'SPDX-License-Identifier: MIT' || { echo "no SPDX line: $f"; bad=1; }
done
[ $bad = 0 ] && echo "spdx: every source is tagged"
exit $bad
