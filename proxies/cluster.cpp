#include "cafman/proxies/cluster.hpp"

#include <atomic>

#include "cafman/errors.hpp"
#include "cafman/net/connection.hpp"
#include "cafman/net/socket.hpp"

namespace cafman {

namespace detail {

namespace {

using clock = std::chrono::steady_clock;

/// How long a node this client could not reach is skipped by placement.
constexpr auto retry_pause = std::chrono::seconds(1);
/// How old the home node's view of the others may get before placement
/// reads it again.
constexpr auto map_age = std::chrono::seconds(1);

} // namespace

cluster_view::cluster_view(std::shared_ptr<connection> home, net::cluster_map map,
                           connect_function connect)
  : home_(std::move(home)),
    connect_(std::move(connect)),
    map_(std::move(map)),
    map_read_(clock::now()),
    nodes_(map_.nodes.size()),
    lost_(map_.nodes.size()),
    retry_after_(map_.nodes.size()) {
  nodes_[map_.self] = home_;
  auto lost = std::make_shared<std::atomic<bool>>(false);
  home_->on_lost([lost] { *lost = true; });
  lost_[map_.self] = lost;
}

std::string cluster_view::describe(std::size_t i) const {
  return "node " + std::to_string(i) + " of the cluster (" + map_.nodes[i] + ")";
}

// A node's session, opened again if its connection was lost (a node that
// returned); the home node's is the client's own and never replaced.
std::shared_ptr<connection> cluster_view::node(std::unique_lock<std::mutex>& guard,
                                               std::size_t i) {
  if (nodes_[i] && !(lost_[i] && *lost_[i]))
    return nodes_[i];
  if (i == map_.self)
    return home_;
  auto where = net::parse_address(map_.nodes[i]);
  guard.unlock(); // connecting takes a while: other nodes stay usable
  std::shared_ptr<connection> opened;
  try {
    opened = connect_ ? connect_(where)
                      : std::make_shared<connection>(where, home_->key(), home_->options());
  } catch (const connection_error& e) {
    guard.lock();
    retry_after_[i] = clock::now() + retry_pause;
    throw connection_error(describe(i) + " cannot be reached: " + e.what());
  }
  auto lost = std::make_shared<std::atomic<bool>>(false);
  opened->on_lost([lost] { *lost = true; });
  guard.lock();
  // Another thread may have connected meanwhile: one session per node, so
  // that its proxies can be stored in each other.
  if (nodes_[i] && !(lost_[i] && *lost_[i]))
    return nodes_[i];
  nodes_[i] = opened;
  lost_[i] = lost;
  return opened;
}

void cluster_view::refresh_map(std::unique_lock<std::mutex>& guard) {
  if (clock::now() - map_read_ < map_age)
    return;
  map_read_ = clock::now();
  guard.unlock();
  value kept;
  try {
    kept = home_->call_registry(cluster_atom_v);
  } catch (const error&) {
    // the home node is gone: its own calls say so; placement goes on
  }
  guard.lock();
  auto map = net::cluster_map::from_value(kept);
  if (map.nodes == map_.nodes)
    map_.down = map.down;
}

std::shared_ptr<connection> cluster_view::for_name(const std::string& name) {
  std::unique_lock<std::mutex> guard{mtx_};
  refresh_map(guard);
  auto i = map_.node_of(name);
  // Known down: at once, not after a connect timeout (a host that drops
  // packets would take all of it).
  if (i != map_.self && (map_.is_down(i) || clock::now() < retry_after_[i]))
    throw connection_error(describe(i) + " cannot be reached: it is down (as the cluster sees "
                           "it now); try again once it is back");
  return node(guard, i);
}

std::shared_ptr<connection> cluster_view::for_new_object() {
  std::unique_lock<std::mutex> guard{mtx_};
  refresh_map(guard);
  auto n = map_.nodes.size();
  std::string why;
  for (std::size_t tried = 0; tried < n; ++tried) {
    auto i = next_++ % n;
    bool home_lost = i == map_.self && *lost_[i];
    if (map_.is_down(i) || clock::now() < retry_after_[i] || home_lost)
      continue;
    try {
      return node(guard, i);
    } catch (const connection_error& e) {
      why = e.what();
    }
  }
  throw connection_error("no node of the cluster can take a new object"
                         + (why.empty() ? std::string{} : ": " + why));
}

void cluster_view::failed(const std::shared_ptr<connection>& node) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i] == node) {
      retry_after_[i] = clock::now() + retry_pause;
      if (lost_[i])
        *lost_[i] = true;
    }
}

std::vector<std::shared_ptr<connection>> cluster_view::every_node() {
  std::unique_lock<std::mutex> guard{mtx_};
  std::vector<std::shared_ptr<connection>> all;
  for (std::size_t i = 0; i < map_.nodes.size(); ++i)
    all.push_back(node(guard, i));
  return all;
}

std::vector<std::shared_ptr<connection>> cluster_view::reachable_nodes() {
  std::unique_lock<std::mutex> guard{mtx_};
  std::vector<std::shared_ptr<connection>> all;
  for (std::size_t i = 0; i < map_.nodes.size(); ++i)
    try {
      all.push_back(node(guard, i));
    } catch (const connection_error&) {
      // down: skipped
    }
  return all;
}

std::shared_ptr<cluster_view> cluster_of(const std::shared_ptr<connection>& home,
                                         cluster_view::connect_function connect) {
  auto map = net::cluster_map::from_value(home->call_registry(cluster_atom_v));
  if (map.empty())
    return nullptr;
  return std::make_shared<cluster_view>(home, std::move(map), std::move(connect));
}

} // namespace detail

void create_cluster(const std::vector<std::string>& addresses, const authkey& key,
                    const connection_options& options) {
  if (addresses.empty())
    throw value_error("a cluster needs at least one node");
  auto map = net::cluster_map::created(addresses);
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    detail::connection node{net::parse_address(addresses[i]), key, options};
    node.call_registry(cluster_atom_v, map.as_kept_by(i).to_value());
  }
}

} // namespace cafman
