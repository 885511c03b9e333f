#!/usr/bin/env bash
# Installs the Debian bookworm packages Eddy needs to build, test and run. Safe to run again: it
# does nothing when everything is already there. Needs root (or sudo).
set -euo pipefail

packages=(
    # build
    g++ cmake ninja-build pkg-config
    # libraries (DESIGN.md: fibers, TLS, the four Kafka codecs, CLI, tests)
    libboost-context-dev libssl-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
    libcli11-dev doctest-dev librapidcheck-dev
    # tools: election pictures, fuzzing
    graphviz clang libclang-rt-14-dev
)
if [ "${EDDY_WITH_CLIENTS:-1}" = 1 ]; then
    # real Kafka clients for the integration tests (kafkajs comes from npm with the machine's
    # Node.js; Debian's npm package conflicts with it, so it is not installed here)
    packages+=(kcat python3 python3-confluent-kafka python3-kafka)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
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
