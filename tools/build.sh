#!/usr/bin/env bash
# The standard build: installs what is missing, then builds build/eddy (Release). Shares build/
# with tools/test.sh (same generator and options, tools/configure.sh), so either may come first.
# Usage: bash tools/build.sh   (from anywhere; needs root or sudo for apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
EDDY_WITH_CLIENTS=0 bash tools/install-deps.sh
bash tools/configure.sh build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
