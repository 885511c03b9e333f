#!/bin/bash
# `eddy sim shrink` and fault-schedule replay:
# - a run replayed from its own recorded schedule (`--write-faults` then `--faults`) is the drawn
#   run again: same result, same checker, same trace hash, for cluster and client scenarios over
#   several seeds, planted bugs included; and the replay records the same schedule again;
# - a planted-bug run that fails (log-crash-recovery, seed 4: the log acknowledges appends before
#   they are synced, and a crash loses them) shrinks to a smaller fault schedule (fewer faults or
#   a shorter fault phase), and the replay command it prints fails with the same checker;
# - a cluster run (replication-failover with ack-before-replicate) shrinks too, within a few runs;
# - a `size` line makes a replayed run smaller (and faults naming a node it lacks are dropped);
# - a malformed schedule file is refused.
# Usage: bash tests/sim_shrink_test.sh build/eddy
set -euo pipefail
eddy=$(realpath "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

# The result and trace hash of a run's output line.
verdict() { grep -oE 'result=[a-z]+( checker=[^ ]+)? trace_hash=[0-9a-f]+' "$1"; }

# Replays are the drawn runs again.
while read -r scenario seed bug; do
    plant=()
    [ "$bug" != "-" ] && plant=(--plant-bug "$bug")
    "$eddy" sim run --scenario "$scenario" --seed "$seed" "${plant[@]}" --write-faults drawn.faults \
        > drawn.txt || true
    "$eddy" sim run --scenario "$scenario" --seed "$seed" "${plant[@]}" --faults drawn.faults \
        --write-faults again.faults > again.txt || true
    a=$(verdict drawn.txt); b=$(verdict again.txt)
    echo "$scenario seed=$seed bug=$bug drawn: $a replayed: $b"
    if [ -z "$a" ] || [ "$a" != "$b" ]; then
        echo "the replay of $scenario seed $seed differs from the drawn run"; exit 1
    fi
    cmp drawn.faults again.faults
done <<'RUNS'
replication-failover 1 -
replication-failover 2 ack-before-replicate
replication-failover-epochs 3 truncate-without-epoch
replication-reassign 1 -
controller-quorum 2 -
controller-quorum 1 vote-before-sync
group-rebalance 5 accept-fenced-commit
raft-quorum 1 vote-ignores-log
raft-quorum-leader-isolation 2 -
idempotent-produce 2 -
log-crash-recovery 5 -
log-crash-recovery 4 ack-before-sync
RUNS

"$eddy" sim shrink --scenario log-crash-recovery --seed 4 --planted-bug -o small.faults > out.txt
cat out.txt
line=$(grep '^shrunk: ' out.txt)
before=$(echo "$line" | sed -E 's/^shrunk: faults ([0-9]+) -> ([0-9]+), fault phase ([0-9.]+) s -> ([0-9.]+) s.*/\1 \2 \3 \4/')
read -r n m p q <<< "$before"
if ! { [ "$m" -lt "$n" ] || awk "BEGIN { exit !($q < $p) }"; }; then
    echo "nothing shrank: $line"; exit 1
fi
test -s small.faults
grep -q '^phase start_us=' small.faults
[ "$(grep '^fault ' small.faults | grep -vc 'kind=wake')" -eq "$m" ]

# The printed replay command fails with the same checker.
replay=$(grep '^replay: eddy ' out.txt | sed 's/^replay: eddy //')
set +e
"$eddy" $replay > replay.txt
code=$?
set -e
cat replay.txt
[ "$code" -eq 1 ]
grep -q 'result=fail checker=acked-survive' replay.txt

# A cluster run shrinks: replication-failover seed 1 with acks=all answered before replication.
# Its recorded schedule replays it bit for bit, and a few runs find fewer faults that still lose
# an acknowledged write.
"$eddy" sim shrink --scenario replication-failover --seed 1 --plant-bug ack-before-replicate \
    --max-runs 10 -o cluster.faults > cluster.txt
cat cluster.txt
grep -q 'the recorded schedule replays the drawn run bit for bit' cluster.txt
line=$(grep '^shrunk: ' cluster.txt)
read -r n m <<< "$(echo "$line" | sed -E 's/^shrunk: faults ([0-9]+) -> ([0-9]+),.*/\1 \2/')"
[ "$m" -lt "$n" ] || { echo "the cluster run did not shrink: $line"; exit 1; }
[ "$(grep '^fault ' cluster.faults | grep -vc 'kind=wake')" -eq "$m" ]
replay=$(grep '^replay: eddy ' cluster.txt | sed 's/^replay: eddy //')
set +e
"$eddy" $replay > replay.txt
code=$?
set -e
[ "$code" -eq 1 ]
grep -q 'result=fail checker=acked-writes-survive' replay.txt

# A size line makes the run smaller: seed 3 runs 5 nodes; replayed with 3, the faults naming
# node-4 or node-5 are dropped and the run records the size it took.
"$eddy" sim run --scenario replication-failover --seed 3 --write-faults big.faults > /dev/null
grep -q '^size .*nodes=5' big.faults
grep -q 'node-[45]' big.faults
sed -E 's/^size .*/size consumers=1 nodes=3 producers=1/' big.faults > sized.faults
"$eddy" sim run --scenario replication-failover --seed 3 --faults sized.faults \
    --write-faults took.faults > small.txt
grep -q 'message="3 nodes' small.txt
grep -q '^size consumers=1 nodes=3 producers=1$' took.faults
if grep -q 'node-[45]' took.faults; then echo "a fault names a node the run lacks"; exit 1; fi

# A recorded schedule replays: written by one run, taken by the next, written again the same.
"$eddy" sim run --scenario log-crash-recovery --seed 3 --write-faults a.faults > /dev/null
grep -q '^fault .*kind=crash' a.faults
"$eddy" sim run --scenario log-crash-recovery --seed 3 --faults a.faults --write-faults b.faults \
    > /dev/null
cmp a.faults b.faults

# A file that is not a schedule is refused with a one-line error and exit code 2.
echo 'garbage' > bad.faults
set +e
"$eddy" sim run --scenario log-crash-recovery --seed 3 --faults bad.faults 2> err.txt
code=$?
set -e
[ "$code" -eq 2 ]
grep -q 'bad.faults' err.txt
echo "sim shrink: ok"
