#pragma once

// Spawning the custom object; what it answers is its interface,
// cafman/interfaces/custom.hpp.

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeinfo>

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/custom.hpp"

namespace cafman {

namespace detail {

struct class_info;

/// Where an object's new objects live and who counts them: what a method
/// registered with method_to_typeid needs to turn its result into one.
struct object_maker {
  caf::actor_system* sys = nullptr;
  std::shared_ptr<const object_home> home;

  /// Wraps `instance` (a T* for info's class) in a new managed object and
  /// returns the only reference to it.
  value make(std::shared_ptr<const class_info> info, std::shared_ptr<void> instance) const;
};

/// One exposed method: runs it on the instance (the registered class's T*)
/// with the call's arguments and returns its result as a value.
using method_invoker =
  std::function<value(void* instance, const list_value& args, const object_maker& maker)>;

/// What all instances of one registered class share.
struct class_info {
  std::string type_id;
  const std::type_info* cls = nullptr; // the registered C++ class
  std::map<std::string, method_invoker> methods;
  /// Every value an instance keeps that may refer to managed objects, for
  /// the cycle collector; empty: the class declared none (its references
  /// then always count as live).
  std::function<value(const void* instance)> references;
};

/// The arguments of a call or a create: `args` must be a list (None: no
/// arguments); `where` names the callee in the type_error.
const list_value& argument_list(const value& args, const std::string& where);

/// The error a caller gets for the exception `failure` from a registered
/// class (its constructor, factory or a method; `where` names it,
/// "Counter.add"): cafman's own exceptions keep their kind, anything else
/// is reported as that method's failure (a remote_error on the client).
caf::error custom_failure(const std::string& where, std::exception_ptr failure);

/// Spawns the actor that owns `instance` (a T* for info's class).
caf::actor spawn_custom(const object_maker& maker, std::shared_ptr<const class_info> info,
                        std::shared_ptr<void> instance);

} // namespace detail
} // namespace cafman
