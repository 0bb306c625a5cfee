#pragma once

// What an actor of a user's own actor system sees of an object: the
// object's interface (cafman/interfaces/) without the `caller` arguments,
// which the actor client fills in itself (the caller is the requesting
// actor, its session the client's), and without what the client does on
// its own (receipts, callers that left). Derived from the interface, so
// it is declared once and the compiler checks every request to it.

#include <cstdint>
#include <type_traits>

#include <caf/atom.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/message.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/caller_left.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

namespace detail {

template <class... Ts>
using list = caf::detail::type_list<Ts...>;

/// A receipt confirmation: the actor client sends it itself once the item
/// reached the requesting actor.
using confirm_receipt = caf::reacts_to<confirm_atom, caller, std::uint64_t>;

/// One signature of an object as actors see it (none, or one).
template <class Sig>
struct actor_side {
  using type = list<Sig>;
};

template <class Atom, class... Ts, class Out>
struct actor_side<caf::typed_mpi<list<Atom, caller, Ts...>, Out>> {
  using type = list<caf::typed_mpi<list<Atom, Ts...>, Out>>;
};

template <>
struct actor_side<confirm_receipt> {
  using type = list<>;
};

template <>
struct actor_side<caller_left> {
  using type = list<>;
};

template <class Interface>
struct actor_view;

template <class... Sigs>
struct actor_view<caf::typed_actor<Sigs...>> {
  using signatures = typename caf::detail::tl_distinct<
    typename caf::detail::tl_concat<typename actor_side<Sigs>::type...>::type>::type;
  using type = typename caf::detail::tl_apply<signatures, caf::typed_actor>::type;
};

/// Does `msg` have the inputs `Atom, Ts...` (the atom's value included)?
template <class Atom, class... Ts>
bool has_inputs(const caf::message& msg) {
  return msg.match_elements<caf::atom_value, Ts...>() &&
         msg.get_as<caf::atom_value>(0) == Atom::value;
}

/// For one signature: does an actor's `msg` match it as is, or once the
/// caller is put after the atom?
template <class Sig>
struct input_of {
  static bool as_is(const caf::message&) { return false; }
  static bool with_caller(const caf::message&) { return false; }
};

template <class Atom, class... Ts, class Out>
struct input_of<caf::typed_mpi<list<Atom, Ts...>, Out>> {
  static bool as_is(const caf::message& msg) { return has_inputs<Atom, Ts...>(msg); }
  static bool with_caller(const caf::message&) { return false; }
};

template <class Atom, class... Ts, class Out>
struct input_of<caf::typed_mpi<list<Atom, caller, Ts...>, Out>> {
  static bool as_is(const caf::message& msg) { return has_inputs<Atom, caller, Ts...>(msg); }
  static bool with_caller(const caf::message& msg) { return has_inputs<Atom, Ts...>(msg); }
};

/// How the actor client turns an actor's request into the object's.
struct actor_rules {
  /// True when the request needs the caller put after its atom (a request
  /// that matches a signature as it is, `locked()`, is sent as it is).
  bool (*takes_caller)(const caf::message& msg);
  /// True when the object hands out items with receipts to confirm.
  bool confirms_receipts;
};

template <class... Sigs>
bool takes_caller(const caf::message& msg, list<Sigs...>) {
  return !(input_of<Sigs>::as_is(msg) || ...) && (input_of<Sigs>::with_caller(msg) || ...);
}

template <class Interface>
const actor_rules& rules_of() {
  using sigs = typename Interface::signatures;
  static const actor_rules rules{
    [](const caf::message& msg) { return takes_caller(msg, sigs{}); },
    caf::detail::tl_contains<sigs, confirm_receipt>::value};
  return rules;
}

} // namespace detail

/// The handle an actor of the user's system requests an object with:
/// `cafman::handle<cafman::queue_actor>` (see proxies/actor_client.hpp).
template <class Interface>
using handle = typename detail::actor_view<Interface>::type;

} // namespace cafman
