#!/usr/bin/env bash
# Installs the Debian bookworm packages Eddy needs to build, test and run. Safe to run again: it
# does nothing when everything is already there. Needs root (or sudo).
# Usage: bash tools/install-deps.sh   (EDDY_WITH_CLIENTS=0: without the Kafka clients, Node.js and
#        Chromium, as tools/build.sh runs it)
set -euo pipefail

packages=(
    # build
    g++ cmake ninja-build pkg-config
    # libraries (DESIGN.md: fibers, TLS, the four Kafka codecs, CLI, tests)
    libboost-context-dev libssl-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
    libcli11-dev doctest-dev librapidcheck-dev
    # HTTP parsing (Boost.Beast, headers of libboost1.74-dev) and JSON for the admin API
    libboost-dev nlohmann-json3-dev
    # tools: election pictures, fuzzing
    graphviz clang libclang-rt-14-dev
)
if [ "${EDDY_WITH_CLIENTS:-1}" = 1 ]; then
    # real Kafka clients for the integration tests (kafkajs comes from npm, below)
    # (python3-snappy/-lz4/-zstandard give kafka-python its snappy, lz4 and zstd codecs)
    # (librdkafka-dev builds bench/'s eddy-loadgen, the load generator of the bench_produce test)
    packages+=(kcat python3 python3-confluent-kafka python3-kafka
               python3-snappy python3-lz4 python3-zstandard librdkafka-dev)
    # headless Chromium: the sim_viz_screenshot test screenshots the election picture's HTML view
    packages+=(chromium)
    # the openssl CLI: the TLS, SASL_SSL and ACL integration tests make their certificates with it
    packages+=(openssl)
    # the admin API test parses /metrics with the Prometheus client's text-format parser, and
    # reaches the https admin listener with curl as an operator would
    packages+=(python3-prometheus-client curl)
    # the packaging tests: systemd-analyze verifies the unit, python3-yaml reads the Kubernetes
    # manifests (tests/packaging/)
    packages+=(systemd python3-yaml)
    # Node.js and npm for kafkajs: Debian's (bookworm: nodejs 18, npm 9, two packages) only
    # when the machine has none. A Node.js from elsewhere (e.g. NodeSource's nodejs 20, which
    # bundles npm) is kept: Debian's npm package conflicts with it.
    if ! command -v node > /dev/null; then
        packages+=(nodejs)
    fi
    if ! command -v npm > /dev/null; then
        packages+=(npm)
    fi
fi

# kafkajs 2.2.4 for tests/integration (pinned by its package-lock.json), with the machine's npm.
install_kafkajs() {
    local dir
    dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/js"
    if grep -qs '"version": "2.2.4"' "$dir/node_modules/kafkajs/package.json"; then
        return 0
    fi
    if ! command -v npm > /dev/null; then
        echo "install-deps: npm not found: kafkajs is not installed and the integration_kafkajs" \
             "test will fail (install Node.js with npm, then run: npm ci in $dir)" >&2
        return 0
    fi
    echo "installing kafkajs (npm ci in $dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
        echo "install-deps: npm ci failed in $dir: the integration_kafkajs test will fail" >&2
}

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    if [ "${EDDY_WITH_CLIENTS:-1}" = 1 ]; then install_kafkajs; fi
    exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    sudo="sudo"
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
if [ "${EDDY_WITH_CLIENTS:-1}" = 1 ]; then install_kafkajs; fi
