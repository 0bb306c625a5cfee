#pragma once

// One durable object's append-only journal file. Records are whole
// messages, each framed as
//   u32 length | 8 bytes of SHA-256 over the body | body (a serialized
//   caf::message, decoded through the lean request guard)
// The first record is the header: (name, type id, constructor arguments).
// A crash can leave the last record torn (cut short, or with a checksum that
// does not match): loading keeps every record before it and cuts the file
// there; such a record was never acknowledged under fsync `always`.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include "cafman/net/options.hpp"
#include "cafman/net/socket.hpp"

namespace cafman::net {

class journal {
public:
  struct contents {
    caf::message header;
    std::vector<caf::message> records; // after the header, in order
    std::size_t bytes = 0;             // the file's length once recovered
    /// What recovery cut off, in words; empty when the file was whole.
    std::string torn;
  };

  /// Reads `path` and cuts a torn or corrupt tail off the file. Throws
  /// cafman::error when the file cannot be read or its header is bad.
  static contents load(caf::actor_system& sys, const std::string& path);

  /// Writes `header` and `records` to `path` (replacing what was there)
  /// through a temporary file, synced and renamed, so a crash leaves either
  /// the old file or the new one. Throws cafman::error.
  static std::unique_ptr<journal> create(caf::actor_system& sys, const std::string& path,
                                         const caf::message& header,
                                         const std::vector<caf::message>& records,
                                         fsync_policy policy);

  /// Appends to an existing journal of `bytes` bytes (as load() left it).
  static std::unique_ptr<journal> reopen(const std::string& path, std::size_t bytes,
                                         fsync_policy policy);

  /// Appends one record; under `always` it is on disk when this returns.
  /// Throws cafman::error naming the file and the system's reason.
  void append(caf::actor_system& sys, const caf::message& record);

  /// Syncs what was appended since the last sync (for `everysec`).
  void sync();

  std::size_t bytes() const;
  const std::string& path() const { return path_; }

  /// Deletes the file; nothing more may be appended.
  void remove();

private:
  journal(std::string path, unique_fd fd, std::size_t bytes, fsync_policy policy);

  std::string path_;
  fsync_policy policy_;
  mutable std::mutex mtx_; // append (I/O thread) and sync (the flusher)
  unique_fd fd_;
  std::size_t bytes_;
  bool dirty_ = false;
};

} // namespace cafman::net
