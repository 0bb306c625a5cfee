#pragma once

// What a plain class offers its clients, declared once for both sides: the
// manager registers these methods (type_registry::add<T>), and a client
// calls them by member pointer, checked by the compiler against this very
// list (custom_proxy::call(&T::f, args...)):
//
//   struct counter {
//     std::int64_t n = 0;
//     void increment() { ++n; }
//     std::int64_t get_value() const { return n; }
//   };
//
//   template <>
//   struct cafman::exposed<counter> {
//     static constexpr auto methods = std::make_tuple(
//       cafman::expose("increment", &counter::increment),
//       cafman::expose("get_value", &counter::get_value));
//   };

#include <tuple>
#include <type_traits>
#include <utility>

namespace cafman {

/// The methods of T its clients may call: specialize with a static
/// constexpr tuple `methods` of expose(...) entries. Unspecialized: none
/// declared (methods are then registered and called by name only).
template <class T>
struct exposed {};

/// One exposed method: its name on the wire and the member function.
template <class M>
struct exposed_method {
  const char* name;
  M fn;
};

template <class M>
constexpr exposed_method<M> expose(const char* name, M fn) {
  static_assert(std::is_member_function_pointer_v<M>, "expose() takes a member function");
  return {name, fn};
}

namespace detail {

template <class... Ts>
struct type_list {};

template <class R, class... Args>
struct signature {
  using result = R;
  using args = type_list<Args...>;
};

/// The signature and the class of a member function pointer.
template <class M>
struct member_signature;

template <class C, class R, class... Args>
struct member_signature<R (C::*)(Args...)> : signature<R, Args...> {
  using owner = C;
};

template <class C, class R, class... Args>
struct member_signature<R (C::*)(Args...) const> : member_signature<R (C::*)(Args...)> {};

template <class C, class R, class... Args>
struct member_signature<R (C::*)(Args...) noexcept> : member_signature<R (C::*)(Args...)> {};

template <class C, class R, class... Args>
struct member_signature<R (C::*)(Args...) const noexcept> : member_signature<R (C::*)(Args...)> {};

template <class T, class = void>
struct has_exposed : std::false_type {};

template <class T>
struct has_exposed<T, std::void_t<decltype(exposed<T>::methods)>> : std::true_type {};

template <class M, class Entry>
struct is_entry_of : std::is_same<std::decay_t<decltype(std::declval<Entry>().fn)>, M> {};

template <class M, class Tuple>
struct declares_type_of;

template <class M, class... Entries>
struct declares_type_of<M, std::tuple<Entries...>>
    : std::disjunction<is_entry_of<M, Entries>...> {};

/// The name exposed<T> gives member function `fn` of T, or null if it lists
/// another member of the same type but not this one. That it lists one of
/// this type at all is checked at compile time.
template <class M>
const char* exposed_name(M fn) {
  using owner = typename member_signature<M>::owner;
  static_assert(has_exposed<owner>::value,
                "the class declares no exposed methods: specialize cafman::exposed<T> "
                "(cafman/interfaces/exposed.hpp)");
  using entries = std::decay_t<decltype(exposed<owner>::methods)>;
  static_assert(declares_type_of<M, entries>::value,
                "cafman::exposed<T> lists no method of this type: expose it there first");
  const char* found = nullptr;
  std::apply(
      [&](const auto&... entry) {
        auto match = [&](const auto& x) {
          if constexpr (std::is_same_v<std::decay_t<decltype(x.fn)>, M>)
            if (found == nullptr && x.fn == fn)
              found = x.name;
        };
        (match(entry), ...);
      },
      exposed<owner>::methods);
  return found;
}

} // namespace detail
} // namespace cafman
