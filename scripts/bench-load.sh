#!/usr/bin/env bash
# bench-load.sh [N]: load an N-person synthetic snapshot (default 1,000,000)
# with "huella load" and, in the same run, with PostgreSQL 15 (COPY into a
# table, then an index on curp, in one transaction), and print both times,
# their ratio and peak memory. PostgreSQL runs from a temp dir on a loopback
# port and is stopped afterwards; it is installed with apt-get if missing.
#
#   scripts/bench-load.sh 1000000
set -euo pipefail
N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/huella-bench-load.XXXXXX)
chmod 755 "$WORK"
PGPORT=${PGPORT:-$((20000 + RANDOM % 20000))}
PGBIN=/usr/lib/postgresql/15/bin
AS=()
[ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)

cleanup() {
	if [ -f "$WORK/pg/postmaster.pid" ]; then
		"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
field() { sed -n "s/^.*$1: *//p" "$2"; }

cd "$ROOT"
go build -o "$WORK/huella" ./cmd/huella

echo "== synthetic snapshot, $N people"
DAY=2024-01-31
if "$WORK/huella" help 2>/dev/null | grep -q '^  synth '; then
	"$WORK/huella" synth --people "$N" --seed 1 --start 2024-01-01 --end "$DAY" --snapshots "$DAY" --out "$WORK/data" >/dev/null
else
	HUELLA_BENCH_OUT="$WORK/data" HUELLA_BENCH_PEOPLE="$N" go test -count=1 -run '^TestMakeBenchSnapshot$' ./internal/store >/dev/null
fi
SNAP="$WORK/data/snapshot-$DAY.csv"
rm -f "$WORK/data/history.csv"
ROWS=$(($(wc -l <"$SNAP") - 1))
echo "$SNAP: $ROWS rows, $(du -m "$SNAP" | cut -f1) MB"
cat "$SNAP" >/dev/null

echo "== huella load"
"$WORK/huella" init --dir "$WORK/ws" >/dev/null
/usr/bin/time -v -o "$WORK/huella.time" "$WORK/huella" load --dir "$WORK/ws" "$SNAP"
H_WALL=$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$WORK/huella.time" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
H_USER=$(field 'User time (seconds)' "$WORK/huella.time")
H_SYS=$(field 'System time (seconds)' "$WORK/huella.time")
H_RSS=$(field 'Maximum resident set size (kbytes)' "$WORK/huella.time")
H_DISK=$(du -sm "$WORK/ws/store" | cut -f1)

echo "== PostgreSQL 15 COPY + index on curp"
if [ ! -x "$PGBIN/initdb" ]; then
	apt-get install -y postgresql >/dev/null
fi
mkdir "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
"${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pg" start >/dev/null
COLS=$(head -1 "$SNAP" | sed 's/,/ text, /g; s/$/ text/')
cat >"$WORK/load.sql" <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv PGPID :pid
BEGIN;
CREATE TABLE padron ($COLS);
COPY padron FROM '$SNAP' WITH (FORMAT csv, HEADER true);
CREATE INDEX padron_curp ON padron (curp);
COMMIT;
\! grep VmHWM /proc/\$PGPID/status > $WORK/pg/hwm; awk '{print (\$14+\$15)/100}' /proc/\$PGPID/stat > $WORK/pg/cpu
SQL
chmod 644 "$WORK/load.sql"
T0=$(now)
"${AS[@]}" psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -f "$WORK/load.sql" postgres
T1=$(now)
P_WALL=$(echo "$T1 - $T0" | bc -l)
P_RSS=$(awk '{print $2}' "$WORK/pg/hwm")
P_CPU=$(cat "$WORK/pg/cpu")
P_ROWS=$("${AS[@]}" psql -qtA -h 127.0.0.1 -p "$PGPORT" -U postgres -c 'SELECT count(*) FROM padron' postgres)
P_DISK=$(du -sm "$WORK/pg/base" | cut -f1)

echo
echo "== $ROWS rows ($(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg))"
printf "%-34s %8s %9s %10s %9s\n" "" "wall s" "cpu s" "peak RSS" "disk MB"
printf "%-34s %8.2f %9.2f %7d MB %9d\n" "huella load" "$H_WALL" "$(echo "$H_USER + $H_SYS" | bc -l)" $((H_RSS / 1024)) "$H_DISK"
printf "%-34s %8.2f %9.2f %7d MB %9d\n" "postgres COPY + index (backend)" "$P_WALL" "$P_CPU" $((P_RSS / 1024)) "$P_DISK"
printf "huella rows/s %.0f, postgres rows/s %.0f (%s rows counted)\n" "$(echo "$ROWS / $H_WALL" | bc -l)" "$(echo "$ROWS / $P_WALL" | bc -l)" "$P_ROWS"
printf "ratio postgres/huella wall time: %.2f (above 1: huella faster)\n" "$(echo "$P_WALL / $H_WALL" | bc -l)"
