#!/usr/bin/env bash
# Run every benchmark in bench/ (each writes bench/RESULTS-<area>.md), then gather them into bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# `bash scripts/bench.sh --gather` only gathers the per-area results already written.
if [ "${1:-}" != "--gather" ]; then
  for b in bench/bench_*.py; do
    [ -e "$b" ] || continue
    echo "== $b" >&2
    .venv/bin/python "$b"
  done
fi
{
  echo "# Benchmark results"
  echo
  echo "Gathered by \`make bench\` from the per-area files below; each states its date, machine and command."
  for r in bench/RESULTS-*.md; do
    [ -e "$r" ] || continue
    echo
    sed 's/^#/##/' "$r"
  done
} > bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
