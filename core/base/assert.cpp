#include "core/base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace eddy::detail {

// Writing to stderr here is the one OS call core/ makes on its own: a broken invariant has no Env
// to report through, and the process is about to die anyway.
void assert_failed(const char* expr, const char* file, int line, const char* msg) {
    std::fprintf(stderr, "eddy: assertion failed: %s at %s:%d%s%s\n", expr, file, line,
                 msg != nullptr ? ": " : "", msg != nullptr ? msg : "");
    std::fflush(stderr);
    std::abort();
}

}  // namespace eddy::detail
