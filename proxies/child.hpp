#pragma once

// Internal: what sync_manager and process share about child processes.

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <vector>

#include <sys/types.h>

namespace cafman::detail {

/// Descriptors a forked cafman::process must not keep: the sockets of
/// manager connections and the pipes managers watch for their owner's death.
/// A child holding them would keep a dead parent's connections and
/// references alive until the child itself exits. Other descriptors are
/// inherited, as with Python's fork start method.
void close_in_children(int fd);
void forget_in_children(int fd);

/// In a freshly forked cafman::process child: closes every descriptor
/// registered with close_in_children.
void close_registered_descriptors();

/// In a freshly forked manager child: moves the given descriptors to 3, 4, ... and
/// closes every other inherited one (the parent's sockets and pipes would
/// otherwise keep the parent's connections open after it dies). Returns
/// the descriptors' new numbers, in order.
std::vector<int> keep_only_descriptors(std::initializer_list<int> keep);

void write_all(int fd, const void* data, std::size_t size);

/// Waits up to `limit` for the child to exit and reaps it; its wait status,
/// or nothing if it still runs.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit);

} // namespace cafman::detail
