#!/bin/sh
# SPDX-License-Identifier: MIT
# wait-names-check.sh ROOT CC: fails when tools/goro-gdb.py's fallback
# table of wait reasons (_WAIT_NAMES, _OBJ_NAMES, _WAIT_IO) differs from
# the one table in C, goro.h's GORO_WAIT_REASONS (expanded by CC's
# preprocessor). Each side is printed as "index|name|object" lines.
set -u
root=${1:?usage: wait-names-check.sh ROOT CC}
cc=${2:?usage: wait-names-check.sh ROOT CC}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf '#include "goro.h"\n#define X_(n, d, o) @n|d|o\nGORO_WAIT_REASONS(X_)\n' |
  $cc -E -P -I "$root/include" -x c - > "$tmp/expanded" || { echo "cannot expand goro.h"; exit 1; }
perl -ne 'BEGIN { $i = 0 } while (/@(\w+)\|"([^"]*)"\|(\S.*?)\s*(?=@|$)/g) {
            my ($n, $d, $o) = ($1, $2, $3);
            $o = $o =~ /^"(.*)"$/ ? $1 : "-";
            print "$i|$d|$o\n"; print STDERR "IO $i\n" if $n eq "IO"; $i++ }' \
  "$tmp/expanded" > "$tmp/c" 2> "$tmp/c_io"
perl -0777 -ne '
  my ($w) = /^_WAIT_NAMES = \[(.*?)\]/ms or die "no _WAIT_NAMES\n";
  my ($o) = /^_OBJ_NAMES = \[(.*?)\]/ms or die "no _OBJ_NAMES\n";
  my ($io) = /^_WAIT_IO = (\d+)/m or die "no _WAIT_IO\n";
  my @w = $w =~ /"([^"]*)"/g;
  my @o = map { /"([^"]*)"/ ? $1 : "-" } grep { /\S/ } split /,/, $o;
  print "$_|$w[$_]|", ($o[$_] // "?"), "\n" for 0 .. $#w;
  print STDERR "IO $io\n";' "$root/tools/goro-gdb.py" > "$tmp/gdb" 2> "$tmp/gdb_io" ||
  { cat "$tmp/gdb_io"; exit 1; }
if [ ! -s "$tmp/c" ]; then echo "no wait reasons found in goro.h"; exit 1; fi
if cmp -s "$tmp/c" "$tmp/gdb" && cmp -s "$tmp/c_io" "$tmp/gdb_io"; then
  echo "wait reasons: tools/goro-gdb.py matches goro.h ($(wc -l < "$tmp/c") reasons)"
  exit 0
fi
echo "tools/goro-gdb.py's wait-reason table differs from goro.h's GORO_WAIT_REASONS"
echo "(index|name|object; - for none; < goro.h, > goro-gdb.py):"
diff "$tmp/c" "$tmp/gdb"
diff "$tmp/c_io" "$tmp/gdb_io"
exit 1
