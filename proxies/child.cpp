#include "cafman/proxies/child.hpp"

#include <cerrno>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cafman::detail {

std::vector<int> keep_only_descriptors(std::initializer_list<int> keep) {
  // First out of the way (above any target number), then into place.
  std::vector<int> parked;
  for (int fd : keep)
    parked.push_back(::fcntl(fd, F_DUPFD, 100));
  std::vector<int> placed;
  int next = 3;
  for (int fd : parked) {
    ::dup2(fd, next);
    placed.push_back(next++);
  }
  ::close_range(static_cast<unsigned>(next), ~0u, 0);
  return placed;
}

void write_all(int fd, const void* data, std::size_t size) {
  auto bytes = static_cast<const char*>(data);
  while (size > 0) {
    auto n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid)
    return status;
  // A pidfd becomes readable when the process exits: no polling loop.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd pfd{pidfd, POLLIN, 0};
    while (::poll(&pfd, 1, static_cast<int>(limit.count())) < 0 && errno == EINTR) {
    }
    ::close(pidfd);
  }
  if (::waitpid(pid, &status, WNOHANG) == pid)
    return status;
  return std::nullopt;
}

int exitcode_of(int status) {
  return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

} // namespace cafman::detail
