#pragma once

// Internal: what sync_manager and process share about child processes.

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <vector>

#include <sys/types.h>

namespace cafman::detail {

/// In a freshly forked manager child: moves the given descriptors to 3, 4, ... and
/// closes every other inherited one (the parent's sockets and pipes would
/// otherwise keep the parent's connections open after it dies). Returns
/// the descriptors' new numbers, in order.
std::vector<int> keep_only_descriptors(std::initializer_list<int> keep);

void write_all(int fd, const void* data, std::size_t size);

/// Waits up to `limit` for the child to exit and reaps it; its wait status,
/// or nothing if it still runs.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit);

/// Python's exitcode for a wait status: the exit status, or minus the
/// signal that ended the process.
int exitcode_of(int status);

} // namespace cafman::detail
