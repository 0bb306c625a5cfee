#pragma once

// Custom managed types, Python's BaseManager.register: a plain C++ class
// whose exposed methods clients call by name, or a CAF actor clients send
// messages of its own interface to. A type_registry collects them; a
// manager serves its table():
//
//   cafman::type_registry types;
//   types.add<counter>("Counter")
//     .method("increment", &counter::increment)
//     .method("get_value", &counter::get_value);
//   cafman::sync_manager manager{types};
//   auto c = manager.create("Counter");          // a custom_proxy
//   c.call("increment");
//
// Every object is an actor of its own in the manager, so the calls on one
// object run one at a time: the class needs no lock. A sync_manager's
// process gets the registry as it is when the sync_manager starts; a server
// program of one's own passes table() as server_options::types.

#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>

#include "cafman/actors/custom.hpp"
#include "cafman/actors/registry.hpp"
#include "cafman/convert.hpp"
#include "cafman/interfaces/exposed.hpp"

namespace cafman {

namespace detail {

/// What a type_registry knows of one custom type id. Kept per type id, so
/// that an option added later (a method that returns objects of another
/// type id) can find its target's metadata here.
struct registered_type {
  std::string type_id;
  object_factory factory;
  /// False: manager.create refuses the type id (see create_method()).
  bool create_method = true;
  /// The exposed methods of a plain class; null for an actor type.
  std::shared_ptr<class_info> info;
};

// -- calling a C++ function with a list of values -----------------------------

/// The signature of a function pointer or of a (non-generic) lambda.
template <class F>
struct callable_signature : member_signature<decltype(&F::operator())> {};

template <class R, class... Args>
struct callable_signature<R (*)(Args...)> : signature<R, Args...> {};

template <class R, class... Args>
struct callable_signature<R (*)(Args...) noexcept> : signature<R, Args...> {};

/// Throws type_error unless `where` ("Counter.add"), which takes `expected`
/// arguments, was given that many.
void check_arity(const std::string& where, std::size_t expected, std::size_t given);

template <class Arg>
std::decay_t<Arg> argument(const std::string& where, const list_value& args, std::size_t index) {
  try {
    return from_value<std::decay_t<Arg>>(args[index]);
  } catch (const std::exception& e) {
    throw_conversion_error(where + "() argument " + std::to_string(index + 1), e);
  }
}

template <class... Args, class F, std::size_t... Is>
auto apply_converted(const std::string& where, const list_value& args, F& f,
                     std::index_sequence<Is...>) {
  check_arity(where, sizeof...(Args), args.size());
  // Braces convert left to right: the first bad argument is the one reported.
  std::tuple<std::decay_t<Args>...> converted{argument<Args>(where, args, Is)...};
  return f(static_cast<Args&&>(std::get<Is>(converted))...);
}

/// Calls `f` with `args` converted to the parameter types Args; returns its
/// result by value (a reference into the converted arguments would dangle).
template <class... Args, class F>
auto apply_converted(const std::string& where, const list_value& args, F& f, type_list<Args...>) {
  return apply_converted<Args...>(where, args, f, std::index_sequence_for<Args...>{});
}

// -- plain classes ------------------------------------------------------------

/// What `add<T, Args...>` constructs T with; braces for an aggregate, which
/// C++17 cannot construct with parentheses.
template <class T, class... Args>
std::shared_ptr<T> construct(Args... xs) {
  if constexpr (std::is_constructible_v<T, Args...>)
    return std::make_shared<T>(std::move(xs)...);
  else
    return std::shared_ptr<T>(new T{std::move(xs)...});
}

/// The instance a factory made: the T it returned, or the T its smart
/// pointer points to (for classes that cannot move).
template <class T, class R>
std::shared_ptr<T> to_instance(R made) {
  static_assert(std::is_same_v<R, T> || std::is_constructible_v<std::shared_ptr<T>, R&&>,
                "a factory returns the registered class T or a smart pointer to a T");
  if constexpr (std::is_same_v<R, T>)
    return std::make_shared<T>(std::move(made));
  else
    return std::shared_ptr<T>(std::move(made));
}

template <class T, class F>
object_factory class_factory(std::shared_ptr<const class_info> info, F make) {
  return [info, make](object_context& ctx, const value& args) -> caf::expected<caf::actor> {
    const auto& where = info->type_id;
    try {
      auto instance = to_instance<T>(apply_converted(where, argument_list(args, where), make,
                                                     typename callable_signature<F>::args{}));
      return spawn_custom(object_maker{&ctx.system(), ctx.home()}, info,
                          std::move(instance));
    } catch (...) {
      return custom_failure(where, std::current_exception());
    }
  };
}

/// Runs member function `fn` of T on `instance` with converted `args`.
template <class T, class M>
auto invoke_member(const std::string& where, M fn, void* instance, const list_value& args) {
  using sig = member_signature<M>;
  static_assert(std::is_base_of_v<typename sig::owner, T>,
                "method() takes a member function of the registered class (or of a base)");
  auto call = [&](auto&&... xs) {
    return std::invoke(fn, *static_cast<T*>(instance), std::forward<decltype(xs)>(xs)...);
  };
  return apply_converted(where, args, call, typename sig::args{});
}

template <class T, class M>
method_invoker make_invoker(std::string where, M fn) {
  return [where = std::move(where), fn](void* instance, const list_value& args,
                                        const object_maker&) -> value {
    if constexpr (std::is_void_v<typename member_signature<M>::result>) {
      invoke_member<T>(where, fn, instance, args);
      return value{};
    } else {
      return to_value(invoke_member<T>(where, fn, instance, args));
    }
  };
}

/// The class a factory's or method's result R holds: R itself, or what the
/// smart pointer R points to.
template <class R, class = void>
struct instance_class {
  using type = R;
};

template <class R>
struct instance_class<R, std::void_t<typename R::element_type>> {
  using type = typename R::element_type;
};

/// A method whose result becomes a new object of class `target`.
template <class T, class M>
method_invoker make_factory_invoker(std::string where, M fn,
                                    std::shared_ptr<const class_info> target) {
  using made = typename instance_class<typename member_signature<M>::result>::type;
  return [where = std::move(where), fn, target](void* instance, const list_value& args,
                                                const object_maker& maker) -> value {
    return maker.make(target, to_instance<made>(invoke_member<T>(where, fn, instance, args)));
  };
}

/// The plain class registered as `type_id` for C++ class `cls`, which
/// `where` returns; value_error if there is none.
std::shared_ptr<const class_info>
target_class(const std::map<std::string, std::shared_ptr<registered_type>>& types,
             const std::string& type_id, const std::type_info& cls, const std::string& where);

/// Adds `invoker` to `info` as method `name`; value_error if it exists.
void expose(class_info& info, const std::string& name, method_invoker invoker);

// -- actor types --------------------------------------------------------------

/// The spawned actor, or an error if `spawn` made none.
caf::expected<caf::actor> spawned(const std::string& type_id, caf::actor handle);

template <class Spawn>
object_factory actor_factory(std::string type_id, Spawn spawn) {
  return [type_id = std::move(type_id), spawn](object_context& ctx,
                                               const value& args) -> caf::expected<caf::actor> {
    ctx.may_end_on_its_own(); // the user's actor may quit
    try {
      return spawned(type_id, caf::actor_cast<caf::actor>(spawn(ctx.system(), args)));
    } catch (...) {
      return custom_failure(type_id, std::current_exception());
    }
  };
}

/// What add() and add_actor() return: the options of the new type id.
template <class Derived>
class type_options {
public:
  /// Python's create_method: false makes manager.create refuse this type
  /// id, which then exists only for methods that return objects of it.
  Derived& create_method(bool allowed) {
    entry_->create_method = allowed;
    return static_cast<Derived&>(*this);
  }

protected:
  using type_map = std::map<std::string, std::shared_ptr<registered_type>>;

  type_options(std::shared_ptr<registered_type> entry, const type_map& types)
      : entry_(std::move(entry)), types_(&types) {}

  std::shared_ptr<registered_type> entry_;
  const type_map* types_; // of the registry that made these options
};

} // namespace detail

/// A plain class T registered with add<T>(): expose its methods here.
template <class T>
class class_type : public detail::type_options<class_type<T>> {
public:
  class_type(std::shared_ptr<detail::registered_type> entry,
             const typename class_type::type_map& types)
      : detail::type_options<class_type<T>>(std::move(entry), types) {}

  /// Exposes member function `fn` of T (or of a base of T; const or not,
  /// any arity, void or not) under `name`. Each argument converts with
  /// from_value to the parameter's type, the result with to_value (void:
  /// None). Throws value_error if `name` is exposed already.
  template <class M>
  class_type& method(const std::string& name, M fn) {
    auto& info = *this->entry_->info;
    detail::expose(info, name, detail::make_invoker<T>(info.type_id + "." + name, fn));
    return *this;
  }

  /// What the manager's cycle collector sees of an instance: `fn`, a
  /// member of T (data, or a const function without arguments), gives every
  /// value the instance keeps that may hold proxies stored in it (a value,
  /// or anything to_value converts, such as a std::vector<value>). Declare
  /// it for a class that keeps values it was given: only then is a cycle
  /// through its objects freed (a node holding a list that holds the node).
  template <class M>
  class_type& references(M fn) {
    this->entry_->info->references = [fn](const void* instance) {
      return to_value(std::invoke(fn, *static_cast<const T*>(instance)));
    };
    return *this;
  }

  /// Python's method_to_typeid: exposes `fn`, whose result (an object of a
  /// class U, or a smart pointer to one) becomes a new managed object of
  /// type id `type_id`, which must be registered already for class U
  /// (typically with create_method(false)). The caller gets a reference:
  /// `c.call<custom_proxy>("iter")`. Throws value_error otherwise.
  template <class M>
  class_type& method_to_typeid(const std::string& name, M fn, const std::string& type_id) {
    using made = typename detail::instance_class<typename detail::member_signature<M>::result>::type;
    auto& info = *this->entry_->info;
    auto where = info.type_id + "." + name;
    auto target = detail::target_class(*this->types_, type_id, typeid(made), where);
    detail::expose(info, name, detail::make_factory_invoker<T>(where, fn, std::move(target)));
    return *this;
  }
};

/// An actor type registered with add_actor().
class actor_type : public detail::type_options<actor_type> {
public:
  actor_type(std::shared_ptr<detail::registered_type> entry, const type_map& types)
      : type_options(std::move(entry), types) {}
};

/// The custom types a manager offers besides the builtin ones. Copies share
/// the types registered so far. Not thread-safe: register, then start the
/// manager.
class type_registry {
public:
  /// Registers plain class T: `manager.create(type_id, xs...)` constructs
  /// T from the xs converted to Args (no Args: T()). Throws value_error if
  /// `type_id` is taken.
  template <class T, class... Args>
  class_type<T> add(const std::string& type_id) {
    return add<T>(type_id, &detail::construct<T, std::decay_t<Args>...>);
  }

  /// Registers plain class T made by `factory`, a function or lambda whose
  /// parameters are converted from the create arguments and which returns
  /// a T (or a smart pointer to one). The methods cafman::exposed<T> lists
  /// (cafman/interfaces/exposed.hpp) are exposed at once.
  template <class T, class F>
  class_type<T> add(const std::string& type_id, F factory) {
    auto entry = insert(type_id, std::make_shared<detail::class_info>());
    entry->info->type_id = type_id;
    entry->info->cls = &typeid(T);
    entry->factory = detail::class_factory<T>(entry->info, std::move(factory));
    class_type<T> result{std::move(entry), types_};
    if constexpr (detail::has_exposed<T>::value) // declared once, for clients too
      std::apply([&](const auto&... m) { (result.method(m.name, m.fn), ...); },
                 exposed<T>::methods);
    return result;
  }

  /// Registers an actor type: `spawn(caf::actor_system&, const value& args)`
  /// spawns one object (args: the create arguments, a list) and returns its
  /// handle, a caf::actor or a typed one. Clients talk to it with
  /// custom_proxy::request, or with messages to custom_proxy::actor().
  template <class Spawn>
  actor_type add_actor(const std::string& type_id, Spawn spawn) {
    auto entry = insert(type_id, nullptr);
    entry->factory = detail::actor_factory(type_id, std::move(spawn));
    return actor_type{std::move(entry), types_};
  }

  /// What a manager serves: builtin_types() and every type registered here.
  type_table table() const;

  /// Whether `type_id` is taken, by a builtin type or a registered one.
  bool contains(const std::string& type_id) const;

  /// The type ids registered here, sorted.
  std::vector<std::string> type_ids() const;

  /// The methods registered plain class `type_id` exposes, sorted (none for
  /// an actor type); key_error if `type_id` is not registered here.
  std::vector<std::string> methods(const std::string& type_id) const;

private:
  std::shared_ptr<detail::registered_type> insert(const std::string& type_id,
                                                  std::shared_ptr<detail::class_info> info);

  std::map<std::string, std::shared_ptr<detail::registered_type>> types_;
};

} // namespace cafman
