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

# Maximum number of runs (interval first start .. last end) in progress at the
# same instant. Intervals that only touch (end == start) do not overlap.
run_overlap() {
  awk '{ r = $1; t = $6
         if ($5 == "start" && (!(r in s) || t < s[r])) s[r] = t
         if ($5 == "end" && (!(r in e) || t > e[r])) e[r] = t }
       END { for (r in s) if (r in e) { print s[r], 1; print e[r], 0 } }' "$1/records" 2>/dev/null |
    sort -k1,1n -k2,2n |
    awk 'BEGIN { c = 0; m = 0 } { if ($2 == 1) { c++; if (c > m) m = c } else c-- } END { print m }'
}
