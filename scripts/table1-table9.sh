#!/usr/bin/env bash
# Table 1 analogue (recommended sharing configs for 53 / 65 / 84 % of the layers) from the fig9 and fig3
# studies in the database, then Table 9's DS rows for the 53 % config on the tasks given (small subsets).
# Usage: scripts/table1-table9.sh [DB] [MODEL] [LIMIT] [TASK…]   (run from the repository root; no TASK: Table 1
# only — scripts/table2 runs the same DS evaluations at full size)
set -euo pipefail
DB=${1:-reports/lisa.sqlite}; MODEL=${2:-models/gemma-3-270m-q4_k_m.gguf}; LIMIT=${3:-30}; shift 3 || true
TASKS=("$@")
LISA=${LISA:-.build/release/lisa}
mkdir -p reports/table1 reports/table9
{
  echo "# Table 1 analogue — recommended sharing configurations ($(basename "$MODEL"))"
  echo
  echo "From \`lisa recommend --db $DB --target F\`: ranked by the fig9 study's first task (DS robustness per pair),"
  echo "rule 1 from the fig3 study's GSM8K S1 adjacent JSD (> 0.1 nats excluded), first two and last layer excluded."
  echo "Layers in the Table 1 column are 1-based; layer sources (LCKV style) are 0-based."
  echo
  for VARIANT in jsd plain; do
    if [ $VARIANT = jsd ]; then
      echo "## With rule 1's JSD exclusion (fig3 study, GSM8K S1 adjacent JSD > 0.1 nats)"; EXTRA=(); PREFIX=ds-jsd
    else
      echo '## Without the JSD exclusion (`--jsd-study none`: only the first two and the last layer excluded)'; EXTRA=(--jsd-study none); PREFIX=ds
    fi
    echo
    echo "| target | config (1-based layers) | layer sources (0-based) | notes |"
    echo "|---|---|---|---|"
    for F in 0.53 0.65 0.84; do
      N=$(python3 -c "print(round($F*18))")
      ERR=$("$LISA" recommend "$MODEL" --db "$DB" --target "$F" "${EXTRA[@]}" --out "reports/table1/$PREFIX-$F.json" 2>&1 >/dev/null)
      ENTRY=$(echo "$ERR" | sed -n 's/^ranked by [^;]*; \(.*\) of [0-9]* layers.*/\1/p')
      NOTE=$(echo "$ERR" | grep -o '(target [0-9]* not reachable[^)]*)' || true)
      SRC=$(echo "$ERR" | sed -n 's/^layer sources (0-based, LCKV style): //p')
      echo "| $F ($N layers) | $ENTRY | \`$SRC\` | $NOTE |"
    done
    echo
  done
  echo
  echo "Per-layer reasons are in each config's \`reason\` field (reports/table1/ds-*.json)."
} > reports/table1/report.md
[ ${#TASKS[@]} -gt 0 ] || { echo "wrote reports/table1 (no TASK given: no Table 9 runs)"; exit 0; }
# The all-standard baseline of each task comes from any finished run in the database with the same
# task, shots, seed and limit (e.g. the fig9 study's baseline unit: PIQA, 30, seed 1234); BASELINE=1 runs one.
for T in "${TASKS[@]}"; do
  if [ "${BASELINE:-0}" = 1 ]; then "$LISA" eval "$MODEL" --task "$T" --limit "$LIMIT" --db "$DB" >/dev/null; fi
  "$LISA" eval "$MODEL" --task "$T" --limit "$LIMIT" --db "$DB" --sharing reports/table1/ds-0.53.json >/dev/null
done
"$LISA" table9 --db "$DB" --sharing reports/table1/ds-0.53.json --model "$MODEL" --out reports/table9/table.md
