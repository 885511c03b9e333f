// Always-on assertions. A failed ASSERT is a programmer error: it prints where and why, then
// aborts. Nothing catches it, and release builds keep it (TigerBeetle's rule: an invariant that
// only holds in debug builds is not an invariant).
#pragma once

namespace eddy::detail {
[[noreturn]] void assert_failed(const char* expr, const char* file, int line, const char* msg);
}  // namespace eddy::detail

#define EDDY_ASSERT_1(expr)                                                   \
    do {                                                                      \
        if (!(expr)) [[unlikely]] {                                           \
            ::eddy::detail::assert_failed(#expr, __FILE__, __LINE__, nullptr); \
        }                                                                     \
    } while (false)
#define EDDY_ASSERT_2(expr, msg)                                          \
    do {                                                                  \
        if (!(expr)) [[unlikely]] {                                       \
            ::eddy::detail::assert_failed(#expr, __FILE__, __LINE__, msg); \
        }                                                                 \
    } while (false)
#define EDDY_ASSERT_PICK(_1, _2, name, ...) name
// ASSERT(cond) or ASSERT(cond, "why this must hold").
#define ASSERT(...) EDDY_ASSERT_PICK(__VA_ARGS__, EDDY_ASSERT_2, EDDY_ASSERT_1, unused)(__VA_ARGS__)
#define UNREACHABLE(msg) ::eddy::detail::assert_failed("unreachable", __FILE__, __LINE__, msg)
