#include "cafman/proxies/process.hpp"

#include "cafman/proxies/cluster.hpp"

#include <cstdio>
#include <iostream>
#include <map>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cafman/errors.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/proxies/child.hpp"
#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

namespace detail {

struct child_binder::impl {
  // One connection per manager the arguments refer to, by address.
  std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<connection>> connections;

  std::shared_ptr<connection> connection_like(const connection& parent) {
    return connection_to(parent.where(), parent.key(), parent.options());
  }

  std::shared_ptr<connection> connection_to(const net::address& where, const authkey& key,
                                            const connection_options& options) {
    auto& conn = connections[std::make_pair(where.host, where.port)];
    if (!conn)
      conn = std::make_shared<connection>(where, key, options);
    return conn;
  }
};

child_binder::child_binder() : impl_(std::make_shared<impl>()) {
}

child_binder::~child_binder() = default;

std::shared_ptr<object_ref> child_binder::adopt(const object_proxy& p) {
  auto& parent_ref = proxy_access::ref(p);
  return adopt_object(impl_->connection_like(parent_ref->conn()), *parent_ref);
}

value child_binder::rebind_value(const value& x) {
  if (x.is_list()) {
    list_value result;
    for (auto& item : x.as_list())
      result.push_back(rebind_value(item));
    return result;
  }
  if (x.is_dict()) {
    dict_value result;
    for (auto& [key, item] : x.as_dict())
      result.insert_or_assign(rebind_value(key), rebind_value(item));
    return result;
  }
  if (x.is_reference()) {
    auto parts = parts_of(x, nullptr);
    return reference_value(
      adopt_object(impl_->connection_like(parts.ref->conn()), *parts.ref));
  }
  return x;
}

// The view's nodes are the child's connections, so that its proxies of one
// node, adopted or new, can be stored in each other.
manager child_binder::joined(const manager& m) {
  auto conn = reconnect(m);
  if (!manager_access::in_cluster(m))
    return manager{std::move(conn)};
  auto cluster = cluster_of(conn, [shared = impl_, conn](const net::address& where) {
    return shared->connection_to(where, conn->key(), conn->options());
  });
  return manager{std::move(conn), std::move(cluster)};
}

std::shared_ptr<connection> child_binder::reconnect(const manager& m) {
  return impl_->connection_like(*manager_access::conn(m));
}

} // namespace detail

namespace {

[[noreturn]] void run_child(const std::function<void(detail::child_binder&)>& body) {
  net::close_registered_descriptors();
  int status = 0;
  try {
    detail::child_binder binder;
    body(binder);
  } catch (const std::exception& e) {
    std::cerr << "cafman::process " << ::getpid() << ": uncaught exception: " << e.what()
              << "\n";
    status = 1;
  }
  std::fflush(nullptr);
  // Never return into the parent's copy of the program: its actor system's
  // destructor would hang (trap 8 in the CAF notes).
  ::_exit(status);
}

} // namespace

void process::start(std::function<void(detail::child_binder&)> body, std::shared_ptr<void> kept) {
  std::fflush(nullptr); // or buffered output would be written twice
  pid_ = ::fork();
  if (pid_ < 0)
    throw error("cannot fork a process");
  if (pid_ == 0)
    run_child(body);
  kept_ = std::move(kept);
}

process::process(process&& other) noexcept
  : pid_(std::exchange(other.pid_, -1)),
    exitcode_(std::move(other.exitcode_)),
    kept_(std::move(other.kept_)) {
}

process& process::operator=(process&& other) noexcept {
  if (this != &other) {
    join();
    pid_ = std::exchange(other.pid_, -1);
    exitcode_ = std::move(other.exitcode_);
    kept_ = std::move(other.kept_);
  }
  return *this;
}

process::~process() {
  join();
}

void process::reap(int status) {
  exitcode_ = detail::exitcode_of(status);
  kept_.reset(); // the child is gone: the parent's references may go too
}

bool process::join(std::optional<std::chrono::milliseconds> limit) {
  if (pid_ <= 0 || exitcode_)
    return true;
  if (!limit) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reap(status);
    return true;
  }
  if (auto status = detail::wait_for_exit(pid_, *limit)) {
    reap(*status);
    return true;
  }
  return false;
}

bool process::is_alive() {
  return pid_ > 0 && !join(std::chrono::milliseconds{0});
}

void process::terminate() {
  if (is_alive())
    ::kill(pid_, SIGTERM);
}

void process::kill() {
  if (is_alive())
    ::kill(pid_, SIGKILL);
}

} // namespace cafman
