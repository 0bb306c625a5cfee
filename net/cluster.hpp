#pragma once

// A cluster of manager nodes: several cafman-server processes that clients
// use as one manager. Each object stays one actor on one node, so its
// changes stay serialized; what spans nodes is placement:
//
// - a named object lives on the node of its name's hash slot (16,384
//   slots split evenly over the nodes in map order, as in Redis Cluster);
// - an anonymous object goes to the next reachable node, round robin;
// - an object that holds references holds objects of its own node only.
//
// Every node keeps the cluster map (the nodes' addresses in slot order,
// which one it is, which ones it cannot reach) in its registry. An operator
// sets it once on every node (`cafman cluster create A B C`); each node then
// probes its peers twice a second over the same authenticated streams as
// any client, marks the ones that failed two probes in a row, and hands the map back to a
// peer that returns without it (a restarted node). A client reads the map
// from the node it connects to and opens a session on each node it uses,
// so names, reference counts and crash cleanup are each node's own, exactly
// as on one manager. There is no replication and no moving of objects: a
// node's loss loses its objects, and calls on them fail at once naming it.

#include <condition_variable>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/error.hpp>

#include "cafman/value.hpp"
#include "cafman/net/authkey.hpp"
#include "cafman/net/options.hpp"

namespace cafman::net {

inline constexpr std::uint32_t cluster_slots = 16384;

struct cluster_map {
  /// The addresses clients dial, in slot order.
  std::vector<std::string> nodes;
  /// Which of them keeps this map.
  std::size_t self = 0;
  /// The nodes the keeper could not reach at its last probe.
  std::vector<std::size_t> down;
  /// When the cluster was created (ns since 1970): a node that meets a
  /// newer map takes it, and hands its own only to nodes with an older one.
  std::int64_t epoch = 0;

  bool empty() const { return nodes.empty(); }
  bool is_down(std::size_t node) const;

  /// The node of `name`'s hash slot.
  std::size_t node_of(const std::string& name) const;
  static std::uint32_t slot_of(const std::string& name);

  value to_value() const;
  /// An empty map from an empty value; throws value_error for anything
  /// else that is not a map.
  static cluster_map from_value(const value& v);

  /// The same nodes, as node `self` keeps them (nothing down).
  cluster_map as_kept_by(std::size_t node) const;

  /// A new cluster of `nodes`, newer than any made before it.
  static cluster_map created(std::vector<std::string> nodes);
};

/// At most this many nodes in a map.
inline constexpr std::size_t max_cluster_nodes = 1024;

/// Why `map` cannot be a node's cluster map (a client set it): what
/// from_value refuses, an empty error for a good map or None.
caf::error check_cluster_map(const value& map);

/// A node's side: probes the peers of the map its registry keeps, on a
/// thread of its own, until destroyed.
class cluster_watch {
public:
  using get_map = std::function<value()>;
  using set_map = std::function<void(const value&)>;

  /// `tls` are the options the node's streams to its peers use (a node
  /// presents its own certificate to them).
  cluster_watch(get_map get, set_map set, authkey key, tls_options tls,
                std::chrono::milliseconds interval = std::chrono::milliseconds{500});
  ~cluster_watch();
  cluster_watch(const cluster_watch&) = delete;
  cluster_watch& operator=(const cluster_watch&) = delete;

private:
  void run();
  void adopt(const cluster_map& newer, const std::string& me);

  get_map get_;
  set_map set_;
  authkey key_;
  tls_options tls_;
  std::chrono::milliseconds interval_;
  std::mutex mtx_;
  std::condition_variable wake_;
  bool stopping_ = false; // under mtx_
  std::thread thread_;
};

} // namespace cafman::net
