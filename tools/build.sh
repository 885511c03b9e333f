#!/usr/bin/env bash
# The standard build: installs what is missing, then builds build/eddy (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
EDDY_WITH_CLIENTS=0 bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j"$(nproc)"
