#include "cafman/proxies/dict.hpp"

#include "cafman/proxies/proxy_access.hpp"

#include <algorithm>

#include "cafman/proxies/list.hpp"
#include "cafman/proxies/set.hpp"

namespace cafman {

using detail::proxy_access;

dict_proxy::dict_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

value dict_proxy::at(const value& key) const {
  return proxy_access::call(*this, get_atom_v, key);
}

value dict_proxy::get(const value& key) const {
  return get(key, none);
}

value dict_proxy::get(const value& key, const value& fallback) const {
  return proxy_access::call(*this, get_atom_v, key, fallback);
}

void dict_proxy::set(const value& key, const value& v) const {
  proxy_access::call(*this, put_atom_v, key, v);
}

void dict_proxy::erase(const value& key) const {
  proxy_access::call(*this, delete_atom_v, key);
}

bool dict_proxy::contains(const value& key) const {
  return proxy_access::call(*this, contains_atom_v, key);
}

std::size_t dict_proxy::size() const {
  return static_cast<std::size_t>(proxy_access::call(*this, len_atom_v));
}

value dict_proxy::pop(const value& key) const {
  return proxy_access::call(*this, pop_atom_v, key);
}

value dict_proxy::pop(const value& key, const value& fallback) const {
  return proxy_access::call(*this, pop_atom_v, key, fallback);
}

std::pair<value, value> dict_proxy::popitem() const {
  auto pair = proxy_access::call(*this, popitem_atom_v);
  auto& kv = pair.as_list();
  return {kv.at(0), kv.at(1)};
}

value dict_proxy::setdefault(const value& key, const value& fallback) const {
  return proxy_access::call(*this, setdef_atom_v, key, fallback);
}

dict_proxy dict_proxy::dict_at(const value& key) const {
  return at(key).get<dict_proxy>();
}

list_proxy dict_proxy::list_at(const value& key) const {
  return at(key).get<list_proxy>();
}

set_proxy dict_proxy::set_at(const value& key) const {
  return at(key).get<set_proxy>();
}

void dict_proxy::update(const value& other) const {
  proxy_access::call(*this, update_atom_v, other);
}

const dict_proxy& dict_proxy::operator|=(const dict_value& other) const {
  update(other);
  return *this;
}

list_value dict_proxy::reversed() const {
  auto result = keys();
  std::reverse(result.begin(), result.end());
  return result;
}

dict_value dict_proxy::fromkeys(const list_value& keys, const value& v) {
  dict_value result;
  for (auto& k : keys)
    result.insert_or_assign(k, v);
  return result;
}

dict_value operator|(const dict_proxy& d, const dict_value& other) {
  auto result = d.copy();
  for (auto& [k, v] : other)
    result.insert_or_assign(k, v);
  return result;
}

dict_value operator|(const dict_value& other, const dict_proxy& d) {
  auto result = other;
  for (auto& [k, v] : d.copy())
    result.insert_or_assign(k, v);
  return result;
}

void dict_proxy::clear() const {
  proxy_access::call(*this, clear_atom_v);
}

dict_value dict_proxy::copy() const {
  return proxy_access::call(*this, copy_atom_v).as_dict();
}

list_value dict_proxy::keys() const {
  return proxy_access::call(*this, keys_atom_v).as_list();
}

list_value dict_proxy::values() const {
  return proxy_access::call(*this, values_atom_v).as_list();
}

std::vector<std::pair<value, value>> dict_proxy::items() const {
  auto pairs = proxy_access::call(*this, items_atom_v);
  std::vector<std::pair<value, value>> result;
  for (auto& kv : pairs.as_list())
    result.emplace_back(kv.as_list().at(0), kv.as_list().at(1));
  return result;
}

value dict_proxy::fetch_add(const value& key, const value& delta) const {
  return proxy_access::call(*this, fetch_add_atom_v, key, delta);
}

namespace {

// The dict answers (iter, what, cursor, n) with the next batch of itself.
template <class T, class What>
batched_range<T> walk(const dict_proxy& d, What what, std::int64_t batch) {
  auto request = [d, what](const value& cursor, std::int64_t n) {
    return proxy_access::call(d, iter_atom_v, what, cursor, n);
  };
  return {detail::live_walk(request, "dictionary"), batch};
}

// The dict answers (iter, what) with a reference to a new iterator object.
template <class T, class What>
batched_range<T> walk_snapshot(const dict_proxy& d, What what, std::int64_t batch) {
  auto source = proxy_access::call(d, iter_atom_v, what);
  return {detail::snapshot_walk(source.template get<iterator_proxy>()), batch};
}

} // namespace

batched_range<value> dict_proxy::iter(std::int64_t batch) const {
  return walk<value>(*this, keys_atom_v, batch);
}

batched_range<value> dict_proxy::iter_values(std::int64_t batch) const {
  return walk<value>(*this, values_atom_v, batch);
}

batched_range<std::pair<value, value>> dict_proxy::iter_items(std::int64_t batch) const {
  return walk<std::pair<value, value>>(*this, items_atom_v, batch);
}

batched_range<value> dict_proxy::iter_snapshot(std::int64_t batch) const {
  return walk_snapshot<value>(*this, keys_atom_v, batch);
}

batched_range<value> dict_proxy::iter_snapshot_values(std::int64_t batch) const {
  return walk_snapshot<value>(*this, values_atom_v, batch);
}

batched_range<std::pair<value, value>> dict_proxy::iter_snapshot_items(std::int64_t batch) const {
  return walk_snapshot<std::pair<value, value>>(*this, items_atom_v, batch);
}

dict_actor dict_proxy::actor() const {
  return caf::actor_cast<dict_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
