// JsonCursor: a cursor over a text with the few JSON productions Eddy's small strict readers
// need (the quorum-state file, kafka-reassign-partitions' JSON): punctuation, integers without
// fraction or exponent, strings of printable ASCII without escapes. Every method consumes leading
// JSON whitespace, returns nullopt/false without consuming on a mismatch, and never reads past
// the end; nothing recurses, so the text's nesting cannot exhaust the stack. The readers built on
// it accept one fixed shape and name what is wrong with anything else.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy {

class JsonCursor {
public:
    explicit JsonCursor(std::string_view text) : s_(text) {}

    bool punct(char c) {
        skip_ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    // An integer: -?(0|[1-9][0-9]*), at most 19 digits, no fraction or exponent.
    std::optional<int64_t> integer() {
        skip_ws();
        const size_t start = i_;
        size_t j = i_;
        if (j < s_.size() && s_[j] == '-') {
            ++j;
        }
        const size_t digits_start = j;
        while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9') {
            ++j;
        }
        const size_t digits = j - digits_start;
        if (digits == 0 || digits > 19 || (digits > 1 && s_[digits_start] == '0')) {
            return std::nullopt;
        }
        if (j < s_.size() && (s_[j] == '.' || s_[j] == 'e' || s_[j] == 'E')) {
            return std::nullopt;
        }
        int64_t v = 0;
        auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + j, v);
        if (ec != std::errc() || end != s_.data() + j) {
            return std::nullopt;  // out of range
        }
        i_ = j;
        return v;
    }
    // A string of printable ASCII without escapes.
    std::optional<std::string> string() {
        skip_ws();
        if (i_ >= s_.size() || s_[i_] != '"') {
            return std::nullopt;
        }
        size_t j = i_ + 1;
        while (j < s_.size() && s_[j] != '"') {
            const char c = s_[j];
            if (c < 0x20 || c > 0x7e || c == '\\') {
                return std::nullopt;
            }
            ++j;
        }
        if (j >= s_.size()) {
            return std::nullopt;
        }
        std::string out(s_.substr(i_ + 1, j - i_ - 1));
        i_ = j + 1;
        return out;
    }
    bool at_end() {
        skip_ws();
        return i_ == s_.size();
    }
    // Bytes consumed so far.
    size_t position() const { return i_; }
    // "line L, column C" (both from 1) of the next token, for people editing the text.
    std::string line_and_column() {
        skip_ws();
        size_t line = 1;
        size_t column = 1;
        for (size_t k = 0; k < i_; ++k) {
            if (s_[k] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        return "line " + std::to_string(line) + ", column " + std::to_string(column);
    }

private:
    void skip_ws() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
            ++i_;
        }
    }
    std::string_view s_;
    size_t i_ = 0;
};

}  // namespace eddy
