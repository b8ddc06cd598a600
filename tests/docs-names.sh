#!/bin/sh
# SPDX-License-Identifier: MIT
# docs-names.sh ROOT: fails when the docs, the tools, the model or a
# comment in src/ name a goro__ function or variable that the code does
# not define, or a `src/...` file (in backquotes) that does not exist, or
# when docs/hacking.md's file table leaves out a file.
# Names in code are found with the comments stripped, so a comment cannot
# keep a stale name alive.
set -u
root=${1:?usage: docs-names.sh ROOT}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$root" || exit 1
for f in $(find src include -name '*.[ch]'); do
  perl -0777 -pe 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g' "$f" >> "$tmp/code" || { echo "cannot read $f"; exit 1; }
done
grep -ohE '\bgoro__[A-Za-z0-9_]+' "$tmp/code" | sort -u > "$tmp/defined"
bad=0
for n in $(grep -ohE '\bgoro__[A-Za-z0-9_]+' docs/*.md README.md tools/*.py verify/model/*.pml \
             $(find src include -name '*.[ch]') | sort -u); do
  case $n in
    *_) grep -q "^$n" "$tmp/defined" && continue ;;   # a prefix: goro__trace_*
  esac
  if ! grep -qx "$n" "$tmp/defined"; then
    echo "named but not in the code: $n ($(grep -lw "$n" docs/*.md README.md tools/*.py verify/model/*.pml \
          $(find src include -name '*.[ch]') | tr '\n' ' '))"
    bad=1
  fi
done
for p in $(grep -ohE '`src/[A-Za-z0-9_./*-]+`' docs/*.md README.md | tr -d '`' | sort -u); do
  # shellcheck disable=SC2086
  if ! ls -d $p >/dev/null 2>&1; then
    echo "no such file: $p ($(grep -l "\`$p\`" docs/*.md README.md | tr '\n' ' '))"
    bad=1
  fi
done
# hacking.md's file table lists every file of src/, include/, tools/ and
# tests/: its first column names files (`dir/a.c`, then `b.c` for
# dir/b.c), folders (`dir/`: everything below) and globs (`dir/test_*.c`).
awk -F'|' '/^\| `/ { n = split($2, a, "`"); dir = "";
    for (i = 2; i <= n; i += 2) {
        if (a[i] ~ /\//) { print a[i]; dir = a[i]; sub(/[^\/]*$/, "", dir) }
        else print dir a[i]
    } }' docs/hacking.md > "$tmp/listed"
for f in $(find src include tools tests -type f ! -name '*.pyc' | sort); do
  listed=0
  while read -r l; do
    case $l in
      */) case $f in "$l"*) listed=1 ;; esac ;;
      *) # shellcheck disable=SC2254
         case $f in $l) listed=1 ;; esac ;;
    esac
    [ $listed = 1 ] && break
  done < "$tmp/listed"
  if [ $listed = 0 ]; then
    echo "not in docs/hacking.md's file table: $f"
    bad=1
  fi
done
exit $bad
