#include "sim/file_image.h"

#include <algorithm>
#include <cstring>

#include "core/base/assert.h"

namespace eddy::sim {

namespace {

// Calls f(bytes, done, n) for each chunk's piece of [offset, offset + length): `n` bytes at
// `bytes`, the range's bytes [done, done + n). The range lies within the file.
template <typename Chunks, typename F>
void each_piece(Chunks& chunks, uint64_t offset, uint64_t length, F f) {
    for (uint64_t done = 0; done < length;) {
        const uint64_t at = offset + done;
        auto& chunk = chunks[static_cast<size_t>(at / FileImage::chunk_bytes)];
        const auto in = static_cast<size_t>(at % FileImage::chunk_bytes);
        const auto n = static_cast<size_t>(std::min<uint64_t>(length - done, chunk.size() - in));
        f(chunk.data() + in, static_cast<size_t>(done), n);
        done += n;
    }
}

}  // namespace

void FileImage::resize(uint64_t size) {
    if (size >= size_) {
        append(nullptr, size - size_);
        return;
    }
    const auto keep = static_cast<size_t>((size + chunk_bytes - 1) / chunk_bytes);
    chunks_.resize(keep);
    if (keep > 0) {
        chunks_.back().resize(static_cast<size_t>(size - (keep - 1) * chunk_bytes));
    }
    size_ = size;
}

void FileImage::write(uint64_t offset, ByteSpan data) {
    if (offset > size_) {
        append(nullptr, offset - size_);
    }
    // The part over existing bytes is copied in place; the rest is appended.
    const auto over = static_cast<size_t>(std::min<uint64_t>(data.size(), size_ - offset));
    each_piece(chunks_, offset, over, [&](std::byte* bytes, size_t done, size_t n) {
        std::memcpy(bytes, data.data() + done, n);
    });
    append(data.data() + over, data.size() - over);
}

void FileImage::read(uint64_t offset, MutableByteSpan out) const {
    ASSERT(offset <= size_ && out.size() <= size_ - offset, "a read within the file");
    each_piece(chunks_, offset, out.size(), [&](const std::byte* bytes, size_t done, size_t n) {
        std::memcpy(out.data() + done, bytes, n);
    });
}

Bytes FileImage::copy(uint64_t offset, uint64_t length) const {
    ASSERT(offset <= size_ && length <= size_ - offset, "a copy within the file");
    Bytes out;
    out.reserve(static_cast<size_t>(length));
    each_piece(chunks_, offset, length, [&](const std::byte* bytes, size_t, size_t n) {
        out.insert(out.end(), bytes, bytes + n);
    });
    return out;
}

std::byte& FileImage::at(uint64_t offset) {
    ASSERT(offset < size_, "a byte within the file");
    return chunks_[static_cast<size_t>(offset / chunk_bytes)]
                  [static_cast<size_t>(offset % chunk_bytes)];
}

void FileImage::append(const std::byte* data, uint64_t n) {
    while (n > 0) {
        if (chunks_.empty() || chunks_.back().size() == chunk_bytes) {
            chunks_.emplace_back();
            if (chunks_.size() > 1) {
                chunks_.back().reserve(chunk_bytes);  // the file is big: its chunks fill up
            }
        }
        Bytes& last = chunks_.back();
        const auto take = static_cast<size_t>(std::min<uint64_t>(n, chunk_bytes - last.size()));
        if (last.capacity() < last.size() + take) {
            // The first chunk doubles like a vector would, but never past chunk_bytes.
            last.reserve(
                std::min<size_t>(chunk_bytes, std::max(last.size() + take, 2 * last.capacity())));
        }
        if (data == nullptr) {
            last.resize(last.size() + take);
        } else {
            last.insert(last.end(), data, data + take);
            data += take;
        }
        size_ += take;
        n -= take;
    }
}

}  // namespace eddy::sim
