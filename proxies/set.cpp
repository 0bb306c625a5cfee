#include "cafman/proxies/set.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

set_proxy::set_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

void set_proxy::add(const value& x) const {
  proxy_access::call(*this, add_atom_v, x);
}

void set_proxy::discard(const value& x) const {
  proxy_access::call(*this, discard_atom_v, x);
}

void set_proxy::remove(const value& x) const {
  proxy_access::call(*this, remove_atom_v, x);
}

value set_proxy::pop() const {
  return proxy_access::call(*this, pop_atom_v);
}

void set_proxy::clear() const {
  proxy_access::call(*this, clear_atom_v);
}

list_value set_proxy::copy() const {
  return proxy_access::call(*this, copy_atom_v).as_list();
}

bool set_proxy::contains(const value& x) const {
  return proxy_access::call(*this, contains_atom_v, x);
}

std::size_t set_proxy::size() const {
  return static_cast<std::size_t>(proxy_access::call(*this, len_atom_v));
}

list_value set_proxy::union_with(const list_value& other) const {
  return proxy_access::call(*this, union_atom_v, value{other}).as_list();
}

list_value set_proxy::intersection(const list_value& other) const {
  return proxy_access::call(*this, intersect_atom_v, value{other}).as_list();
}

list_value set_proxy::difference(const list_value& other) const {
  return proxy_access::call(*this, difference_atom_v, value{other}).as_list();
}

list_value set_proxy::symmetric_difference(const list_value& other) const {
  return proxy_access::call(*this, sym_diff_atom_v, value{other}).as_list();
}

void set_proxy::update(const list_value& other) const {
  proxy_access::call(*this, update_atom_v, value{other});
}

void set_proxy::intersection_update(const list_value& other) const {
  proxy_access::call(*this, intersect_atom_v, update_atom_v, value{other});
}

void set_proxy::difference_update(const list_value& other) const {
  proxy_access::call(*this, difference_atom_v, update_atom_v, value{other});
}

void set_proxy::symmetric_difference_update(const list_value& other) const {
  proxy_access::call(*this, sym_diff_atom_v, update_atom_v, value{other});
}

bool set_proxy::issubset(const list_value& other) const {
  return proxy_access::call(*this, issubset_atom_v, value{other}, false);
}

bool set_proxy::issuperset(const list_value& other) const {
  return proxy_access::call(*this, issuperset_atom_v, value{other}, false);
}

bool set_proxy::isdisjoint(const list_value& other) const {
  return proxy_access::call(*this, isdisjoint_atom_v, value{other});
}

bool set_proxy::is_proper_subset(const list_value& other) const {
  return proxy_access::call(*this, issubset_atom_v, value{other}, true);
}

bool set_proxy::is_proper_superset(const list_value& other) const {
  return proxy_access::call(*this, issuperset_atom_v, value{other}, true);
}

const set_proxy& set_proxy::operator|=(const list_value& other) const {
  update(other);
  return *this;
}

const set_proxy& set_proxy::operator&=(const list_value& other) const {
  intersection_update(other);
  return *this;
}

const set_proxy& set_proxy::operator-=(const list_value& other) const {
  difference_update(other);
  return *this;
}

const set_proxy& set_proxy::operator^=(const list_value& other) const {
  symmetric_difference_update(other);
  return *this;
}

batched_range<value> set_proxy::iter(std::int64_t batch) const {
  auto request = [s = *this](const value& cursor, std::int64_t n) {
    return proxy_access::call(s, iter_atom_v, cursor, n);
  };
  return {detail::live_walk(request, "Set"), batch};
}

batched_range<value> set_proxy::iter_snapshot(std::int64_t batch) const {
  auto source = proxy_access::call(*this, iter_atom_v).get<iterator_proxy>();
  return {detail::snapshot_walk(source), batch};
}

set_actor set_proxy::actor() const {
  return caf::actor_cast<set_actor>(proxy_access::ref(*this)->handle());
}

list_value operator|(const set_proxy& s, const list_value& other) {
  return s.union_with(other);
}

list_value operator&(const set_proxy& s, const list_value& other) {
  return s.intersection(other);
}

list_value operator-(const set_proxy& s, const list_value& other) {
  return s.difference(other);
}

list_value operator^(const set_proxy& s, const list_value& other) {
  return s.symmetric_difference(other);
}

bool operator<=(const set_proxy& s, const list_value& other) {
  return s.issubset(other);
}

bool operator<(const set_proxy& s, const list_value& other) {
  return s.is_proper_subset(other);
}

bool operator>=(const set_proxy& s, const list_value& other) {
  return s.issuperset(other);
}

bool operator>(const set_proxy& s, const list_value& other) {
  return s.is_proper_superset(other);
}

} // namespace cafman
