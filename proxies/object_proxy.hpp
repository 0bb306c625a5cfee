#pragma once

// What every proxy is: a counted reference to one object in a manager, and
// the deadline its calls use. Copies share the reference; the object lives
// while any proxy to it lives in any process.

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <type_traits>

#include "cafman/interfaces/reply.hpp"

#include "cafman/value.hpp"

namespace cafman {

namespace detail {
class object_ref;
struct proxy_access;

/// What a proxy is made of.
struct proxy_parts {
  std::shared_ptr<object_ref> ref;
  std::chrono::milliseconds timeout;
};

/// The parts of a proxy to the object `v` refers to, which must have type
/// id `expected` (any when null); throws type_error otherwise.
proxy_parts parts_of(const value& v, const char* expected);
} // namespace detail

class object_proxy {
public:
  /// The object's id in its manager.
  std::uint64_t id() const;

  /// A proxy stored in a container or passed to an object stays a reference
  /// to the same object (`l.append(d)`, `d["inner"] = other`): whoever reads
  /// it back gets a working proxy (`l.get(0).get<dict_proxy>()`), and the
  /// object lives while any container or process refers to it.
  operator value() const;

  /// The deadline of this proxy's calls.
  std::chrono::milliseconds timeout() const { return timeout_; }

protected:
  object_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  std::shared_ptr<detail::object_ref> ref_;
  std::chrono::milliseconds timeout_;

private:
  friend struct detail::proxy_access;
};

/// A proxy type of objects whose actors have the typed interface
/// `Interface` (cafman/interfaces/), which every call is checked against;
/// adds `with_timeout`: a copy whose calls use another deadline
/// (`d.with_timeout(100ms).get("k")`).
template <class Derived, class Interface>
class basic_proxy : public object_proxy {
public:
  using interface = Interface;

  Derived with_timeout(std::chrono::milliseconds timeout) const { return Derived{ref_, timeout}; }

  /// Sends the request `xs...` of the object's interface and returns at
  /// once; the future holds the reply, or the exception the blocking call
  /// would throw (timeout_error at this proxy's deadline). Calls in flight
  /// share the connection, so plain code can keep many going:
  /// `auto f = d.async(cafman::get_atom_v, cafman::value{"k"}); ... f.get()`.
  /// Defined in proxies/async.hpp (included by cafman/cafman.hpp).
  template <class... Ts>
  std::future<detail::reply_t<Interface, Ts...>> async(Ts&&... xs) const;

protected:
  using object_proxy::object_proxy;
};

/// Proxies convert to values (references) and back.
template <class Proxy>
struct convert<Proxy, std::enable_if_t<std::is_base_of_v<object_proxy, Proxy>>> {
  static value to_value(const Proxy& p) { return p; }

  static Proxy from_value(const value& v) {
    auto parts = detail::parts_of(v, Proxy::type_id);
    return Proxy{std::move(parts.ref), parts.timeout};
  }
};

/// `proxy[key]`: reads and writes one element through the proxy, so that
/// `d["k"] = 42` and `value v = l[0]` read as in Python. It holds a copy of
/// the proxy, so `auto x = m.dict()["k"]` keeps its object alive.
template <class Proxy, class Key, class Value>
class element_ref {
public:
  element_ref(Proxy owner, Key key) : owner_(std::move(owner)), key_(std::move(key)) {}

  const element_ref& operator=(Value v) const {
    owner_.set(key_, std::move(v));
    return *this;
  }

  /// `d["a"] = d["b"]` copies the element, as in Python.
  const element_ref& operator=(const element_ref& other) const { return *this = other.get(); }

  /// The element; key_error or index_error when it is missing, as Python's
  /// d[k] and l[i].
  Value get() const { return owner_.at(key_); }

  operator Value() const { return get(); }

private:
  Proxy owner_;
  Key key_;
};

} // namespace cafman
