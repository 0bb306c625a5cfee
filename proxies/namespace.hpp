#pragma once

// Client side of a shared namespace: `ns["x"] = 1` for Python's `ns.x = 1`.

#include <string>

#include "cafman/interfaces/namespace.hpp"
#include "cafman/value.hpp"
#include "cafman/proxies/object_proxy.hpp"

namespace cafman {

/// Thread-safe: calls from several threads may share one proxy.
class namespace_proxy : public basic_proxy<namespace_proxy, namespace_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = namespace_kind::type_id;

  /// Made by a manager (`manager.make_namespace()`), not by users.
  namespace_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  using attribute = element_ref<namespace_proxy, std::string, value>;

  attribute operator[](std::string name) const { return {*this, std::move(name)}; }

  /// ns.name; attribute_error when unset.
  value get(const std::string& name) const;
  /// The same as get(name), as dict_proxy::at.
  value at(const std::string& name) const { return get(name); }
  void set(const std::string& name, const value& v) const;
  /// del ns.name; attribute_error when unset.
  void erase(const std::string& name) const;
  bool contains(const std::string& name) const;
  /// vars(ns): every attribute, in the order they were first set.
  dict_value copy() const;

  /// The object's typed actor handle, for use from actors.
  namespace_actor actor() const;
};

} // namespace cafman
