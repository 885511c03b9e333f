#!/usr/bin/env bash
# Proves the layering lint bites: each planted violation must make it fail.
# Usage: bash tools/lint-layering-bites.sh
set -u
lint="$(cd "$(dirname "$0")" && pwd)/lint-layering.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
plant() {  # plant DIR CODE
    rm -rf "$tmp"/*
    mkdir -p "$tmp/core" "$tmp/services" "$tmp/sim" "$tmp/net-posix" "$tmp/storage-posix"
    printf '%s\n' "$2" > "$tmp/$1/planted.cpp"
    if bash "$lint" "$tmp" > /dev/null; then
        echo "lint missed: $1: $2"
        failures=$((failures + 1))
    fi
}
plant core 'auto t = std::chrono::steady_clock::now();'
plant services '#include <thread>'
plant services 'int r = rand();'
plant core '#include <sys/socket.h>'
plant services 'const char* h = getenv("HOME");'
plant services '#include "sim/world.h"'
plant sim 'std::random_device rd;'
plant sim 'auto t = std::chrono::system_clock::now();'
plant net-posix '#include "services/net/frame_server.h"'
rm -rf "$tmp"/*
mkdir -p "$tmp/core"
printf '%s\n' 'int x = 1;' > "$tmp/core/clean.cpp"
if ! bash "$lint" "$tmp" > /dev/null; then
    echo "lint failed a clean tree"
    failures=$((failures + 1))
fi
if [ $failures -ne 0 ]; then
    exit 1
fi
echo "layering lint catches every planted violation"
