// Result<T, E>: a value or a module-owned error enum. Used for environment errors (disk, network,
// timeouts, cancellation); programmer errors are ASSERTs and Kafka outcomes are response data
// (STYLE.md "Errors — three kinds"). Small on purpose: std::expected is C++23 and clang 14 (the
// fuzzing compiler) cannot use libstdc++'s.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "core/base/assert.h"

namespace eddy {

template <typename E>
struct Err {
    E error;
};
template <typename E>
Err(E) -> Err<E>;

// fail(e) builds the error side: `return fail(DiskError::io_error);`
template <typename E>
constexpr Err<E> fail(E e) {
    return Err<E>{e};
}

template <typename T, typename E>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
    Result(Err<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT
    template <typename U>
        requires(!std::is_same_v<U, E> && std::is_convertible_v<U, E>)
    Result(Err<U> e) : v_(std::in_place_index<1>, E(std::move(e.error))) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        ASSERT(ok(), "Result::value() on an error");
        return std::get<0>(v_);
    }
    const T& value() const& {
        ASSERT(ok(), "Result::value() on an error");
        return std::get<0>(v_);
    }
    // By value, not T&&: `for (auto& x : f().value())` must not dangle when f() returns a
    // temporary Result.
    T value() && {
        ASSERT(ok(), "Result::value() on an error");
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    E error() const {
        ASSERT(!ok(), "Result::error() on a value");
        return std::get<1>(v_);
    }

private:
    std::variant<T, E> v_;
};

template <typename E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    Result(Err<E> e) : ok_(false), e_(std::move(e.error)) {}  // NOLINT: implicit on purpose
    template <typename U>
        requires(!std::is_same_v<U, E> && std::is_convertible_v<U, E>)
    Result(Err<U> e) : ok_(false), e_(E(std::move(e.error))) {}  // NOLINT

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    void value() const { ASSERT(ok_, "Result::value() on an error"); }
    E error() const {
        ASSERT(!ok_, "Result::error() on a value");
        return e_;
    }

private:
    bool ok_ = true;
    E e_{};
};

}  // namespace eddy

// TRY(expr): evaluate a Result; on error return its error from the enclosing function.
#define EDDY_CONCAT_INNER(a, b) a##b
#define EDDY_CONCAT(a, b) EDDY_CONCAT_INNER(a, b)
#define TRY_VOID(expr)                                          \
    do {                                                        \
        auto eddy_try_r_ = (expr);                              \
        if (!eddy_try_r_.ok()) {                                \
            return ::eddy::fail(eddy_try_r_.error());           \
        }                                                       \
    } while (false)
// TRY_ASSIGN(auto x, expr): declare x from a Result's value or return its error.
#define TRY_ASSIGN(decl, expr)                                                  \
    auto EDDY_CONCAT(eddy_try_, __LINE__) = (expr);                             \
    if (!EDDY_CONCAT(eddy_try_, __LINE__).ok()) {                               \
        return ::eddy::fail(EDDY_CONCAT(eddy_try_, __LINE__).error());          \
    }                                                                           \
    decl = std::move(EDDY_CONCAT(eddy_try_, __LINE__)).value()
