// The server-side object actors (dict, list, namespace, shared value) and the
// registry, each driven in-process through one actor system with a blocking
// scoped_actor. Expected results are Python's (3.x) for the same operations;
// failures are checked by their cafman error code and context text.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/behavior.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include <catch2/catch.hpp>

#include "cafman/actors/access.hpp"
#include "cafman/actors/dict.hpp"
#include "cafman/actors/list.hpp"
#include "cafman/actors/namespace.hpp"
#include "cafman/actors/reference.hpp"
#include "cafman/actors/registry.hpp"
#include "cafman/actors/shared_value.hpp"
#include "cafman/protocol.hpp"
#include "cafman/value.hpp"
#include "cafman/net/system_config.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;

using cafman::dict_value;
using cafman::errc;
using cafman::list_value;
using cafman::value;
using i64 = std::int64_t;

namespace {

// Python's None, for slice bounds and defaults.
const value None{};

constexpr auto request_timeout = 5s;

/// A list value from its elements: lst(1, "a", 2.5).
template <class... Ts>
value lst(Ts&&... xs) {
  list_value result;
  result.reserve(sizeof...(Ts));
  (result.emplace_back(std::forward<Ts>(xs)), ...);
  return value{std::move(result)};
}

// -- replies ------------------------------------------------------------------

// What a request answers: nothing (void), one value, or several (a tuple).
template <class... Ts>
struct reply_of {
  using type = std::tuple<Ts...>;
};

template <>
struct reply_of<> {
  using type = void;
};

template <class T>
struct reply_of<T> {
  using type = T;
};

template <class... Ts>
using reply_t = typename reply_of<Ts...>::type;

// Stores a successful reply; a plain struct so that CAF sees one exact signature.
template <class... Ts>
struct reply_sink {
  caf::expected<reply_t<Ts...>>* out;

  void operator()(Ts&... xs) const {
    if constexpr (sizeof...(Ts) == 0)
      *out = caf::expected<void>{};
    else if constexpr (sizeof...(Ts) == 1)
      *out = std::move(xs...);
    else
      *out = reply_t<Ts...>{std::move(xs)...};
  }
};

// -- rendering results for exact comparisons ----------------------------------

std::string context_text(const caf::error& e) {
  const auto& ctx = e.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return caf::to_string(ctx);
}

/// "<code>: <context text>" for a cafman error, CAF's rendering for any other.
std::string describe(const caf::error& e) {
  if (e.category() != caf::atom("cafman"))
    return "non-cafman error " + caf::to_string(e);
  return cafman::to_string(static_cast<errc>(e.code())) + ": " + context_text(e);
}

template <class T>
std::string error_of(const caf::expected<T>& r) {
  return r ? std::string{"<no error>"} : describe(r.error());
}

/// Only the code's name, for failures whose text is not part of the contract.
template <class T>
std::string code_of(const caf::expected<T>& r) {
  if (r)
    return "<no error>";
  if (r.error().category() != caf::atom("cafman"))
    return "non-cafman error " + caf::to_string(r.error());
  return cafman::to_string(static_cast<errc>(r.error().code()));
}

std::string show(const caf::expected<void>& r) {
  return r ? "ok" : "error " + describe(r.error());
}

std::string show(const caf::expected<value>& r) {
  return r ? r->repr() : "error " + describe(r.error());
}

std::string show(const caf::expected<i64>& r) {
  return r ? std::to_string(*r) : "error " + describe(r.error());
}

std::string show(const caf::expected<std::uint64_t>& r) {
  return r ? std::to_string(*r) : "error " + describe(r.error());
}

std::string show(const caf::expected<bool>& r) {
  return r ? (*r ? "True" : "False") : "error " + describe(r.error());
}

std::string show(const caf::expected<std::string>& r) {
  return r ? *r : "error " + describe(r.error());
}

// -- the test environment -----------------------------------------------------

caf::actor_system_config& configured(caf::actor_system_config& cfg) {
  cafman::net::configure(cfg, 2);
  return cfg;
}

struct env {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  /// What a factory gets from a registry; here without one (objects that
  /// make objects, such as iterators, are tested through a manager).
  cafman::object_context ctx;

  env() : sys{configured(cfg)}, self{sys}, ctx{sys, caf::actor{}, nullptr} {
    // nop
  }

  /// Sends one request and waits (bounded) for its reply:
  /// call<value>(dict, get_atom_v, k) returns the value or the error;
  /// call<>(...) is for void replies, call<A, B>(...) for two results.
  template <class... Ts, class Handle, class... Args>
  caf::expected<reply_t<Ts...>> call(const Handle& whom, Args&&... args) {
    caf::expected<reply_t<Ts...>> result{caf::sec::request_timeout};
    self->request(whom, request_timeout, std::forward<Args>(args)...)
      .receive(reply_sink<Ts...>{&result}, [&](caf::error& e) { result = std::move(e); });
    return result;
  }

  /// Waits (bounded) for the down_msg of every actor in `whom`; each must be
  /// monitored by `self` already. Returns the exit reasons in `whom`'s order,
  /// or nothing on timeout.
  std::vector<caf::error> await_down(const std::vector<caf::actor>& whom) {
    std::vector<caf::error> reasons(whom.size());
    std::set<std::size_t> pending;
    for (std::size_t i = 0; i < whom.size(); ++i)
      pending.insert(i);
    auto deadline = std::chrono::steady_clock::now() + request_timeout;
    bool timed_out = false;
    while (!pending.empty() && !timed_out) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        break;
      self->receive(
        [&](caf::down_msg& down) {
          for (auto i : pending) {
            if (whom[i].address() == down.source) {
              reasons[i] = std::move(down.reason);
              pending.erase(i);
              break;
            }
          }
        },
        caf::after(left) >> [&] { timed_out = true; });
    }
    if (!pending.empty())
      reasons.clear();
    return reasons;
  }

  /// A stand-in for a client session: a plain actor that does nothing.
  caf::actor session() {
    return sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  }
};

/// The typed handle of a freshly spawned object; fails the test if spawning failed.
template <class Handle>
Handle typed(const caf::expected<caf::actor>& spawned) {
  INFO("spawn failed: " << (spawned ? std::string{} : describe(spawned.error())));
  REQUIRE(spawned);
  return caf::actor_cast<Handle>(*spawned);
}

cafman::dict_actor new_dict(env& t, const value& args = value{list_value{}}) {
  return typed<cafman::dict_actor>(cafman::spawn_dict(t.ctx, args));
}

cafman::list_actor new_list(env& t, const value& contents) {
  return typed<cafman::list_actor>(cafman::spawn_list(t.ctx, lst(contents)));
}

value zero_to_five() {
  return lst(0, 1, 2, 3, 4, 5);
}

} // namespace

using cafman::append_atom_v;
using cafman::cas_atom_v;
using cafman::clear_atom_v;
using cafman::contains_atom_v;
using cafman::copy_atom_v;
using cafman::count_atom_v;
using cafman::create_atom_v;
using cafman::debug_atom_v;
using cafman::decref_atom_v;
using cafman::delete_atom_v;
using cafman::extend_atom_v;
using cafman::fetch_add_atom_v;
using cafman::get_atom_v;
using cafman::hello_atom_v;
using cafman::incref_atom_v;
using cafman::index_atom_v;
using cafman::insert_atom_v;
using cafman::items_atom_v;
using cafman::keys_atom_v;
using cafman::len_atom_v;
using cafman::objects_atom_v;
using cafman::pop_atom_v;
using cafman::popitem_atom_v;
using cafman::put_atom_v;
using cafman::remove_atom_v;
using cafman::repeat_atom_v;
using cafman::reverse_atom_v;
using cafman::setdef_atom_v;
using cafman::shutdown_atom_v;
using cafman::slice_atom_v;
using cafman::sort_atom_v;
using cafman::typecode_atom_v;
using cafman::update_atom_v;
using cafman::values_atom_v;

// -- dict ---------------------------------------------------------------------

TEST_CASE("dict: get, put, delete, contains, len", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto d = new_dict(t);
  CHECK(show(t.call<i64>(d, len_atom_v)) == "0");
  // d['missing'] -> KeyError: 'missing'
  auto missing = t.call<value>(d, get_atom_v, value{"missing"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().category() == caf::atom("cafman"));
  CHECK(missing.error().code() == static_cast<std::uint8_t>(errc::key_not_found));
  CHECK(context_text(missing.error()) == "'missing'");
  // d.get('missing', 0) -> 0; d.get('missing', None) -> None
  CHECK(show(t.call<value>(d, get_atom_v, value{"missing"}, value{0})) == "0");
  CHECK(show(t.call<value>(d, get_atom_v, value{"missing"}, None)) == "None");
  CHECK(show(t.call<>(d, put_atom_v, value{"a"}, value{1})) == "ok");
  CHECK(show(t.call<>(d, put_atom_v, value{"b"}, lst(1, "x"))) == "ok");
  CHECK(show(t.call<value>(d, get_atom_v, value{"a"})) == "1");
  CHECK(show(t.call<value>(d, get_atom_v, value{"b"})) == "[1, 'x']");
  CHECK(show(t.call<value>(d, get_atom_v, value{"a"}, value{0})) == "1");
  CHECK(show(t.call<bool>(d, contains_atom_v, value{"a"})) == "True");
  CHECK(show(t.call<bool>(d, contains_atom_v, value{"zz"})) == "False");
  CHECK(show(t.call<i64>(d, len_atom_v)) == "2");
  // Overwriting keeps the length; 1, 1.0 and True are one key, the first one kept.
  CHECK(show(t.call<>(d, put_atom_v, value{"a"}, value{2.5})) == "ok");
  CHECK(show(t.call<>(d, put_atom_v, value{1}, value{"int"})) == "ok");
  CHECK(show(t.call<>(d, put_atom_v, value{1.0}, value{"float"})) == "ok");
  CHECK(show(t.call<>(d, put_atom_v, value{true}, value{"bool"})) == "ok");
  CHECK(show(t.call<i64>(d, len_atom_v)) == "3");
  CHECK(show(t.call<value>(d, items_atom_v)) == "[['a', 2.5], ['b', [1, 'x']], [1, 'bool']]");
  CHECK(show(t.call<value>(d, get_atom_v, value{1.0})) == "'bool'");
  // Non-string keys: lists and None are keys like any other here.
  CHECK(show(t.call<>(d, put_atom_v, lst(1, 2), None)) == "ok");
  CHECK(show(t.call<value>(d, get_atom_v, lst(1, 2))) == "None");
  // del d['a']; del d['a'] -> KeyError: 'a'
  CHECK(show(t.call<>(d, delete_atom_v, value{"a"})) == "ok");
  CHECK(show(t.call<bool>(d, contains_atom_v, value{"a"})) == "False");
  CHECK(error_of(t.call<>(d, delete_atom_v, value{"a"})) == "key_not_found: 'a'");
  CHECK(show(t.call<i64>(d, len_atom_v)) == "3");
}

TEST_CASE("dict: pop, popitem, setdefault", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto d = new_dict(t, lst(dict_value{{"a", 1}, {"b", 2}, {"c", 3}}));
  // pop
  CHECK(show(t.call<value>(d, pop_atom_v, value{"b"})) == "2");
  CHECK(show(t.call<bool>(d, contains_atom_v, value{"b"})) == "False");
  CHECK(error_of(t.call<value>(d, pop_atom_v, value{"b"})) == "key_not_found: 'b'");
  CHECK(show(t.call<value>(d, pop_atom_v, value{"b"}, value{"dflt"})) == "'dflt'");
  CHECK(show(t.call<value>(d, pop_atom_v, value{"a"}, value{"dflt"})) == "1");
  CHECK(show(t.call<i64>(d, len_atom_v)) == "1");
  // popitem: last in, first out
  CHECK(show(t.call<>(d, put_atom_v, value{"x"}, value{10})) == "ok");
  CHECK(show(t.call<>(d, put_atom_v, value{"y"}, value{20})) == "ok");
  CHECK(show(t.call<value>(d, popitem_atom_v)) == "['y', 20]");
  CHECK(show(t.call<value>(d, popitem_atom_v)) == "['x', 10]");
  CHECK(show(t.call<value>(d, popitem_atom_v)) == "['c', 3]");
  // {}.popitem() -> KeyError: 'popitem(): dictionary is empty'
  CHECK(error_of(t.call<value>(d, popitem_atom_v))
        == "key_not_found: popitem(): dictionary is empty");
  CHECK(show(t.call<i64>(d, len_atom_v)) == "0");
  // setdefault inserts once, then returns the stored value
  CHECK(show(t.call<value>(d, setdef_atom_v, value{"k"}, value{5})) == "5");
  CHECK(show(t.call<value>(d, setdef_atom_v, value{"k"}, value{7})) == "5");
  CHECK(show(t.call<value>(d, setdef_atom_v, value{"n"}, None)) == "None");
  CHECK(show(t.call<value>(d, copy_atom_v)) == "{'k': 5, 'n': None}");
}

TEST_CASE("dict: update, clear, copy, keys, values, items", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto d = new_dict(t);
  CHECK(show(t.call<value>(d, keys_atom_v)) == "[]");
  CHECK(show(t.call<value>(d, copy_atom_v)) == "{}");
  CHECK(show(t.call<>(d, put_atom_v, value{"b"}, value{1})) == "ok");
  CHECK(show(t.call<>(d, put_atom_v, value{"a"}, value{2})) == "ok");
  // update from a dict: existing keys keep their position, new ones go last
  CHECK(show(t.call<>(d, update_atom_v, value{dict_value{{"c", 3}, {"b", 10}}})) == "ok");
  CHECK(show(t.call<value>(d, keys_atom_v)) == "['b', 'a', 'c']");
  CHECK(show(t.call<value>(d, values_atom_v)) == "[10, 2, 3]");
  // update from a list of pairs; a repeated key keeps its last value
  CHECK(show(t.call<>(d, update_atom_v, lst(lst("z", 26), lst("a", 0), lst("z", 27)))) == "ok");
  CHECK(show(t.call<value>(d, items_atom_v)) == "[['b', 10], ['a', 0], ['c', 3], ['z', 27]]");
  // deleting and re-inserting moves a key to the end
  CHECK(show(t.call<>(d, delete_atom_v, value{"b"})) == "ok");
  CHECK(show(t.call<>(d, put_atom_v, value{"b"}, value{"again"})) == "ok");
  CHECK(show(t.call<value>(d, keys_atom_v)) == "['a', 'c', 'z', 'b']");
  CHECK(show(t.call<value>(d, values_atom_v)) == "[0, 3, 27, 'again']");
  CHECK(show(t.call<value>(d, items_atom_v))
        == "[['a', 0], ['c', 3], ['z', 27], ['b', 'again']]");
  // bad arguments, which change nothing:
  // d.update(42) -> TypeError: 'int' object is not iterable
  CHECK(error_of(t.call<>(d, update_atom_v, value{42}))
        == "type_mismatch: update() expects a dict or a list of pairs, got int");
  // d.update([[1, 2, 3]]) -> ValueError: ... element #0 has length 3; 2 is required
  CHECK(error_of(t.call<>(d, update_atom_v, lst(lst(1, 2, 3))))
        == "bad_argument: dictionary update sequence element [1, 2, 3] has length 3; 2 is required");
  // d.update([1]) -> TypeError: cannot convert dictionary update sequence element #0 to a sequence
  CHECK(code_of(t.call<>(d, update_atom_v, lst(1))) == "type_mismatch");
  CHECK(show(t.call<i64>(d, len_atom_v)) == "4");
  // copy is a snapshot: later changes do not reach it
  auto snapshot = t.call<value>(d, copy_atom_v);
  CHECK(show(snapshot) == "{'a': 0, 'c': 3, 'z': 27, 'b': 'again'}");
  CHECK(show(t.call<>(d, clear_atom_v)) == "ok");
  CHECK(show(t.call<i64>(d, len_atom_v)) == "0");
  CHECK(show(t.call<value>(d, items_atom_v)) == "[]");
  CHECK(show(snapshot) == "{'a': 0, 'c': 3, 'z': 27, 'b': 'again'}");
  CHECK(error_of(t.call<value>(d, get_atom_v, value{"a"})) == "key_not_found: 'a'");
}

TEST_CASE("dict: fetch_add", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto d = new_dict(t);
  // a missing key counts as 0; the old value is returned
  CHECK(show(t.call<value>(d, fetch_add_atom_v, value{"n"}, value{5})) == "0");
  CHECK(show(t.call<value>(d, get_atom_v, value{"n"})) == "5");
  CHECK(show(t.call<value>(d, fetch_add_atom_v, value{"n"}, value{2})) == "5");
  CHECK(show(t.call<value>(d, get_atom_v, value{"n"})) == "7");
  CHECK(show(t.call<value>(d, fetch_add_atom_v, value{"n"}, value{-10})) == "7");
  CHECK(show(t.call<value>(d, get_atom_v, value{"n"})) == "-3");
  // int + float is a float
  CHECK(show(t.call<value>(d, fetch_add_atom_v, value{"n"}, value{0.5})) == "-3");
  CHECK(show(t.call<value>(d, get_atom_v, value{"n"})) == "-2.5");
  CHECK(show(t.call<value>(d, fetch_add_atom_v, value{"f"}, value{1.5})) == "0");
  CHECK(show(t.call<value>(d, get_atom_v, value{"f"})) == "1.5");
  // True + True == 2
  CHECK(show(t.call<>(d, put_atom_v, value{"t"}, value{true})) == "ok");
  CHECK(show(t.call<value>(d, fetch_add_atom_v, value{"t"}, value{true})) == "True");
  CHECK(show(t.call<value>(d, get_atom_v, value{"t"})) == "2");
  // non-numbers: TypeError, nothing stored
  CHECK(show(t.call<>(d, put_atom_v, value{"s"}, value{"text"})) == "ok");
  CHECK(error_of(t.call<value>(d, fetch_add_atom_v, value{"s"}, value{1}))
        == "type_mismatch: unsupported operand types for +: 'str' and 'int'");
  CHECK(show(t.call<value>(d, get_atom_v, value{"s"})) == "'text'");
  CHECK(error_of(t.call<value>(d, fetch_add_atom_v, value{"m"}, value{"x"}))
        == "type_mismatch: unsupported operand types for +: 'int' and 'str'");
  CHECK(show(t.call<bool>(d, contains_atom_v, value{"m"})) == "False");
  // beyond 64 bits: an error, the value stays
  auto max = std::numeric_limits<i64>::max();
  CHECK(show(t.call<>(d, put_atom_v, value{"big"}, value{max})) == "ok");
  CHECK(error_of(t.call<value>(d, fetch_add_atom_v, value{"big"}, value{1}))
        == "bad_argument: integer overflow: 9223372036854775807 + 1 does not fit in 64 bits");
  CHECK(show(t.call<value>(d, get_atom_v, value{"big"})) == "9223372036854775807");
  auto min = std::numeric_limits<i64>::min();
  CHECK(show(t.call<>(d, put_atom_v, value{"small"}, value{min})) == "ok");
  CHECK(code_of(t.call<value>(d, fetch_add_atom_v, value{"small"}, value{-1}))
        == "bad_argument");
  CHECK(show(t.call<value>(d, get_atom_v, value{"small"})) == "-9223372036854775808");
}

TEST_CASE("dict: spawn_dict with initial contents and bad arguments", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  // dict({'b': 1, 'a': 2})
  auto from_dict = new_dict(t, lst(dict_value{{"b", 1}, {"a", 2}}));
  CHECK(show(t.call<value>(from_dict, items_atom_v)) == "[['b', 1], ['a', 2]]");
  // dict([['x', 1], ['y', 2]])
  auto from_pairs = new_dict(t, lst(lst(lst("x", 1), lst("y", 2))));
  CHECK(show(t.call<value>(from_pairs, copy_atom_v)) == "{'x': 1, 'y': 2}");
  // no argument list at all, and an empty one
  auto empty = new_dict(t, None);
  CHECK(show(t.call<i64>(empty, len_atom_v)) == "0");
  auto empty2 = new_dict(t, lst());
  CHECK(show(t.call<i64>(empty2, len_atom_v)) == "0");
  // bad arguments: dict(42), dict([['x', 1, 2]]), dict({}, {})
  CHECK(error_of(cafman::spawn_dict(t.ctx, lst(42)))
        == "type_mismatch: update() expects a dict or a list of pairs, got int");
  CHECK(error_of(cafman::spawn_dict(t.ctx, lst(lst(lst("x", 1, 2)))))
        == "bad_argument: dictionary update sequence element ['x', 1, 2] has length 3; 2 is required");
  CHECK(error_of(cafman::spawn_dict(t.ctx, value{"ab"}))
        == "type_mismatch: dict() arguments must be a list, got str");
  CHECK(error_of(cafman::spawn_dict(t.ctx, lst(dict_value{}, dict_value{})))
        == "type_mismatch: dict() takes at most 1 argument(s), got 2");
}

// -- list ---------------------------------------------------------------------

TEST_CASE("list: indexing with negative indexes and out of range", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto l = new_list(t, lst(0, 1, 2, 3, 4));
  CHECK(show(t.call<value>(l, get_atom_v, i64{0})) == "0");
  CHECK(show(t.call<value>(l, get_atom_v, i64{4})) == "4");
  CHECK(show(t.call<value>(l, get_atom_v, i64{-1})) == "4");
  CHECK(show(t.call<value>(l, get_atom_v, i64{-5})) == "0");
  CHECK(error_of(t.call<value>(l, get_atom_v, i64{5}))
        == "index_out_of_range: list index 5 out of range (size 5)");
  CHECK(error_of(t.call<value>(l, get_atom_v, i64{-6}))
        == "index_out_of_range: list index -6 out of range (size 5)");
  // l[-2] = 'x'; l[0] = 'first'; l[5] = ... and l[-6] = ... -> IndexError
  CHECK(show(t.call<>(l, put_atom_v, i64{-2}, value{"x"})) == "ok");
  CHECK(show(t.call<>(l, put_atom_v, i64{0}, value{"first"})) == "ok");
  CHECK(code_of(t.call<>(l, put_atom_v, i64{5}, value{"y"})) == "index_out_of_range");
  CHECK(code_of(t.call<>(l, put_atom_v, i64{-6}, value{"y"})) == "index_out_of_range");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "['first', 1, 2, 'x', 4]");
  // del l[-1]; del l[4] and del l[-5] -> IndexError; del l[-4]
  CHECK(show(t.call<>(l, delete_atom_v, i64{-1})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "['first', 1, 2, 'x']");
  CHECK(code_of(t.call<>(l, delete_atom_v, i64{4})) == "index_out_of_range");
  CHECK(code_of(t.call<>(l, delete_atom_v, i64{-5})) == "index_out_of_range");
  CHECK(show(t.call<>(l, delete_atom_v, i64{-4})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "[1, 2, 'x']");
  // an empty list has no index at all
  auto e = new_list(t, lst());
  CHECK(error_of(t.call<value>(e, get_atom_v, i64{0}))
        == "index_out_of_range: list index 0 out of range (size 0)");
  CHECK(code_of(t.call<value>(e, get_atom_v, i64{-1})) == "index_out_of_range");
  CHECK(code_of(t.call<>(e, delete_atom_v, i64{0})) == "index_out_of_range");
}

namespace {

struct slice_case {
  value start;
  value stop;
  value step;
  value replacement; // assignment cases only
  std::string expected;
};

} // namespace

TEST_CASE("list: slices match Python", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  // a = [0, 1, 2, 3, 4, 5] in every case
  SECTION("get") {
    auto l = new_list(t, zero_to_five());
    std::vector<slice_case> cases{
      {1, 3, None, None, "[1, 2]"},                   // a[1:3]
      {None, None, -1, None, "[5, 4, 3, 2, 1, 0]"},   // a[::-1]
      {None, None, 2, None, "[0, 2, 4]"},             // a[::2]
      {1, None, 2, None, "[1, 3, 5]"},                // a[1::2]
      {-2, None, None, None, "[4, 5]"},               // a[-2:]
      {None, -2, None, None, "[0, 1, 2, 3]"},         // a[:-2]
      {4, 1, -1, None, "[4, 3, 2]"},                  // a[4:1:-1]
      {1, None, -1, None, "[1, 0]"},                  // a[1::-1]
      {-1, -7, -2, None, "[5, 3, 1]"},                // a[-1:-7:-2]
      {None, None, -4, None, "[5, 1]"},               // a[::-4]
      {100, None, -1, None, "[5, 4, 3, 2, 1, 0]"},    // a[100::-1]
      {None, -100, -1, None, "[5, 4, 3, 2, 1, 0]"},   // a[:-100:-1]
      {10, None, None, None, "[]"},                   // a[10:]
      {-100, 2, None, None, "[0, 1]"},                // a[-100:2]
      {5, 1, None, None, "[]"},                       // a[5:1]
      {2, 2, None, None, "[]"},                       // a[2:2]
      {None, None, None, None, "[0, 1, 2, 3, 4, 5]"}, // a[:]
      {true, None, None, None, "[1, 2, 3, 4, 5]"},    // a[True:] (a bool is an int)
    };
    for (auto& c : cases) {
      INFO("a[" << c.start << ":" << c.stop << ":" << c.step << "]");
      CHECK(show(t.call<value>(l, get_atom_v, slice_atom_v, c.start, c.stop, c.step))
            == c.expected);
    }
    // a[::0] -> ValueError; a['a':] and a[:1.5] -> TypeError
    CHECK(error_of(t.call<value>(l, get_atom_v, slice_atom_v, None, None, value{0}))
          == "bad_argument: slice step cannot be zero");
    CHECK(code_of(t.call<value>(l, get_atom_v, slice_atom_v, value{"a"}, None, None))
          == "type_mismatch");
    CHECK(code_of(t.call<value>(l, get_atom_v, slice_atom_v, None, value{1.5}, None))
          == "type_mismatch");
    // reading never changes the list
    CHECK(show(t.call<value>(l, copy_atom_v)) == "[0, 1, 2, 3, 4, 5]");
  }
  SECTION("set") {
    std::vector<slice_case> cases{
      {1, 3, None, lst("a", "b", "c"), "[0, 'a', 'b', 'c', 3, 4, 5]"},  // a[1:3] = ...
      {1, 3, 1, lst("a"), "[0, 'a', 3, 4, 5]"},                         // a[1:3:1] = ['a']
      {1, 1, None, lst(9, 9), "[0, 9, 9, 1, 2, 3, 4, 5]"},              // a[1:1] = [9, 9]
      {4, 1, None, lst("x"), "[0, 1, 2, 3, 'x', 4, 5]"},                // a[4:1] = ['x']
      {None, None, None, lst(), "[]"},                                  // a[:] = []
      {-2, None, None, lst(), "[0, 1, 2, 3]"},                          // a[-2:] = []
      {10, None, None, lst(6, 7), "[0, 1, 2, 3, 4, 5, 6, 7]"},          // a[10:] = [6, 7]
      {-100, 0, None, lst(-1), "[-1, 0, 1, 2, 3, 4, 5]"},               // a[-100:0] = [-1]
      {None, None, 2, lst("a", "b", "c"), "['a', 1, 'b', 3, 'c', 5]"},  // a[::2] = ...
      {None, None, -1, lst("a", "b", "c", "d", "e", "f"),
       "['f', 'e', 'd', 'c', 'b', 'a']"},                               // a[::-1] = ...
      {None, None, -2, lst("x", "y", "z"), "[0, 'z', 2, 'y', 4, 'x']"}, // a[::-2] = ...
      {5, 5, -1, lst(), "[0, 1, 2, 3, 4, 5]"},                          // a[5:5:-1] = []
    };
    for (auto& c : cases) {
      INFO("a[" << c.start << ":" << c.stop << ":" << c.step << "] = " << c.replacement);
      auto l = new_list(t, zero_to_five());
      CHECK(show(t.call<>(l, put_atom_v, slice_atom_v, c.start, c.stop, c.step, c.replacement))
            == "ok");
      CHECK(show(t.call<value>(l, copy_atom_v)) == c.expected);
    }
    auto l = new_list(t, zero_to_five());
    // a[::2] = [10, 20] -> ValueError, a unchanged
    CHECK(error_of(t.call<>(l, put_atom_v, slice_atom_v, None, None, value{2}, lst(10, 20)))
          == "bad_argument: attempt to assign sequence of size 2 to extended slice of size 3");
    // a[5:1:-1] = [] -> ValueError
    CHECK(error_of(t.call<>(l, put_atom_v, slice_atom_v, value{5}, value{1}, value{-1}, lst()))
          == "bad_argument: attempt to assign sequence of size 0 to extended slice of size 4");
    // a[1:3:0] = [] -> ValueError: slice step cannot be zero
    CHECK(error_of(t.call<>(l, put_atom_v, slice_atom_v, value{1}, value{3}, value{0}, lst()))
          == "bad_argument: slice step cannot be zero");
    // a[1:2] = 5 -> TypeError: can only assign an iterable
    CHECK(error_of(t.call<>(l, put_atom_v, slice_atom_v, value{1}, value{2}, None, value{5}))
          == "type_mismatch: slice assignment needs a list, got int");
    CHECK(show(t.call<value>(l, copy_atom_v)) == "[0, 1, 2, 3, 4, 5]");
  }
  SECTION("delete") {
    std::vector<slice_case> cases{
      {1, 3, None, None, "[0, 3, 4, 5]"},             // del a[1:3]
      {None, None, 2, None, "[1, 3, 5]"},             // del a[::2]
      {None, None, -2, None, "[0, 2, 4]"},            // del a[::-2]
      {4, 1, -1, None, "[0, 1, 5]"},                  // del a[4:1:-1]
      {-2, None, None, None, "[0, 1, 2, 3]"},         // del a[-2:]
      {10, None, None, None, "[0, 1, 2, 3, 4, 5]"},   // del a[10:]
      {4, 1, None, None, "[0, 1, 2, 3, 4, 5]"},       // del a[4:1]
      {None, None, None, None, "[]"},                 // del a[:]
    };
    for (auto& c : cases) {
      INFO("del a[" << c.start << ":" << c.stop << ":" << c.step << "]");
      auto l = new_list(t, zero_to_five());
      CHECK(show(t.call<>(l, delete_atom_v, slice_atom_v, c.start, c.stop, c.step)) == "ok");
      CHECK(show(t.call<value>(l, copy_atom_v)) == c.expected);
    }
    auto l = new_list(t, zero_to_five());
    // del a[::0] -> ValueError
    CHECK(error_of(t.call<>(l, delete_atom_v, slice_atom_v, None, None, value{0}))
          == "bad_argument: slice step cannot be zero");
    CHECK(show(t.call<value>(l, copy_atom_v)) == "[0, 1, 2, 3, 4, 5]");
  }
}

TEST_CASE("list: append, extend, insert, pop, remove", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto l = new_list(t, lst());
  CHECK(show(t.call<>(l, append_atom_v, value{1})) == "ok");
  CHECK(show(t.call<>(l, append_atom_v, value{"a"})) == "ok");
  CHECK(show(t.call<>(l, append_atom_v, lst(1, 2))) == "ok"); // one element, a list
  CHECK(show(t.call<value>(l, copy_atom_v)) == "[1, 'a', [1, 2]]");
  CHECK(show(t.call<>(l, extend_atom_v, lst(2, 3))) == "ok");
  CHECK(show(t.call<>(l, extend_atom_v, lst())) == "ok");
  // l.extend(5) -> TypeError: 'int' object is not iterable
  CHECK(error_of(t.call<>(l, extend_atom_v, value{5}))
        == "type_mismatch: extend() needs a list, got int");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "[1, 'a', [1, 2], 2, 3]");
  CHECK(show(t.call<>(l, delete_atom_v, i64{2})) == "ok");
  // insert clamps its index like Python
  CHECK(show(t.call<>(l, insert_atom_v, i64{0}, value{"first"})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "['first', 1, 'a', 2, 3]");
  CHECK(show(t.call<>(l, insert_atom_v, i64{-1}, value{"x"})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "['first', 1, 'a', 2, 'x', 3]");
  CHECK(show(t.call<>(l, insert_atom_v, i64{100}, value{"end"})) == "ok");
  CHECK(show(t.call<>(l, insert_atom_v, i64{-100}, value{"start"})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v))
        == "['start', 'first', 1, 'a', 2, 'x', 3, 'end']");
  CHECK(show(t.call<>(l, insert_atom_v, i64{2}, value{2.5})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v))
        == "['start', 'first', 2.5, 1, 'a', 2, 'x', 3, 'end']");
  // pop(i); out of range -> IndexError
  CHECK(show(t.call<value>(l, pop_atom_v, i64{-1})) == "'end'");
  CHECK(show(t.call<value>(l, pop_atom_v, i64{0})) == "'start'");
  CHECK(show(t.call<value>(l, pop_atom_v, i64{1})) == "2.5");
  CHECK(code_of(t.call<value>(l, pop_atom_v, i64{100})) == "index_out_of_range");
  CHECK(code_of(t.call<value>(l, pop_atom_v, i64{-100})) == "index_out_of_range");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "['first', 1, 'a', 2, 'x', 3]");
  // remove: the first equal element (1.0 == 1); a missing one -> ValueError
  CHECK(show(t.call<>(l, append_atom_v, value{"x"})) == "ok");
  CHECK(show(t.call<>(l, remove_atom_v, value{"x"})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "['first', 1, 'a', 2, 3, 'x']");
  CHECK(show(t.call<>(l, remove_atom_v, value{1.0})) == "ok");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "['first', 'a', 2, 3, 'x']");
  CHECK(error_of(t.call<>(l, remove_atom_v, value{"zzz"}))
        == "bad_argument: list.remove(x): 'zzz' not in list");
  CHECK(show(t.call<i64>(l, len_atom_v)) == "5");
  // [].pop() -> IndexError: pop from empty list; [].remove(1) -> ValueError
  auto e = new_list(t, lst());
  CHECK(error_of(t.call<value>(e, pop_atom_v, i64{-1}))
        == "index_out_of_range: pop from empty list");
  CHECK(code_of(t.call<>(e, remove_atom_v, value{1})) == "bad_argument");
}

TEST_CASE("list: index, count, reverse, sort, repeat", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto l = new_list(t, lst(1, 2, 3, 2, 1));
  // index(x[, start[, stop]]), with slice-like clamping of start and stop
  CHECK(show(t.call<i64>(l, index_atom_v, value{2}, None, None)) == "1");
  CHECK(show(t.call<i64>(l, index_atom_v, value{2}, value{2}, None)) == "3");
  CHECK(show(t.call<i64>(l, index_atom_v, value{2}, value{-2}, None)) == "3");
  CHECK(show(t.call<i64>(l, index_atom_v, value{1}, value{1}, None)) == "4");
  CHECK(show(t.call<i64>(l, index_atom_v, value{3}, value{0}, value{-2})) == "2");
  CHECK(show(t.call<i64>(l, index_atom_v, value{1.0}, value{-100}, value{100})) == "0");
  CHECK(error_of(t.call<i64>(l, index_atom_v, value{1}, value{1}, value{4}))
        == "bad_argument: 1 is not in list");
  CHECK(error_of(t.call<i64>(l, index_atom_v, value{9}, None, None))
        == "bad_argument: 9 is not in list");
  CHECK(code_of(t.call<i64>(l, index_atom_v, value{2}, value{10}, None)) == "bad_argument");
  CHECK(code_of(t.call<i64>(l, index_atom_v, value{2}, value{3}, value{1})) == "bad_argument");
  // count uses ==: 1 == 1.0 == True
  CHECK(show(t.call<i64>(l, count_atom_v, value{2})) == "2");
  CHECK(show(t.call<i64>(l, count_atom_v, value{1.0})) == "2");
  CHECK(show(t.call<i64>(l, count_atom_v, value{true})) == "2");
  CHECK(show(t.call<i64>(l, count_atom_v, value{"z"})) == "0");
  // reverse
  auto r = new_list(t, lst(1, "b", 3.5));
  CHECK(show(t.call<>(r, reverse_atom_v)) == "ok");
  CHECK(show(t.call<value>(r, copy_atom_v)) == "[3.5, 'b', 1]");
  // sort ascending and descending; both are stable
  auto s = new_list(t, lst(3, 1, 2));
  CHECK(show(t.call<>(s, sort_atom_v, false)) == "ok");
  CHECK(show(t.call<value>(s, copy_atom_v)) == "[1, 2, 3]");
  CHECK(show(t.call<>(s, sort_atom_v, true)) == "ok");
  CHECK(show(t.call<value>(s, copy_atom_v)) == "[3, 2, 1]");
  auto stable = new_list(t, lst(2, 1.0, 1, true));
  CHECK(show(t.call<>(stable, sort_atom_v, false)) == "ok"); // sorted([2, 1.0, 1, True])
  CHECK(show(t.call<value>(stable, copy_atom_v)) == "[1.0, 1, True, 2]");
  auto stable_desc = new_list(t, lst(1.0, 2, 1, true));
  CHECK(show(t.call<>(stable_desc, sort_atom_v, true)) == "ok"); // reverse=True keeps ties
  CHECK(show(t.call<value>(stable_desc, copy_atom_v)) == "[2, 1.0, 1, True]");
  auto strings = new_list(t, lst("b", "c", "a", "B"));
  CHECK(show(t.call<>(strings, sort_atom_v, false)) == "ok");
  CHECK(show(t.call<value>(strings, copy_atom_v)) == "['B', 'a', 'b', 'c']");
  // [1, 'a', 2].sort() -> TypeError: '<' not supported between instances of 'str' and 'int'
  auto mixed = new_list(t, lst(1, "a", 2));
  CHECK(code_of(t.call<>(mixed, sort_atom_v, false)) == "type_mismatch");
  auto mixed_desc = new_list(t, lst("a", 1));
  CHECK(code_of(t.call<>(mixed_desc, sort_atom_v, true)) == "type_mismatch");
  // l *= n
  auto p = new_list(t, lst(1, "a"));
  CHECK(show(t.call<>(p, repeat_atom_v, i64{1})) == "ok");
  CHECK(show(t.call<value>(p, copy_atom_v)) == "[1, 'a']");
  CHECK(show(t.call<>(p, repeat_atom_v, i64{3})) == "ok");
  CHECK(show(t.call<value>(p, copy_atom_v)) == "[1, 'a', 1, 'a', 1, 'a']");
  CHECK(show(t.call<>(p, repeat_atom_v, i64{0})) == "ok");
  CHECK(show(t.call<value>(p, copy_atom_v)) == "[]");
  auto q = new_list(t, lst(1));
  CHECK(show(t.call<>(q, repeat_atom_v, i64{-2})) == "ok");
  CHECK(show(t.call<i64>(q, len_atom_v)) == "0");
}

TEST_CASE("list: contains, len, clear, copy, spawn_list", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto l = new_list(t, lst(1, "a", lst(2, 3), None));
  CHECK(show(t.call<i64>(l, len_atom_v)) == "4");
  CHECK(show(t.call<bool>(l, contains_atom_v, value{"a"})) == "True");
  CHECK(show(t.call<bool>(l, contains_atom_v, value{1.0})) == "True");
  CHECK(show(t.call<bool>(l, contains_atom_v, lst(2, 3))) == "True");
  CHECK(show(t.call<bool>(l, contains_atom_v, None)) == "True");
  CHECK(show(t.call<bool>(l, contains_atom_v, value{2})) == "False");
  CHECK(show(t.call<bool>(l, contains_atom_v, value{"A"})) == "False");
  auto snapshot = t.call<value>(l, copy_atom_v);
  CHECK(show(snapshot) == "[1, 'a', [2, 3], None]");
  CHECK(show(t.call<>(l, clear_atom_v)) == "ok");
  CHECK(show(t.call<i64>(l, len_atom_v)) == "0");
  CHECK(show(t.call<value>(l, copy_atom_v)) == "[]");
  CHECK(show(t.call<bool>(l, contains_atom_v, value{"a"})) == "False");
  CHECK(show(snapshot) == "[1, 'a', [2, 3], None]");
  // list() with no argument list at all, and with an empty one
  auto none_args = typed<cafman::list_actor>(cafman::spawn_list(t.ctx, None));
  CHECK(show(t.call<i64>(none_args, len_atom_v)) == "0");
  auto no_args = typed<cafman::list_actor>(cafman::spawn_list(t.ctx, lst()));
  CHECK(show(t.call<value>(no_args, copy_atom_v)) == "[]");
  CHECK(error_of(cafman::spawn_list(t.ctx, lst(42)))
        == "type_mismatch: list() needs a list, got int");
  CHECK(error_of(cafman::spawn_list(t.ctx, lst(lst(), lst())))
        == "type_mismatch: list() takes at most 1 argument(s), got 2");
}

// -- namespace ----------------------------------------------------------------

TEST_CASE("namespace: set, get, delete, contains, copy", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto ns = typed<cafman::namespace_actor>(
    cafman::spawn_namespace(t.sys, lst(dict_value{{"x", 1}})));
  CHECK(show(t.call<value>(ns, get_atom_v, "x")) == "1");
  // ns.y -> AttributeError: 'Namespace' object has no attribute 'y'
  CHECK(error_of(t.call<value>(ns, get_atom_v, "y"))
        == "no_such_attribute: 'Namespace' object has no attribute 'y'");
  CHECK(show(t.call<bool>(ns, contains_atom_v, "y")) == "False");
  CHECK(show(t.call<>(ns, put_atom_v, "y", lst(1, 2))) == "ok");
  CHECK(show(t.call<>(ns, put_atom_v, "x", value{"one"})) == "ok");
  CHECK(show(t.call<bool>(ns, contains_atom_v, "y")) == "True");
  CHECK(show(t.call<value>(ns, get_atom_v, "y")) == "[1, 2]");
  CHECK(show(t.call<value>(ns, get_atom_v, "x")) == "'one'");
  CHECK(show(t.call<value>(ns, copy_atom_v)) == "{'x': 'one', 'y': [1, 2]}");
  // del ns.x twice -> AttributeError
  CHECK(show(t.call<>(ns, delete_atom_v, "x")) == "ok");
  CHECK(error_of(t.call<>(ns, delete_atom_v, "x"))
        == "no_such_attribute: 'Namespace' object has no attribute 'x'");
  CHECK(code_of(t.call<value>(ns, get_atom_v, "x")) == "no_such_attribute");
  CHECK(show(t.call<bool>(ns, contains_atom_v, "x")) == "False");
  CHECK(show(t.call<value>(ns, copy_atom_v)) == "{'y': [1, 2]}");
  // Namespace() and bad initial attributes
  auto empty = typed<cafman::namespace_actor>(cafman::spawn_namespace(t.sys, lst()));
  CHECK(show(t.call<value>(empty, copy_atom_v)) == "{}");
  CHECK(error_of(cafman::spawn_namespace(t.sys, lst(dict_value{{1, 2}})))
        == "type_mismatch: attribute names must be str, got int");
  CHECK(code_of(cafman::spawn_namespace(t.sys, lst(5))) == "type_mismatch");
}

// -- shared value -------------------------------------------------------------

TEST_CASE("shared_value: typecode 'i'", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto v = typed<cafman::value_actor>(cafman::spawn_shared_value(t.sys, lst("i", 5)));
  CHECK(show(t.call<std::string>(v, typecode_atom_v)) == "i");
  CHECK(show(t.call<value>(v, get_atom_v)) == "5");
  CHECK(show(t.call<>(v, put_atom_v, value{7})) == "ok");
  CHECK(show(t.call<value>(v, get_atom_v)) == "7");
  // the C int range: INT_MAX and INT_MIN fit, one more does not
  CHECK(show(t.call<>(v, put_atom_v, value{2147483647})) == "ok");
  CHECK(show(t.call<>(v, put_atom_v, value{-2147483648LL})) == "ok");
  CHECK(error_of(t.call<>(v, put_atom_v, value{2147483648LL}))
        == "bad_argument: 2147483648 is out of range for typecode 'i' "
           "(-2147483648 to 2147483647)");
  CHECK(code_of(t.call<>(v, put_atom_v, value{-2147483649LL})) == "bad_argument");
  CHECK(error_of(t.call<>(v, put_atom_v, value{"x"}))
        == "type_mismatch: typecode 'i' needs an int, got str");
  CHECK(code_of(t.call<>(v, put_atom_v, value{1.5})) == "type_mismatch");
  CHECK(show(t.call<value>(v, get_atom_v)) == "-2147483648");
  // fetch_add returns the old value; overflowing the typecode changes nothing
  CHECK(show(t.call<>(v, put_atom_v, value{7})) == "ok");
  CHECK(show(t.call<value>(v, fetch_add_atom_v, value{3})) == "7");
  CHECK(show(t.call<value>(v, get_atom_v)) == "10");
  CHECK(show(t.call<value>(v, fetch_add_atom_v, value{-20})) == "10");
  CHECK(show(t.call<value>(v, get_atom_v)) == "-10");
  CHECK(show(t.call<>(v, put_atom_v, value{2147483647})) == "ok");
  CHECK(code_of(t.call<value>(v, fetch_add_atom_v, value{1})) == "bad_argument");
  CHECK(show(t.call<value>(v, get_atom_v)) == "2147483647");
  CHECK(code_of(t.call<value>(v, fetch_add_atom_v, value{"x"})) == "type_mismatch");
  // cas(expected, desired) returns the old value and swaps only on a match
  CHECK(show(t.call<>(v, put_atom_v, value{10})) == "ok");
  CHECK(show(t.call<value>(v, cas_atom_v, value{10}, value{20})) == "10");
  CHECK(show(t.call<value>(v, get_atom_v)) == "20");
  CHECK(show(t.call<value>(v, cas_atom_v, value{10}, value{30})) == "20");
  CHECK(show(t.call<value>(v, get_atom_v)) == "20");
  CHECK(code_of(t.call<value>(v, cas_atom_v, value{20}, value{"x"})) == "type_mismatch");
  CHECK(show(t.call<value>(v, get_atom_v)) == "20");
  // no initial value: 0
  auto zero = typed<cafman::value_actor>(cafman::spawn_shared_value(t.sys, lst("i")));
  CHECK(show(t.call<value>(zero, get_atom_v)) == "0");
}

TEST_CASE("shared_value: typecode 'b'", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto v = typed<cafman::value_actor>(cafman::spawn_shared_value(t.sys, lst("b", -128)));
  CHECK(show(t.call<std::string>(v, typecode_atom_v)) == "b");
  CHECK(show(t.call<value>(v, get_atom_v)) == "-128");
  CHECK(error_of(t.call<>(v, put_atom_v, value{128}))
        == "bad_argument: 128 is out of range for typecode 'b' (-128 to 127)");
  CHECK(code_of(t.call<>(v, put_atom_v, value{-129})) == "bad_argument");
  CHECK(code_of(t.call<>(v, put_atom_v, value{"x"})) == "type_mismatch");
  CHECK(show(t.call<>(v, put_atom_v, value{126})) == "ok");
  CHECK(show(t.call<value>(v, fetch_add_atom_v, value{1})) == "126");
  CHECK(show(t.call<value>(v, get_atom_v)) == "127");
  CHECK(code_of(t.call<value>(v, fetch_add_atom_v, value{1})) == "bad_argument");
  CHECK(show(t.call<value>(v, get_atom_v)) == "127");
  CHECK(show(t.call<value>(v, cas_atom_v, value{127}, value{-1})) == "127");
  CHECK(show(t.call<value>(v, get_atom_v)) == "-1");
  CHECK(code_of(t.call<value>(v, cas_atom_v, value{-1}, value{1000})) == "bad_argument");
  CHECK(show(t.call<value>(v, get_atom_v)) == "-1");
  CHECK(error_of(cafman::spawn_shared_value(t.sys, lst("b", 300)))
        == "bad_argument: 300 is out of range for typecode 'b' (-128 to 127)");
}

TEST_CASE("shared_value: typecode 'd'", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto v = typed<cafman::value_actor>(cafman::spawn_shared_value(t.sys, lst("d")));
  CHECK(show(t.call<std::string>(v, typecode_atom_v)) == "d");
  CHECK(show(t.call<value>(v, get_atom_v)) == "0.0");
  CHECK(show(t.call<>(v, put_atom_v, value{2})) == "ok");
  CHECK(show(t.call<value>(v, get_atom_v)) == "2.0");
  CHECK(show(t.call<>(v, put_atom_v, value{-1.25})) == "ok");
  CHECK(show(t.call<value>(v, get_atom_v)) == "-1.25");
  CHECK(error_of(t.call<>(v, put_atom_v, value{"x"}))
        == "type_mismatch: typecode 'd' needs a number, got str");
  CHECK(code_of(t.call<>(v, put_atom_v, lst(1))) == "type_mismatch");
  CHECK(show(t.call<value>(v, fetch_add_atom_v, value{0.5})) == "-1.25");
  CHECK(show(t.call<value>(v, get_atom_v)) == "-0.75");
  CHECK(show(t.call<value>(v, fetch_add_atom_v, value{1})) == "-0.75");
  CHECK(show(t.call<value>(v, get_atom_v)) == "0.25");
  CHECK(show(t.call<value>(v, cas_atom_v, value{0.25}, value{3})) == "0.25");
  CHECK(show(t.call<value>(v, get_atom_v)) == "3.0");
  CHECK(show(t.call<value>(v, cas_atom_v, value{3.5}, value{4})) == "3.0");
  CHECK(show(t.call<value>(v, cas_atom_v, value{3}, value{4.5})) == "3.0"); // 3 == 3.0
  CHECK(show(t.call<value>(v, get_atom_v)) == "4.5");
  auto init = typed<cafman::value_actor>(cafman::spawn_shared_value(t.sys, lst("d", 1)));
  CHECK(show(t.call<value>(init, get_atom_v)) == "1.0");
}

TEST_CASE("shared_value: bad constructor arguments", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  CHECK(error_of(cafman::spawn_shared_value(t.sys, lst("z", 1)))
        == "bad_argument: bad typecode 'z' (must be b, B, h, H, i, I, l, L, q, Q, f or d)");
  CHECK(error_of(cafman::spawn_shared_value(t.sys, lst()))
        == "bad_argument: Value() needs a one-character typecode such as 'i' or 'd'");
  CHECK(code_of(cafman::spawn_shared_value(t.sys, lst("ii", 1))) == "bad_argument");
  CHECK(code_of(cafman::spawn_shared_value(t.sys, lst(105, 1))) == "bad_argument");
  CHECK(error_of(cafman::spawn_shared_value(t.sys, lst("i", "x")))
        == "type_mismatch: typecode 'i' needs an int, got str");
  CHECK(error_of(cafman::spawn_shared_value(t.sys, lst("i", 1, 2)))
        == "type_mismatch: Value() takes at most 2 argument(s), got 3");
}

// -- registry -----------------------------------------------------------------

namespace {

/// The debug_info entry of object `id`, or None.
value debug_entry(const value& info, std::uint64_t id) {
  for (auto& entry : info.as_list())
    if (entry.as_dict().at("id") == value{id})
      return entry;
  return None;
}

// Client sessions show as their numbers, in-process users as their actors.
std::vector<std::string> sorted_clients(const value& entry) {
  std::vector<std::string> clients;
  for (auto& holder : entry.as_dict().at("holders").as_list())
    clients.push_back(holder.is_int() ? "session " + std::to_string(holder.as_int())
                                      : holder.as_string());
  std::sort(clients.begin(), clients.end());
  return clients;
}

std::vector<std::string> sorted_names(const std::vector<caf::actor>& sessions) {
  std::vector<std::string> names;
  for (auto& s : sessions)
    names.emplace_back(caf::to_string(s.address()));
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

TEST_CASE("registry: creates each builtin type", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types());
  auto a = t.session();
  CHECK(show(t.call<std::uint64_t>(reg, hello_atom_v, a, std::string{"test"})) == "1"); // its session number
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "0");
  CHECK(show(t.call<value>(reg, debug_atom_v)) == "[]");
  auto d = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a, std::string{"dict"},
                                             lst(dict_value{{"k", 1}}));
  auto l = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a, std::string{"list"},
                                             lst(lst(1, 2)));
  auto n = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a,
                                             std::string{"namespace"}, lst());
  auto v = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a, std::string{"value"},
                                             lst("i", 5));
  INFO(error_of(d) << " / " << error_of(l) << " / " << error_of(n) << " / " << error_of(v));
  REQUIRE((d && l && n && v));
  // ids are distinct and nonzero; each handle is a live object of its kind
  std::set<std::uint64_t> ids{std::get<0>(*d), std::get<0>(*l), std::get<0>(*n),
                              std::get<0>(*v)};
  CHECK(ids.size() == 4);
  CHECK(ids.count(0) == 0);
  auto dict = caf::actor_cast<cafman::dict_actor>(std::get<1>(*d));
  auto list = caf::actor_cast<cafman::list_actor>(std::get<1>(*l));
  auto ns = caf::actor_cast<cafman::namespace_actor>(std::get<1>(*n));
  auto val = caf::actor_cast<cafman::value_actor>(std::get<1>(*v));
  REQUIRE((dict && list && ns && val));
  CHECK(show(t.call<value>(dict, copy_atom_v)) == "{'k': 1}");
  CHECK(show(t.call<value>(list, copy_atom_v)) == "[1, 2]");
  CHECK(show(t.call<value>(ns, copy_atom_v)) == "{}");
  CHECK(show(t.call<value>(val, get_atom_v)) == "5");
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "4");
  // debug_info: one entry per object, with its type and one reference held by a
  auto info = t.call<value>(reg, debug_atom_v);
  REQUIRE(info);
  CHECK(info->as_list().size() == 4);
  std::pair<std::uint64_t, std::string> expected_types[] = {
    {std::get<0>(*d), "'dict'"},
    {std::get<0>(*l), "'list'"},
    {std::get<0>(*n), "'namespace'"},
    {std::get<0>(*v), "'value'"},
  };
  for (auto& [id, type] : expected_types) {
    INFO("object " << id);
    auto entry = debug_entry(*info, id);
    REQUIRE(entry.is_dict());
    CHECK(entry.as_dict().at("type").repr() == type);
    CHECK(entry.as_dict().at("refcount").repr() == "1");
    CHECK(sorted_clients(entry) == std::vector<std::string>{"session 1"}); // a said hello
  }
  // an unknown type id: the message lists the known ones (every builtin
  // type, however many there are); nothing is created
  std::string known;
  for (auto& entry : cafman::builtin_types())
    known += (known.empty() ? "" : ", ") + entry.first;
  CHECK(error_of(t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a,
                                                   std::string{"teapot"}, lst()))
        == "no_such_type: the manager has no type id 'teapot' (known: " + known + ")");
  // bad constructor arguments: the factory's error; nothing is created
  CHECK(error_of(t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a,
                                                   std::string{"value"}, lst("z")))
        == "bad_argument: bad typecode 'z' (must be b, B, h, H, i, I, l, L, q, Q, f or d)");
  CHECK(error_of(t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a,
                                                   std::string{"list"}, value{3}))
        == "type_mismatch: list() arguments must be a list, got int");
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "4");
}

TEST_CASE("registry: reference counting per session", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types());
  auto a = t.session();
  auto b = t.session();
  auto created = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a,
                                                   std::string{"dict"}, lst());
  REQUIRE(created);
  auto id = std::get<0>(*created);
  auto handle = std::get<1>(*created);
  t.self->monitor(handle);
  // the entry of our object in debug_info, or None once it is gone
  auto entry = [&] {
    auto info = t.call<value>(reg, debug_atom_v);
    REQUIRE(info);
    return debug_entry(*info, id);
  };
  auto refcount = [&] {
    auto e = entry();
    return e.is_dict() ? e.as_dict().at("refcount").repr() : std::string{"gone"};
  };
  auto clients = [&] {
    auto e = entry();
    REQUIRE(e.is_dict());
    CHECK(e.as_dict().at("type").repr() == "'dict'");
    return sorted_clients(e);
  };
  CHECK(refcount() == "1");
  CHECK(clients() == sorted_names({a}));
  // incref answers the same handle and counts per session
  auto again = t.call<caf::actor>(reg, incref_atom_v, a, id);
  REQUIRE(again);
  CHECK(*again == handle);
  CHECK(refcount() == "2");
  CHECK(clients() == sorted_names({a}));
  auto for_b = t.call<caf::actor>(reg, incref_atom_v, b, id);
  REQUIRE(for_b);
  CHECK(*for_b == handle);
  CHECK(refcount() == "3");
  CHECK(clients() == sorted_names({a, b}));
  // b gives its one reference back; a second decref from b changes nothing
  CHECK(show(t.call<>(reg, decref_atom_v, b, id)) == "ok");
  CHECK(refcount() == "2");
  CHECK(clients() == sorted_names({a}));
  CHECK(show(t.call<>(reg, decref_atom_v, b, id)) == "ok");
  CHECK(refcount() == "2");
  CHECK(show(t.call<>(reg, decref_atom_v, a, id)) == "ok");
  CHECK(refcount() == "1");
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "1");
  // the object still works while referenced
  auto dict = caf::actor_cast<cafman::dict_actor>(handle);
  CHECK(show(t.call<>(dict, put_atom_v, value{"k"}, value{1})) == "ok");
  // the last reference goes: the object exits
  CHECK(show(t.call<>(reg, decref_atom_v, a, id)) == "ok");
  auto reasons = t.await_down({handle});
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0] == caf::exit_reason::user_shutdown);
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "0");
  CHECK(refcount() == "gone");
  CHECK(show(t.call<value>(reg, debug_atom_v)) == "[]");
  // its id is dead for good; unknown ids: incref fails, decref is ignored
  CHECK(error_of(t.call<caf::actor>(reg, incref_atom_v, a, id))
        == "no_such_object: object " + std::to_string(id) + " no longer exists");
  CHECK(error_of(t.call<caf::actor>(reg, incref_atom_v, b, std::uint64_t{12345}))
        == "no_such_object: object 12345 no longer exists");
  CHECK(show(t.call<>(reg, decref_atom_v, a, std::uint64_t{12345})) == "ok");
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "0");
}

TEST_CASE("registry: a session going down drops all its references", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types());
  auto a = t.session();
  auto c = t.session();
  // c creates a list and a dict and takes two more references to the dict;
  // a shares the dict once
  auto list = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, c, std::string{"list"},
                                                lst());
  auto dict = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, c, std::string{"dict"},
                                                lst());
  REQUIRE((list && dict));
  auto list_id = std::get<0>(*list);
  auto list_handle = std::get<1>(*list);
  auto dict_id = std::get<0>(*dict);
  auto dict_handle = std::get<1>(*dict);
  REQUIRE(t.call<caf::actor>(reg, incref_atom_v, c, dict_id));
  REQUIRE(t.call<caf::actor>(reg, incref_atom_v, c, dict_id));
  REQUIRE(t.call<caf::actor>(reg, incref_atom_v, a, dict_id));
  auto info = t.call<value>(reg, debug_atom_v);
  REQUIRE(info);
  CHECK(debug_entry(*info, dict_id).as_dict().at("refcount").repr() == "4");
  CHECK(sorted_clients(debug_entry(*info, dict_id)) == sorted_names({a, c}));
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "2");
  t.self->monitor(list_handle);
  t.self->monitor(dict_handle);
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  // the list (held by c alone) exits; the registry forgot it in the same step
  auto reasons = t.await_down({list_handle});
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0] == caf::exit_reason::user_shutdown);
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "1");
  info = t.call<value>(reg, debug_atom_v);
  REQUIRE(info);
  auto entry = debug_entry(*info, dict_id);
  REQUIRE(entry.is_dict());
  CHECK(entry.as_dict().at("refcount").repr() == "1");
  CHECK(sorted_clients(entry) == sorted_names({a}));
  CHECK(code_of(t.call<caf::actor>(reg, incref_atom_v, a, list_id)) == "no_such_object");
  // the dict, still held by a, still works
  auto typed_dict = caf::actor_cast<cafman::dict_actor>(dict_handle);
  CHECK(show(t.call<i64>(typed_dict, len_atom_v)) == "0");
  // a goes down too: the dict exits, nothing is left
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  reasons = t.await_down({dict_handle});
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0] == caf::exit_reason::user_shutdown);
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "0");
  CHECK(show(t.call<value>(reg, debug_atom_v)) == "[]");
}

TEST_CASE("registry: a session that only said hello holds nothing", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types());
  auto a = t.session();
  auto b = t.session();
  CHECK(show(t.call<std::uint64_t>(reg, hello_atom_v, b, std::string{"test"})) == "1");
  auto created = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a,
                                                   std::string{"namespace"}, lst());
  REQUIRE(created);
  auto handle = std::get<1>(*created);
  t.self->monitor(handle);
  t.self->monitor(b);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
  REQUIRE(t.await_down({b}).size() == 1);
  // poll a bounded number of times: the registry handles b's DOWN on its own schedule
  bool settled = false;
  for (int i = 0; i < 50 && !settled; ++i) {
    auto info = t.call<value>(reg, debug_atom_v);
    REQUIRE(info);
    settled = show(t.call<std::uint64_t>(reg, objects_atom_v)) == "1"
              && sorted_clients(debug_entry(*info, std::get<0>(*created)))
                   == sorted_names({a});
  }
  CHECK(settled);
  auto ns = caf::actor_cast<cafman::namespace_actor>(handle);
  CHECK(show(t.call<bool>(ns, contains_atom_v, "x")) == "False");
  // a's exit, in turn, ends the namespace
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  CHECK(t.await_down({handle}).size() == 1);
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "0");
}

TEST_CASE("registry: shutdown exits every object and the registry", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types());
  auto a = t.session();
  auto b = t.session();
  std::vector<caf::actor> watched;
  for (auto type : {"dict", "list", "namespace"}) {
    auto created = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a, std::string{type},
                                                     lst());
    REQUIRE(created);
    watched.push_back(std::get<1>(*created));
  }
  auto shared = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, b, std::string{"value"},
                                                  lst("d", 1.5));
  REQUIRE(shared);
  REQUIRE(t.call<caf::actor>(reg, incref_atom_v, a, std::get<0>(*shared)));
  watched.push_back(std::get<1>(*shared));
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "4");
  watched.push_back(caf::actor_cast<caf::actor>(reg));
  for (auto& w : watched)
    t.self->monitor(w);
  CHECK(show(t.call<>(reg, shutdown_atom_v)) == "ok");
  auto reasons = t.await_down(watched);
  REQUIRE(reasons.size() == watched.size());
  for (std::size_t i = 0; i + 1 < reasons.size(); ++i)
    CHECK(reasons[i] == caf::exit_reason::user_shutdown);
  // the registry is gone: requests fail at once instead of hanging
  CHECK_FALSE(t.call<std::uint64_t>(reg, objects_atom_v));
  // the sessions are clients, not objects: they live on
  CHECK(show(t.call<>(a, 1)) == "ok");
  CHECK(show(t.call<>(b, 2)) == "ok");
}

TEST_CASE("registry: shutdown exits an object made by another object before the registry heard "
          "of it, and one made after",
          "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto access = std::make_shared<cafman::access_table>();
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types(), access);
  cafman::object_home home{reg.address(), access, {}};
  // What an object's manage() does first (an iterator it makes), with the
  // message to the registry still on its way.
  auto unmanaged = t.sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](int) {}};
  });
  REQUIRE(access->place(unmanaged->id(), unmanaged));
  t.self->monitor(unmanaged);
  CHECK(show(t.call<>(reg, shutdown_atom_v)) == "ok");
  CHECK(t.await_down({unmanaged}) == std::vector<caf::error>{caf::exit_reason::user_shutdown});
  // An object made once the registry has ended exits at once as well.
  auto late = t.sys.spawn([](caf::event_based_actor*) -> caf::behavior { return {[](int) {}}; });
  t.self->monitor(late);
  CHECK(cafman::manage(home, late, "iterator").is_reference());
  CHECK(t.await_down({late}) == std::vector<caf::error>{caf::exit_reason::user_shutdown});
  CHECK_FALSE(access->object(late->id()));
}

// -- messages outside an actor's interface ------------------------------------

TEST_CASE("unexpected messages are answered with unsupported_message", "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto dict = new_dict(t, lst(dict_value{{"k", 1}}));
  auto list = new_list(t, lst(1, 2));
  auto ns = typed<cafman::namespace_actor>(cafman::spawn_namespace(t.sys, lst()));
  auto val = typed<cafman::value_actor>(cafman::spawn_shared_value(t.sys, lst("i", 1)));
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types());
  std::vector<std::pair<caf::actor, std::string>> targets{
    {caf::actor_cast<caf::actor>(dict), "cafman.dict"},
    {caf::actor_cast<caf::actor>(list), "cafman.list"},
    {caf::actor_cast<caf::actor>(ns), "cafman.namespace"},
    {caf::actor_cast<caf::actor>(val), "cafman.value"},
    {caf::actor_cast<caf::actor>(reg), "cafman.registry"},
  };
  for (auto& [handle, name] : targets) {
    INFO(name);
    auto r = t.call<>(handle, std::string{"nonsense"});
    REQUIRE_FALSE(r);
    CHECK(r.error().category() == caf::atom("cafman"));
    CHECK(r.error().code() == static_cast<std::uint8_t>(errc::unsupported_message));
    auto text = context_text(r.error());
    CHECK(text.rfind(name + " does not understand ", 0) == 0);
    CHECK(text.find("nonsense") != std::string::npos);
  }
  // a known tag with the wrong argument types is just as unexpected
  auto dynamic_dict = caf::actor_cast<caf::actor>(dict);
  CHECK(code_of(t.call<value>(dynamic_dict, get_atom_v, i64{1})) == "unsupported_message");
  auto dynamic_list = caf::actor_cast<caf::actor>(list);
  CHECK(code_of(t.call<value>(dynamic_list, get_atom_v, value{0})) == "unsupported_message");
  // every actor keeps working afterwards
  CHECK(show(t.call<value>(dict, get_atom_v, value{"k"})) == "1");
  CHECK(show(t.call<i64>(list, len_atom_v)) == "2");
  CHECK(show(t.call<>(ns, put_atom_v, "a", value{1})) == "ok");
  CHECK(show(t.call<value>(val, fetch_add_atom_v, value{1})) == "1");
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "0");
}

TEST_CASE("blocking objects destroyed with calls waiting answer each call at once",
          "[actors]") {
  cafman::testing::watchdog dog{std::chrono::seconds(20)};
  env t;
  auto reg = cafman::spawn_registry(t.sys, cafman::builtin_types());
  auto a = t.session();
  auto number = t.call<std::uint64_t>(reg, hello_atom_v, a, std::string{"test"});
  REQUIRE(number);
  cafman::caller who{*number, 1};
  auto forever = cafman::detail::forever;
  struct waiting_call {
    std::string type;
    value args;
    caf::message setup; // makes the call below wait (none: it waits as is)
    caf::message call;
  };
  std::vector<waiting_call> cases{
    {"queue", lst(), {}, caf::make_message(get_atom_v, who, forever)},
    {"event", lst(), {}, caf::make_message(cafman::wait_atom_v, who, forever)},
    {"barrier", lst(2), {}, caf::make_message(cafman::wait_atom_v, who, forever)},
    {"semaphore", lst(0), {}, caf::make_message(cafman::acquire_atom_v, who, forever)},
    {"lock", lst(), caf::make_message(cafman::acquire_atom_v, cafman::caller{*number, 2}, forever),
     caf::make_message(cafman::acquire_atom_v, who, forever)},
  };
  for (auto& c : cases) {
    INFO(c.type);
    auto created = t.call<std::uint64_t, caf::actor>(reg, create_atom_v, a, c.type, c.args);
    REQUIRE(created);
    auto [id, object] = *created;
    if (!c.setup.empty())
      REQUIRE(t.call<bool>(object, c.setup));
    auto pending = t.self->request(object, caf::infinite, c.call);
    // The call waits (and, from the same sender, arrived first) ...
    REQUIRE(show(t.call<i64>(object, cafman::n_waiting_atom_v)) == "1");
    // ... when the last reference goes and the registry exits the object.
    caf::anon_send(reg, decref_atom_v, a, id);
    std::string outcome = "no reply";
    pending.receive([&](caf::message& m) { outcome = "reply " + caf::to_string(m); },
                    [&](caf::error& e) { outcome = describe(e); });
    CHECK(outcome.rfind("shutting_down: the " + c.type + " was destroyed while this call waited", 0)
          == 0);
  }
  CHECK(show(t.call<std::uint64_t>(reg, objects_atom_v)) == "0");
}
