// FileImage: the bytes of one simulated file (SimDisk), kept in chunks so that a growing file is
// never copied. A contiguous buffer that doubles copies the whole file at each regrowth, and once
// it is big each fresh allocation also pays a page fault per page: most of the simulator's time
// under a steady produce load, whose log segments grow to tens of megabytes.
//
// Every chunk but the last holds chunk_bytes; the last holds the rest (never zero bytes). The
// first chunk grows as a file that stays small needs, later ones take chunk_bytes at once.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/bytes.h"

namespace eddy::sim {

class FileImage {
public:
    static constexpr uint64_t chunk_bytes = uint64_t{64} << 10;

    uint64_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // Growth reads as zeros.
    void resize(uint64_t size);
    // Writes `data` at `offset`, growing the file as needed; a hole between the old end and
    // `offset` reads as zeros.
    void write(uint64_t offset, ByteSpan data);
    // Copies out [offset, offset + out.size()), which lies within the file.
    void read(uint64_t offset, MutableByteSpan out) const;
    Bytes copy(uint64_t offset, uint64_t length) const;
    Bytes bytes() const { return copy(0, size_); }
    std::byte& at(uint64_t offset);

private:
    // Appends `n` bytes: from `data`, or zeros when it is null.
    void append(const std::byte* data, uint64_t n);

    std::vector<Bytes> chunks_;
    uint64_t size_ = 0;
};

}  // namespace eddy::sim
