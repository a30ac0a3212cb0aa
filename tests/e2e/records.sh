# Reading the fixtures' records (work.mjs writes "<run> <file> <pid> <ppid> start|end <ms>" to
# DIR/records). Sourced by the end-to-end scripts.

# Records of one run as "file event ms".
records_of() { awk -v r="$2" '$1 == r { print $2, $5, $6 }' "$1/records" 2>/dev/null; }

# Number of distinct files with both a start and an end record in a run.
files_done() {
  records_of "$1" "$2" | awk '{ s[$1 " " $2] = 1 } END { n = 0; for (k in s) if (k ~ / end$/) { f = k; sub(/ end$/, "", f); if ((f " start") in s) n++ } print n }'
}

# Maximum number of test files of one run in progress at the same instant.
# Intervals that only touch (end == start) do not overlap.
file_concurrency() {
  records_of "$1" "$2" |
    awk '{ print $3, ($2 == "start" ? 1 : 0) }' | sort -k1,1n -k2,2n |
    awk 'BEGIN { c = 0; m = 0 } { if ($2 == 1) { c++; if (c > m) m = c } else c-- } END { print m }'
}
