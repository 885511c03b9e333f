#!/bin/bash
# `eddy sim viz elections`: a raft-quorum trace (and a controller-quorum one) becomes DOT with a lane per voter, leader boxes
# and follower edges, and an SVG through Graphviz; a file that is not a trace is refused with a
# one-line error. Usage: bash tests/sim_viz_test.sh build/eddy
set -euo pipefail
eddy=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$eddy" sim run --scenario raft-quorum --seed 11 --trace "$dir/t.jsonl" > /dev/null
"$eddy" sim viz elections "$dir/t.jsonl" > "$dir/e.dot"
grep -q '^digraph elections' "$dir/e.dot"
for v in voter-1 voter-2 voter-3; do grep -q "cluster_$v" "$dir/e.dot"; done
grep -q 'label="leader e1' "$dir/e.dot"
grep -q 'style=dashed' "$dir/e.dot"
if command -v dot > /dev/null; then
    "$eddy" sim viz elections "$dir/t.jsonl" -o "$dir/e.svg"
    grep -q '<svg' "$dir/e.svg"
else
    echo "graphviz not installed: SVG output not checked"
fi
# The controller quorum of a cluster scenario: real brokers' drivers emit the same events.
"$eddy" sim run --scenario controller-quorum --seed 3 --trace "$dir/c.jsonl" > /dev/null
"$eddy" sim viz elections "$dir/c.jsonl" > "$dir/c.dot"
for n in node-1 node-2 node-3; do grep -q "cluster_$n" "$dir/c.dot"; done
grep -q 'label="leader e' "$dir/c.dot"
grep -q 'label="prospective e' "$dir/c.dot"
echo 'not a trace' > "$dir/bad.jsonl"
if "$eddy" sim viz elections "$dir/bad.jsonl" 2> "$dir/err"; then
    echo "a file without events was accepted"; exit 1
fi
grep -q 'has no raft.role or fault events (1 lines skipped)' "$dir/err"
echo "sim viz: ok"
