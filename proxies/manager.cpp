#include "cafman/proxies/manager.hpp"

#include <algorithm>

#include <caf/send.hpp>

#include "cafman/errors.hpp"
#include "cafman/proxies/cluster.hpp"
#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

namespace {

// Whether `p` refers to an object this connection's session holds: the
// manager lets a session use no other (each connection is a session).
bool of_manager(const object_proxy& p, const detail::connection& conn) {
  return &proxy_access::ref(p)->conn() == &conn;
}

// A new object of the kind `Proxy` refers to, made from `args`.
template <class Proxy>
Proxy make(const std::shared_ptr<detail::connection>& conn, const cafman::value& args) {
  return proxy_access::make<Proxy>(detail::create_object(conn, Proxy::type_id, args));
}

} // namespace

manager::manager(std::shared_ptr<detail::connection> conn,
                 std::shared_ptr<detail::cluster_view> cluster)
  : conn_(std::move(conn)), cluster_(std::move(cluster)) {
}

// In a cluster, a node that died since the client last heard from it fails
// the create: the next node gets it.
std::shared_ptr<detail::object_ref> manager::create_placed(const std::string& type_id,
                                                           const cafman::value& args) const {
  if (!cluster_)
    return detail::create_object(conn(), type_id, args);
  for (std::size_t tried = 1;; ++tried) {
    auto node = cluster_->for_new_object();
    try {
      return detail::create_object(node, type_id, args);
    } catch (const connection_error&) {
      cluster_->failed(node);
      if (tried >= cluster_->size())
        throw;
    }
  }
}

template <class Proxy>
Proxy manager::make_placed(const cafman::value& args) const {
  return proxy_access::make<Proxy>(create_placed(Proxy::type_id, args));
}

std::shared_ptr<detail::connection> manager::node_of(const std::string& name) const {
  return cluster_ ? cluster_->for_name(name) : conn();
}

manager manager::on_node_of(const std::string& name) const {
  return cluster_ ? manager{node_of(name)} : *this;
}

manager manager::on_node_of(const object_proxy& p) const {
  return cluster_ ? manager{proxy_access::ref(p)->shared_conn()} : *this;
}

const std::shared_ptr<detail::connection>& manager::conn() const {
  if (!conn_)
    throw connection_error("the manager is not running (shut down, not started yet, or this "
                           "manager object was moved from): connect again, or start() it");
  return conn_;
}

dict_proxy manager::dict(dict_value initial) const {
  auto args = initial.empty() ? list_value{} : list_value{std::move(initial)};
  return make_placed<dict_proxy>(args);
}

list_proxy manager::list(list_value initial) const {
  auto args = initial.empty() ? list_value{} : list_value{std::move(initial)};
  return make_placed<list_proxy>(args);
}

set_proxy manager::set(list_value initial) const {
  auto args = initial.empty() ? list_value{} : list_value{cafman::value{std::move(initial)}};
  return make_placed<set_proxy>(args);
}

namespace_proxy manager::make_namespace(dict_value attributes) const {
  auto args = attributes.empty() ? list_value{} : list_value{std::move(attributes)};
  return make_placed<namespace_proxy>(args);
}

value_proxy manager::value(char typecode, cafman::value initial) const {
  list_value args{std::string(1, typecode), std::move(initial)};
  return make_placed<value_proxy>(args);
}

lock_proxy manager::lock(on_holder_exit holder_exit) const {
  return make_placed<lock_proxy>(list_value{to_arg(holder_exit)});
}

rlock_proxy manager::rlock(on_holder_exit holder_exit) const {
  return make_placed<rlock_proxy>(list_value{to_arg(holder_exit)});
}

semaphore_proxy manager::semaphore(std::int64_t n, on_holder_exit holder_exit) const {
  return make_placed<semaphore_proxy>(list_value{n, to_arg(holder_exit)});
}

bounded_semaphore_proxy manager::bounded_semaphore(std::int64_t n,
                                                   on_holder_exit holder_exit) const {
  return make_placed<bounded_semaphore_proxy>(list_value{n, to_arg(holder_exit)});
}

condition_proxy manager::condition() const {
  return make_placed<condition_proxy>(list_value{});
}

condition_proxy manager::condition(const lock_proxy& lock) const {
  return condition_on(lock);
}

condition_proxy manager::condition(const rlock_proxy& lock) const {
  return condition_on(lock);
}

condition_proxy manager::condition_on(const object_proxy& lock) const {
  // The lock travels as its id, which names another object (or none) in
  // another manager; in a cluster the condition goes to the lock's node.
  if (cluster_)
    return on_node_of(lock).condition_on(lock);
  if (!of_manager(lock, *conn()))
    throw value_error("cannot make a condition in the manager at " + address() + " on lock "
                      + std::to_string(lock.id()) + " of the manager at "
                      + net::to_string(proxy_access::ref(lock)->conn().where())
                      + ": a condition's lock must be an object of the same manager, "
                        "made or got through this same connection");
  list_value args{static_cast<std::int64_t>(lock.id())};
  return make<condition_proxy>(conn(), args);
}

event_proxy manager::event() const {
  return make_placed<event_proxy>(list_value{});
}

barrier_proxy manager::barrier(std::int64_t parties, wait_timeout timeout) const {
  return make_barrier(parties, false, timeout);
}

barrier_proxy manager::barrier(std::int64_t parties, std::function<void()> action,
                               wait_timeout timeout) const {
  return make_barrier(parties, true, timeout).with_action(std::move(action));
}

barrier_proxy manager::make_barrier(std::int64_t parties, bool has_action,
                                    wait_timeout timeout) const {
  // The default timeout travels as seconds, Python's unit.
  auto seconds =
      timeout ? cafman::value{std::chrono::duration<double>(*timeout).count()} : cafman::value{};
  list_value args{parties, std::move(seconds), has_action};
  return make_placed<barrier_proxy>(args);
}

array_proxy manager::array(char typecode, std::int64_t size) const {
  list_value args{std::string(1, typecode), size};
  return make_placed<array_proxy>(args);
}

array_proxy manager::array(char typecode, list_value items) const {
  list_value args{std::string(1, typecode), std::move(items)};
  return make_placed<array_proxy>(args);
}

queue_proxy manager::queue(std::int64_t maxsize) const {
  return make_placed<queue_proxy>(list_value{maxsize});
}

joinable_queue_proxy manager::joinable_queue(std::int64_t maxsize) const {
  return make_placed<joinable_queue_proxy>(list_value{maxsize});
}

detail::proxy_parts manager::named(const std::string& name, const char* type_id,
                                   std::optional<list_value> create_args) const {
  // The manager names the caller by this connection's session.
  auto c = node_of(name);
  auto [id, actual] =
      create_args ? c->call_registry(lookup_atom_v, caller{}, name, std::string{type_id},
                                     cafman::value{std::move(*create_args)})
                  : c->call_registry(lookup_atom_v, caller{}, name);
  // Ours from here: a mismatch throws, and the reference goes with `ref`.
  auto ref = std::make_shared<detail::object_ref>(c, id, actual);
  if (type_id && actual != type_id)
    throw type_error("the object published as '" + name + "' is a '" + actual + "', not a '" +
                     type_id + "': get it with the proxy of its type");
  return {std::move(ref), c->options().timeout};
}

void manager::publish(const std::string& name, const object_proxy& p) const {
  auto home = node_of(name);
  if (&proxy_access::ref(p)->conn() != home.get())
    throw value_error("cannot publish object " + std::to_string(p.id()) + " as '" + name + "' on "
                      + net::to_string(home->where()) + ": it is not a proxy of "
                      + (cluster_ ? "the cluster node that name lives on (make the object there: "
                                    "m.on_node_of(name))"
                                  : "this manager"));
  home->call_registry(publish_atom_v, caller{}, name, p.id());
}

void manager::unpublish(const std::string& name) const {
  node_of(name)->call_registry(unpublish_atom_v, name);
}

// A cluster's names, objects and collections are those of all its nodes.
std::vector<std::shared_ptr<detail::connection>> manager::every_node() const {
  if (cluster_)
    return cluster_->every_node();
  return {conn()};
}

std::vector<std::string> manager::names() const {
  std::vector<std::string> result;
  for (auto& node : every_node())
    for (auto& name : node->call_registry(names_atom_v).as_list())
      result.push_back(name.as_string());
  std::sort(result.begin(), result.end());
  return result;
}

std::uint64_t manager::number_of_objects() const {
  std::uint64_t total = 0;
  for (auto& node : every_node())
    total += node->call_registry(objects_atom_v);
  return total;
}

std::uint64_t manager::collect() const {
  if (!cluster_)
    return conn()->call_registry(collect_atom_v);
  // Garbage on the nodes that are up is still garbage: a node that is down
  // does not stop their collection.
  std::uint64_t total = 0;
  for (auto& node : cluster_->reachable_nodes())
    total += node->call_registry(collect_atom_v);
  return total;
}

cafman::value manager::debug_info(bool measured) const {
  if (measured)
    return conn()->call_registry(debug_atom_v, len_atom_v);
  return conn()->call_registry(debug_atom_v);
}

cafman::value manager::info() const {
  return conn()->call_registry(info_atom_v);
}

cafman::value manager::clients() const {
  return conn()->call_registry(clients_atom_v);
}

cafman::value manager::dump(std::uint64_t id) const {
  return conn()->call_registry(dump_atom_v, id);
}

void manager::shutdown_server() const {
  conn()->call_registry(shutdown_atom_v);
}

cafman::value manager::cluster_map() const {
  return conn()->call_registry(cluster_atom_v);
}

std::string manager::address() const {
  return net::to_string(conn()->where());
}

const cafman::authkey& manager::authkey() const {
  return conn()->key();
}

const connection_options& manager::options() const {
  return conn()->options();
}

manager connect(const std::string& address, const cafman::authkey& key,
                connection_options options) {
  auto home = std::make_shared<detail::connection>(net::parse_address(address), key, options);
  return manager{home, detail::cluster_of(home)};
}

} // namespace cafman
