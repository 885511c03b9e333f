#!/usr/bin/env bash
# The layering lint (DESIGN.md §2): every arrow points toward core/.
#  - core/ and services/ reach the world only through Env: no real clocks, threads, rand,
#    sockets, files, environment variables, and no includes of sim/, runtime/, net-posix/,
#    storage-posix/ or scenarios/.
#  - sim/ may not read real clocks, start threads or call rand (it is deterministic), and may not
#    include services/, runtime/ or scenarios/.
#  - net-posix/ and storage-posix/ include only core/ of the project.
# Exits non-zero and prints every offending line.
# Usage: tools/lint-layering.sh [ROOT]   (ROOT defaults to the repository)
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2

status=0
check() {  # check DESCRIPTION REGEX DIRS...
    local what=$1 regex=$2
    shift 2
    local hits
    hits=$(grep -rnE --include='*.h' --include='*.cpp' "$regex" "$@" 2>/dev/null |
           grep -vE '//.*lint-ok' || true)
    if [ -n "$hits" ]; then
        echo "layering: $what:"
        echo "$hits" | sed 's/^/  /'
        status=1
    fi
}

os_time='(system_clock|steady_clock|high_resolution_clock)::now|[^_a-z]time\(nullptr\)|gettimeofday|clock_gettime|<ctime>|<sys/time\.h>'
os_threads='std::thread|std::jthread|std::async|pthread_create|<thread>|<pthread\.h>'
os_random='std::random_device|[^_a-zA-Z.>]s?rand\(|getrandom|<random>'
os_io='<sys/socket\.h>|<netinet/|<arpa/inet\.h>|<sys/epoll\.h>|<unistd\.h>|<fcntl\.h>|<fstream>|fopen\(|<filesystem>|<dirent\.h>|<sys/stat\.h>|getenv\('
project_outer='#include "(sim|runtime|net-posix|storage-posix|scenarios)/'

check "real clock in core/ or services/" "$os_time" core services
check "threads in core/ or services/" "$os_threads" core services
check "rand in core/ or services/" "$os_random" core services
check "OS I/O or environment in core/ or services/" "$os_io" core services
check "core/ or services/ include an outer layer" "$project_outer" core services
check "core/ includes services/" '#include "services/' core
check "real clock in sim/" "$os_time" sim
check "threads in sim/" "$os_threads" sim
check "rand in sim/" "$os_random" sim
check "OS I/O in sim/" "$os_io" sim
check "sim/ includes an outer layer" '#include "(services|runtime|net-posix|storage-posix|scenarios)/' sim
check "posix adapters include more than core/" '#include "(sim|services|runtime|scenarios)/' net-posix storage-posix
check "unordered container iterated in deterministic code (use std::map or a sorted vector)" 'for \(.*: *[a-z_]*unordered' core services sim

if [ $status -eq 0 ]; then
    echo "layering: ok"
fi
exit $status
