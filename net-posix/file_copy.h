// copy_file_to(): send_file without sendfile(2) — the file range is read (File::read_at) into a
// bounded buffer and written to the connection piece by piece. PosixConnection uses it for files
// without a native handle; TlsConnection always (TLS encrypts in user space).
#pragma once

#include <cstdint>

#include "core/env/disk.h"
#include "core/env/network.h"

namespace eddy::net_posix {

// Writes `length` bytes of `file` from `offset` with conn.write_all, through a buffer of at most
// 64 KiB. A read error or a file that ends early is io_error. Suspends.
Result<void, NetError> copy_file_to(Connection& conn, File& file, uint64_t offset, uint64_t length);

}  // namespace eddy::net_posix
