#!/bin/sh
# Lint throughput against squawk, and memory on a very large file.
#
#   bench/lint_bench.sh [build/safe-migrate]
#
# 1. Generates 2,000 migration files with 40 statements each (80,000 statements:
#    DDL and DML of the kinds real migrations hold) and lints them with
#    safe-migrate (all cores) in each output format (text, json, sarif, github)
#    and with squawk (npm package squawk-cli, installed into a temporary
#    directory; its json reporter, one invocation for all files), timing both in
#    the same run. Prints each format's wall time, peak RSS and ratio to squawk
#    (targets: text <= 0.5x, sarif <= 0.7x, json and github no slower than text,
#    peak RSS < 100 MB).
# 2. Generates one 500 MB file of INSERT statements and lints it, reporting
#    safe-migrate's peak RSS (target: under 100 MB).
# One timing each: for figures to quote, time alternating pairs as the script
# prints at the end (median of 5 pairs, the peer in the same run).
# Needs: awk, GNU time (/usr/bin/time), npm. Run by hand; not part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
WORK=$(mktemp -d /tmp/sm-lint-bench.XXXXXX)
# KEEP=1 keeps $WORK (the corpus and squawk) for timing the printed pairs.
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
FILES=${FILES:-2000}
PER_FILE=${PER_FILE:-40}
BIG_MB=${BIG_MB:-500}

echo "== generating $FILES files x $PER_FILE statements in $WORK/corpus"
mkdir -p "$WORK/corpus"
awk -v files="$FILES" -v per="$PER_FILE" -v dir="$WORK/corpus" 'BEGIN {
  for (f = 1; f <= files; f++) {
    out = sprintf("%s/2026%010d_migration_%d.up.sql", dir, f, f);  # mawk: %d is 32-bit
    for (s = 0; s < per; s++) {
      k = (f * per + s) % 10; t = "t" (f % 50);
      if (k == 0) printf "CREATE TABLE IF NOT EXISTS %s_%d (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n", t, s > out;
      else if (k == 1) printf "ALTER TABLE %s ADD COLUMN c%d_%d integer;\n", t, f, s > out;
      else if (k == 2) printf "CREATE INDEX %s_c%d_idx ON %s (c%d);\n", t, s, t, s > out;
      else if (k == 3) printf "INSERT INTO %s (id, email, note) VALUES (%d, '\''user%d@example.com'\'', '\''a; tricky -- value'\'');\n", t, s, s > out;
      else if (k == 4) printf "UPDATE %s SET note = '\''x'\'' WHERE id BETWEEN %d AND %d;\n", t, s, s + 100 > out;
      else if (k == 5) printf "ALTER TABLE %s ADD CONSTRAINT %s_chk%d CHECK (id > %d) NOT VALID;\n", t, t, s, s > out;
      else if (k == 6) printf "COMMENT ON TABLE %s IS '\''table %d'\'';\n", t, s > out;
      else if (k == 7) printf "CREATE OR REPLACE VIEW v_%s_%d AS SELECT id, email FROM %s WHERE created_at > now() - interval '\''7 days'\'';\n", t, s, t > out;
      else if (k == 8) printf "ALTER TABLE %s ALTER COLUMN c%d SET DEFAULT 0;\n", t, s > out;
      else printf "DELETE FROM %s WHERE created_at < now() - interval '\''1 year'\'' AND id %% 100 = %d;\n", t, s > out;
    }
    close(out);
  }
}'
STATEMENTS=$((FILES * PER_FILE))

echo "== installing squawk-cli into $WORK/npm"
npm install --silent --no-audit --no-fund --prefix "$WORK/npm" squawk-cli >/dev/null 2>&1
SQUAWK="$WORK/npm/node_modules/.bin/squawk"
echo "   $("$SQUAWK" --version)"

measure() {  # label, then the command; prints wall seconds and peak RSS
  label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$WORK/time" > "$WORK/time.last"; read -r secs rss < "$WORK/time.last"
  rate=$(awk -v n="$STATEMENTS" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  printf "%-28s %7.2fs  %9s statements/s  peak RSS %6d kB\n" "$label" "$secs" "$rate" "$rss"
  echo "$secs" > "$WORK/last"
}

echo "== linting $STATEMENTS statements in $FILES files ($(nproc) cores)"
# squawk takes the file list; one invocation for all files, as in CI use.
measure "squawk" sh -c "cd '$WORK/corpus' && '$SQUAWK' --reporter json *.sql"
SQ=$(cat "$WORK/last")
for format in text json sarif github; do
  measure "safe-migrate lint ($format)" "$BIN" lint --format "$format" "$WORK/corpus"
  [ "$format" = text ] && TEXT=$(cat "$WORK/last")
  awk -v a="$(cat "$WORK/last")" -v b="$SQ" -v t="$TEXT" -v f="$format" \
    'BEGIN { printf "   %s: %.2fx squawk'"'"'s wall time, %.2fx text'"'"'s\n", f, (b > 0 ? a / b : 0), (t > 0 ? a / t : 0) }'
done
measure "safe-migrate lint --jobs 1" "$BIN" lint --format json --jobs 1 "$WORK/corpus"

echo "== generating a ${BIG_MB} MB file of INSERT statements"
awk -v mb="$BIG_MB" 'BEGIN {
  target = mb * 1024 * 1024; n = 0; size = 0;
  while (size < target) {
    line = sprintf("INSERT INTO events (id, kind, payload, at) VALUES (%d, '\''page_view'\'', '\''{\"path\": \"/products/%d\", \"ref\": \"search; promo\"}'\'', now());\n", n, n % 9973);
    printf "%s", line; size += length(line); n++;
  }
}' > "$WORK/big.sql"
ls -l "$WORK/big.sql" | awk '{ printf "   %d bytes\n", $5 }'
/usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" lint --format json "$WORK/big.sql" > "$WORK/big.json" 2>&1 || true
tail -n 1 "$WORK/time" > "$WORK/time.last"; read -r secs rss < "$WORK/time.last"
echo "safe-migrate lint of the ${BIG_MB} MB file: ${secs}s, peak RSS ${rss} kB (target < 102400 kB)"
grep -o '"statements": [0-9]*' "$WORK/big.json" | head -1

echo "== for ratios to quote, run with KEEP=1 (keeps $WORK), then each pair of commands"
echo "   alternately (A B A B ..., at least 5 pairs) and take the median of the pairs' ratios:"
echo "   A: $BIN lint --format text $WORK/corpus >/dev/null"
echo "   B: cd $WORK/corpus && $SQUAWK --reporter json *.sql >/dev/null"
echo "   (and A: lint --format json or github, B: lint --format text, for json and github against text)"
