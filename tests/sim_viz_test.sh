#!/bin/bash
# `eddy sim viz elections` (runtime/election_viz.h). Usage: bash tests/sim_viz_test.sh build/eddy [svg|screenshot]
#  svg:        a 5-node Kafka cluster's trace (replication-failover) becomes an SVG that is valid
#              XML, has one lane per node labeled with its name, a lane per topic-partition, and a
#              time axis whose ticks' x positions are proportional to their time labels; a
#              raft-quorum trace draws votes and leader epochs; .dot keeps the Graphviz form; a
#              malformed line is refused with its line number.
#  screenshot: the HTML page of the same trace in headless Chromium: a 1600x900 PNG with the
#              picture on it (many colors, the leader and follower colors among them), and a
#              mouseover on a span fills the info box with its event's fields. Exits 77 (ctest:
#              skipped) when Chromium is not installed.
set -euo pipefail
eddy=$1
mode=${2:-svg}
python=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# A 5-node trace: the scenario picks 3-5 nodes by seed; take the first seed giving 5.
five_nodes() {
    for seed in 3 1 2 4 5 6 7 8 9 10 11 12 13 14 15 16; do
        "$eddy" sim run --scenario replication-failover --seed "$seed" --trace "$dir/k.jsonl" > /dev/null
        n=$(grep '"k":"raft.role"' "$dir/k.jsonl" | grep -o '"n":"[^"]*"' | sort -u | wc -l)
        if [ "$n" = 5 ]; then
            echo "replication-failover seed $seed: 5 nodes"
            return 0
        fi
    done
    echo "no replication-failover seed in 1-16 gave 5 nodes"
    return 1
}

if [ "$mode" = screenshot ]; then
    chromium=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$chromium" ]; then
        echo "SKIPPED: chromium is not installed (tools/install-deps.sh installs it with the test tools)"
        exit 77
    fi
    five_nodes
    "$eddy" sim viz elections "$dir/k.jsonl" -o "$dir/k.html"
    grep -q 'data-ev=' "$dir/k.html"
    grep -q '<script>' "$dir/k.html"
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$dir/chromium" --screenshot="$dir/k.png" --window-size=1600,900 \
        "file://$dir/k.html" > "$dir/chromium.log" 2>&1 || { cat "$dir/chromium.log"; exit 1; }
    if [ -n "${EDDY_VIZ_KEEP:-}" ]; then cp "$dir/k.html" "$dir/k.png" "$EDDY_VIZ_KEEP"/; fi
    "$python" - "$dir/k.png" <<'PY'
# The PNG decoded by hand (no PIL): size, and the picture really drawn on it.
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    pos += 12 + n
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat += body
assert (w, h) == (1600, 900), f'screenshot is {w}x{h}, not 1600x900'
assert depth == 8 and ctype in (2, 6) and interlace == 0, f'unexpected PNG format {depth}/{ctype}'
bpp = 3 if ctype == 2 else 4
stride = w * bpp
raw = zlib.decompress(idat)
assert len(raw) == h * (stride + 1), 'truncated image data'
prev, off, colors, count = bytearray(stride), 0, set(), {}
for y in range(h):  # undo the PNG filters (RFC 2083 6.2)
    f, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
    off += 1 + stride
    if f == 1:
        for i in range(bpp, stride):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for i in range(stride):
            line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif f == 4:
        for i in range(stride):
            a, b = (line[i - bpp] if i >= bpp else 0), prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 3 == 0:
        for x in range(0, stride, bpp * 2):
            rgb = bytes(line[x:x + 3])
            colors.add(rgb)
            count[rgb] = count.get(rgb, 0) + 1
    prev = line
total = sum(count.values())
white = count.get(b'\xff\xff\xff', 0)
leader, follower = count.get(bytes.fromhex('1a9641'), 0), count.get(bytes.fromhex('abd9e9'), 0)
print(f'screenshot {w}x{h}: {len(colors)} colors, {100 * (total - white) / total:.0f}% not white, '
      f'leader {leader} follower {follower} samples')
assert len(colors) >= 50, 'too few colors: blank or broken page'
assert (total - white) / total > 0.10, 'mostly white: the picture did not render'
assert leader > 100 and follower > 1000, 'the role colors are not on the screenshot'
PY
    # Hovering: a mouseover on a role span fills the info box with its event's fields.
    sed 's#</body>#<script>document.querySelector("rect.role[data-ev]").dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));</script></body>#' \
        "$dir/k.html" > "$dir/hover.html"
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$dir/chromium" \
        --dump-dom "file://$dir/hover.html" > "$dir/hover.dom" 2> "$dir/chromium.log" ||
        { cat "$dir/chromium.log"; exit 1; }
    grep -A8 '<div id="info">' "$dir/hover.dom" | grep -q '^k  *raft.role$' ||
        { echo "hovering a span did not list its event's fields"; grep -A6 'id="info"' "$dir/hover.dom"; exit 1; }
    echo "sim viz screenshot: ok"
    exit 0
fi

# An SVG of a 5-node Kafka cluster, checked as XML.
five_nodes
"$eddy" sim viz elections "$dir/k.jsonl" -o "$dir/k.svg"
if [ -n "${EDDY_VIZ_KEEP:-}" ]; then cp "$dir/k.svg" "$dir/k.jsonl" "$EDDY_VIZ_KEEP"/; fi
"$python" - "$dir/k.svg" "$dir/k.jsonl" <<'PY'
import json, re, sys
import xml.etree.ElementTree as ET
svg_ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == svg_ns + 'svg', root.tag
width = float(root.get('width'))
assert 1000 <= width <= 2000, f'width {width}'
nodes = set()
for line in open(sys.argv[2]):
    e = json.loads(line)
    if e['k'] == 'raft.role':
        nodes.add(e['n'])
lanes = [g for g in root.iter(svg_ns + 'g') if g.get('class') == 'lane']
names = [''.join(t.itertext()) for g in lanes for t in g.iter(svg_ns + 'text')
         if t.get('class') == 'lane-label']
assert len(lanes) == 5 and sorted(names) == sorted(nodes), f'lanes {names}, nodes {nodes}'
ticks = []
for g in root.iter(svg_ns + 'g'):
    if g.get('class') == 'tick':
        x = float(g.find(svg_ns + 'line').get('x1'))
        label = ''.join(g.find(svg_ns + 'text').itertext())
        m = re.fullmatch(r'([0-9.]+) s', label)
        assert m, f'tick label {label!r}'
        ticks.append((float(m.group(1)), x))
assert len(ticks) >= 5, f'{len(ticks)} ticks'
(t0, x0), (t1, x1) = ticks[0], ticks[-1]
assert t0 == 0 and x1 > x0 and 0 <= x0 and x1 <= width
scale = (x1 - x0) / (t1 - t0)
for t, x in ticks:
    assert abs((x - x0) - (t - t0) * scale) <= 0.15, f'tick {t} s at x={x}: not to scale'
assert all(b[1] > a[1] for a, b in zip(ticks, ticks[1:])), 'ticks not increasing'
# The whole run fits: the last event's time is inside the plot.
end_s = max(int(json.loads(l)['t']) for l in open(sys.argv[2])) / 1e9
assert x0 + end_s * scale <= width, 'the run does not fit the width'
parts = [g for g in root.iter(svg_ns + 'g') if g.get('class') == 'partition']
leaders = [r for g in parts for r in g.iter(svg_ns + 'rect') if r.get('class') == 'leader']
assert parts and leaders, 'no topic-partition lanes with leader spans'
roles = [r for r in root.iter(svg_ns + 'rect') if r.get('class') == 'role']
assert any(r.get('data-role') == 'leader' for r in roles), 'no leader span'
print(f'svg: 5 lanes {sorted(names)}, {len(ticks)} ticks at {scale:.2f} px/s, '
      f'{len(parts)} topic-partitions, {len(roles)} role spans')
PY

# raft-quorum: votes (granted and refused) and the leader's epoch on its span.
"$eddy" sim run --scenario raft-quorum --seed 11 --trace "$dir/t.jsonl" > /dev/null
"$eddy" sim viz elections "$dir/t.jsonl" > "$dir/t.svg"
"$python" - "$dir/t.svg" <<'PY'
import sys
import xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
votes = [l for l in root.iter(ns + 'line') if l.get('class') == 'vote']
assert any(v.get('data-granted') == '1' for v in votes), 'no granted vote drawn'
epochs = [''.join(t.itertext()) for t in root.iter(ns + 'text') if t.get('class') == 'epoch']
assert any(e.startswith('leader e') or e.startswith('e') for e in epochs), 'no epoch on a leader'
print(f'raft-quorum: {len(votes)} votes, epochs {epochs[:4]}...')
PY

# controller-quorum: prospective (pre-vote) spans.
"$eddy" sim run --scenario controller-quorum --seed 3 --trace "$dir/c.jsonl" > /dev/null
"$eddy" sim viz elections "$dir/c.jsonl" -o "$dir/c.svg"
grep -q 'data-role="prospective"' "$dir/c.svg"

# .dot keeps Graphviz's chain of boxes.
"$eddy" sim viz elections "$dir/t.jsonl" -o "$dir/t.dot"
grep -q '^digraph elections' "$dir/t.dot"
grep -q 'label="leader e' "$dir/t.dot"
if command -v dot > /dev/null; then
    dot -Tsvg "$dir/t.dot" -o "$dir/t-dot.svg"
fi

# Refusals: a malformed line names its line; a file with nothing to draw; an unknown format.
{ head -3 "$dir/t.jsonl"; echo '{"t":5,"k":"raft.role",'; } > "$dir/bad.jsonl"
if "$eddy" sim viz elections "$dir/bad.jsonl" -o "$dir/bad.svg" 2> "$dir/err"; then
    echo "a malformed trace was accepted"; exit 1
fi
grep -q 'bad.jsonl:4: ' "$dir/err" || { cat "$dir/err"; exit 1; }
[ "$(wc -l < "$dir/err")" = 1 ]
echo '{"t":5,"n":"x","k":"log.synced"}' > "$dir/empty.jsonl"
if "$eddy" sim viz elections "$dir/empty.jsonl" 2> "$dir/err"; then
    echo "a trace with nothing to draw was accepted"; exit 1
fi
grep -q 'has no raft.role, partition.leader or fault events (1 lines)' "$dir/err"
if "$eddy" sim viz elections "$dir/t.jsonl" -o "$dir/t.png" 2> "$dir/err"; then
    echo "-o .png was accepted"; exit 1
fi
grep -q 'must end in .svg, .html or .dot' "$dir/err"
echo "sim viz: ok"
