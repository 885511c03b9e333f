#!/bin/bash
# `eddy sim suite` as a CI product: a passing sweep and its JUnit report; failing runs (killed at a
# tiny --timeout) print one FAIL line each with the replay command, end with `failed=`, exit 1 and
# become <failure> elements; a planted bug's run fails with its replay line; a planted-bug sweep
# reports its catch rate and puts the caught violations (quotes and all) in the report; --random
# prints the seeds it drew. Every report is parsed by a real XML parser (python3's xml.etree).
# Usage: bash tests/sim_suite_test.sh build/eddy [python3]
set -euo pipefail
eddy=$1
python=${2:-/usr/bin/python3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

# A passing sweep.
"$eddy" sim suite --scenarios 'frame-*' --seeds 1-3 --jobs 2 --junit "$dir/pass.xml" > "$dir/pass.out" ||
    { cat "$dir/pass.out"; fail "a passing sweep exited non-zero"; }
tail -n 1 "$dir/pass.out" | grep -q '^passed=3 failed=0 ' || { cat "$dir/pass.out"; fail "last line"; }

# Failing runs: each child is killed at once.
if "$eddy" sim suite --scenario disk-durability --seeds 4-5 --jobs 2 --timeout 0.001 \
        --junit "$dir/fail.xml" > "$dir/fail.out"; then
    cat "$dir/fail.out"; fail "a failing sweep exited 0"
fi
for seed in 4 5; do
    grep -q "^FAIL scenario=disk-durability seed=$seed checker=wall-timeout .* replay: eddy sim run --scenario disk-durability --seed $seed --trace disk-durability-$seed.jsonl\$" "$dir/fail.out" ||
        { cat "$dir/fail.out"; fail "no FAIL line with its replay for seed $seed"; }
done
tail -n 1 "$dir/fail.out" | grep -q '^passed=0 failed=2 ' || { cat "$dir/fail.out"; fail "last line"; }

# A planted bug's run fails with its checker and prints how to replay it.
if "$eddy" sim run --scenario frame-echo --seed 1 --plant-bug reorder-responses > "$dir/run.out"; then
    cat "$dir/run.out"; fail "the planted bug was not caught on seed 1"
fi
grep -q '^scenario=frame-echo seed=1 plant_bug=reorder-responses result=fail checker=response-matches-request .*simulated_s=[0-9.]* wall_s=[0-9.]*' "$dir/run.out" ||
    { cat "$dir/run.out"; fail "result line"; }
grep -qx 'replay: eddy sim run --scenario frame-echo --seed 1 --plant-bug reorder-responses --trace frame-echo-1.jsonl' "$dir/run.out" ||
    { cat "$dir/run.out"; fail "replay line"; }
# A scenario that does not hunt the bug refuses it.
if "$eddy" sim run --scenario disk-durability --plant-bug reorder-responses 2> "$dir/err"; then
    fail "a bug planted in a scenario that does not hunt it was accepted"
fi

# A planted-bug sweep: the rate, and the caught violations in the report.
"$eddy" sim suite --plant-bug reorder-responses --seeds 1-3 --jobs 2 --junit "$dir/planted.xml" \
    > "$dir/planted.out" || { cat "$dir/planted.out"; fail "the planted bug sweep failed"; }
grep -q '^planted=reorder-responses caught=3/3 rate=100% ' "$dir/planted.out" ||
    { cat "$dir/planted.out"; fail "no rate line"; }
tail -n 1 "$dir/planted.out" | grep -q '^passed=1 failed=0 caught=3/3 ' ||
    { cat "$dir/planted.out"; fail "last line"; }

# --random: the seeds drawn are printed so that a failure can be replayed.
"$eddy" sim suite --scenarios frame-echo --random 2 --jobs 2 > "$dir/random.out" ||
    { cat "$dir/random.out"; fail "random sweep"; }
grep -Eq '^random seeds: [0-9]+,[0-9]+$' "$dir/random.out" || { cat "$dir/random.out"; fail "seeds"; }

"$python" - "$dir" <<'PY'
import sys, xml.etree.ElementTree as ET
d = sys.argv[1]
def load(name):
    root = ET.parse(f"{d}/{name}").getroot()  # raises on anything not well-formed
    assert root.tag == "testsuites", root.tag
    return root
r = load("pass.xml")
assert (r.get("tests"), r.get("failures")) == ("3", "0"), r.attrib
suite = r.find("testsuite")
assert suite.get("name") == "frame-echo", suite.attrib
assert [c.get("name") for c in suite.iter("testcase")] == ["seed=1", "seed=2", "seed=3"]
r = load("fail.xml")
assert (r.get("tests"), r.get("failures")) == ("2", "2"), r.attrib
for case in r.iter("testcase"):
    f = case.find("failure")
    assert f is not None and f.get("message") == "wall-timeout", ET.tostring(case)
    assert "replay: eddy sim run --scenario disk-durability --seed" in f.text, f.text
r = load("planted.xml")
suite = r.find("testsuite")
assert suite.get("name") == "frame-echo plant-bug=reorder-responses", suite.attrib
names = [c.get("name") for c in suite.iter("testcase")]
assert names == ["seed=1", "seed=2", "seed=3", "catch-rate"], names
outs = [c.findtext("system-out") for c in suite.iter("testcase") if c.find("system-out") is not None]
assert len(outs) == 3 and all("response-matches-request" in o and "'" in o for o in outs), outs
print("junit reports: well-formed, with the expected cases")
PY
echo "sim suite: ok"
