#pragma once

// A client of a cluster of manager nodes (net/cluster.hpp): where its new
// objects and its names go, and the operator's step that forms a cluster.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cafman/net/authkey.hpp"
#include "cafman/net/cluster.hpp"
#include "cafman/net/options.hpp"
#include "cafman/net/socket.hpp"

namespace cafman {

namespace detail {

class connection;

/// The nodes one client uses, each through a session of its own, opened
/// when first needed. Thread-safe.
class cluster_view {
public:
  /// Opens the session of a node the view has not used yet.
  using connect_function = std::function<std::shared_ptr<connection>(const net::address&)>;

  /// `connect` defaults to a new connection with `home`'s key and options.
  cluster_view(std::shared_ptr<connection> home, net::cluster_map map,
               connect_function connect = nullptr);

  /// The node of `name`'s hash slot. Throws connection_error naming the
  /// node when it cannot be reached.
  std::shared_ptr<connection> for_name(const std::string& name);

  /// The next node that can be reached, round robin, for a new object;
  /// nodes the map or this client found down are skipped. Throws
  /// connection_error when none can be reached.
  std::shared_ptr<connection> for_new_object();

  /// `node` failed a call: placement skips it for a while, and its next
  /// use connects afresh.
  void failed(const std::shared_ptr<connection>& node);

  std::size_t size() const { return map_.nodes.size(); }

  /// Every node; throws connection_error naming the first that cannot be
  /// reached.
  std::vector<std::shared_ptr<connection>> every_node();
  /// The nodes that can be reached now.
  std::vector<std::shared_ptr<connection>> reachable_nodes();

private:
  std::shared_ptr<connection> node(std::unique_lock<std::mutex>& guard, std::size_t i);
  std::string describe(std::size_t i) const;
  void refresh_map(std::unique_lock<std::mutex>& guard);

  std::mutex mtx_;
  std::shared_ptr<connection> home_;
  connect_function connect_;
  net::cluster_map map_;
  std::chrono::steady_clock::time_point map_read_;
  std::vector<std::shared_ptr<connection>> nodes_;
  std::vector<std::shared_ptr<std::atomic<bool>>> lost_;
  std::vector<std::chrono::steady_clock::time_point> retry_after_;
  std::size_t next_ = 0;
};

/// The cluster the node at the end of `home` belongs to; null when it is a
/// manager on its own.
std::shared_ptr<cluster_view> cluster_of(const std::shared_ptr<connection>& home,
                                         cluster_view::connect_function connect = nullptr);

} // namespace detail

/// Makes the managers at `addresses` one cluster: sets the map on every
/// node, in this order, which splits the hash slots (Redis's `redis-cli
/// --cluster create`; `cafman cluster create A B C`). Throws what
/// connecting throws, naming the node.
void create_cluster(const std::vector<std::string>& addresses, const authkey& key,
                    const connection_options& options = {});

} // namespace cafman
