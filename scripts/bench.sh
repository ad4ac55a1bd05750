#!/usr/bin/env bash
# Run every benchmark in bench/ (each writes bench/RESULTS-<area>.md), then gather them into bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# `bash scripts/bench.sh --gather` only gathers the per-area results already written.
if [ "${1:-}" != "--gather" ]; then
  for b in bench/bench_*.py; do
    [ -e "$b" ] || continue
    echo "== $b" >&2
    if [ "$b" = bench/bench_pypsa.py ] && ! .venv/bin/python -c 'import pypsa' 2>/dev/null; then
      if [ -x /tmp/pypsa-venv/bin/python ]; then /tmp/pypsa-venv/bin/python "$b"
      else echo "skipped $b: PyPSA runs in a throwaway venv (see the file's docstring)" >&2; fi
      continue
    fi
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
