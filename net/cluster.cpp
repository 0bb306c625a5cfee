#include "cafman/net/cluster.hpp"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "cafman/errors.hpp"
#include "cafman/net/connection.hpp"
#include "cafman/net/socket.hpp"

namespace cafman::net {

bool cluster_map::is_down(std::size_t node) const {
  return std::find(down.begin(), down.end(), node) != down.end();
}

// FNV-1a: the same slot in every process and on every platform.
std::uint32_t cluster_map::slot_of(const std::string& name) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<std::uint32_t>(hash % cluster_slots);
}

std::size_t cluster_map::node_of(const std::string& name) const {
  return static_cast<std::size_t>(std::uint64_t{slot_of(name)} * nodes.size() / cluster_slots);
}

value cluster_map::to_value() const {
  if (empty())
    return value{};
  list_value addresses(nodes.begin(), nodes.end());
  list_value unreachable;
  for (auto node : down)
    unreachable.emplace_back(static_cast<std::int64_t>(node));
  return dict_value{{"nodes", std::move(addresses)},
                    {"self", static_cast<std::int64_t>(self)},
                    {"down", std::move(unreachable)},
                    {"epoch", epoch}};
}

cluster_map cluster_map::from_value(const value& v) {
  cluster_map map;
  if (v.is_none())
    return map;
  auto bad = [&](const char* why) {
    return value_error("not a cluster map (" + std::string{why} + "): " + v.repr());
  };
  if (!v.is_dict())
    throw bad("not a dict");
  auto& d = v.as_dict();
  auto nodes = d.find("nodes");
  auto self = d.find("self");
  if (!nodes || !nodes->is_list() || nodes->as_list().empty() || !self || !self->is_int())
    throw bad("it needs a non-empty list 'nodes' and an int 'self'");
  if (nodes->as_list().size() > max_cluster_nodes)
    throw bad(("more than " + std::to_string(max_cluster_nodes) + " nodes").c_str());
  for (auto& node : nodes->as_list()) {
    if (!node.is_string())
      throw bad("a node is not an address");
    parse_address(node.as_string()); // throws for a malformed one
    map.nodes.push_back(node.as_string());
  }
  if (self->as_int() < 0 || static_cast<std::size_t>(self->as_int()) >= map.nodes.size())
    throw bad("'self' is not one of the nodes");
  map.self = static_cast<std::size_t>(self->as_int());
  if (auto epoch = d.find("epoch"); epoch && epoch->is_int())
    map.epoch = epoch->as_int();
  if (auto down = d.find("down"); down && down->is_list())
    for (auto& node : down->as_list())
      if (node.is_int() && node.as_int() >= 0
          && static_cast<std::size_t>(node.as_int()) < map.nodes.size())
        map.down.push_back(static_cast<std::size_t>(node.as_int()));
  return map;
}

caf::error check_cluster_map(const value& map) {
  try {
    cluster_map::from_value(map);
    return {};
  } catch (const std::exception& e) {
    return caf::make_error(errc::bad_argument, e.what());
  }
}

cluster_map cluster_map::as_kept_by(std::size_t node) const {
  return {nodes, node, {}, epoch};
}

cluster_map cluster_map::created(std::vector<std::string> nodes) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return {std::move(nodes), 0, {}, std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()};
}

cluster_watch::cluster_watch(get_map get, set_map set, authkey key, tls_options tls,
                             std::chrono::milliseconds interval)
  : get_(std::move(get)),
    set_(std::move(set)),
    key_(std::move(key)),
    tls_(std::move(tls)),
    interval_(interval) {
  thread_ = std::thread{[this] { run(); }};
}

cluster_watch::~cluster_watch() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

// A newer map: this node keeps it if it is one of its nodes, else it
// stands alone from now on.
void cluster_watch::adopt(const cluster_map& newer, const std::string& me) {
  auto mine = std::find(newer.nodes.begin(), newer.nodes.end(), me);
  if (mine == newer.nodes.end())
    set_(value{});
  else
    set_(newer.as_kept_by(static_cast<std::size_t>(mine - newer.nodes.begin())).to_value());
}

namespace {

/// How long one probe may take: well past a loaded machine's slowest
/// connect, and bounded so that shutdown never waits long.
constexpr auto probe_timeout = std::chrono::seconds(2);

} // namespace

void cluster_watch::run() {
  std::vector<std::shared_ptr<cafman::detail::connection>> peers;
  auto stopping = [this] {
    std::lock_guard<std::mutex> guard{mtx_};
    return stopping_;
  };
  std::vector<std::string> peers_of; // the nodes `peers` was opened for
  // Failed probes in a row per peer: one slow answer on a loaded machine
  // does not make a node down, two do (a dead one refuses at once).
  std::vector<int> failures;
  for (;;) {
    auto next = std::chrono::steady_clock::now() + interval_;
    try {
      auto map = cluster_map::from_value(get_());
      if (peers_of != map.nodes) {
        peers.assign(map.nodes.size(), nullptr);
        failures.assign(map.nodes.size(), 0);
      }
      peers_of = map.nodes;
      std::vector<std::size_t> down;
      std::optional<cluster_map> newer;
      for (std::size_t i = 0; i < map.nodes.size() && !stopping() && !newer; ++i) {
        if (i == map.self)
          continue;
        try {
          if (!peers[i]) {
            connection_options options;
            options.connect_timeout = probe_timeout;
            options.timeout = probe_timeout;
            options.tls = tls_;
            peers[i] = std::make_shared<cafman::detail::connection>(parse_address(map.nodes[i]), key_,
                                                            options);
          }
          auto theirs = cluster_map::from_value(peers[i]->call_registry(cluster_atom_v));
          if (theirs.epoch > map.epoch) {
            newer = std::move(theirs); // a cluster created since
            continue;
          }
          // A node that comes back without the map (restarted) gets it again.
          if (theirs.epoch < map.epoch || theirs.nodes != map.nodes || theirs.self != i)
            peers[i]->call_registry(cluster_atom_v, map.as_kept_by(i).to_value());
          failures[i] = 0;
        } catch (const std::exception&) {
          peers[i].reset(); // unreachable or gone: connect afresh next time
          if (++failures[i] >= 2)
            down.push_back(i);
        }
      }
      if (newer)
        adopt(*newer, map.nodes[map.self]);
      // Unless the map changed meanwhile (a cluster create).
      else if (down != map.down && cluster_map::from_value(get_()).epoch == map.epoch) {
        map.down = std::move(down);
        set_(map.to_value());
      }
    } catch (const std::exception&) {
      // the node itself is shutting down: its registry no longer answers
    }
    std::unique_lock<std::mutex> guard{mtx_};
    if (wake_.wait_until(guard, next, [this] { return stopping_; }))
      return;
  }
}

} // namespace cafman::net
