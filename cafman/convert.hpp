#pragma once

// The one place where C++ types meet cafman::value: `to_value(x)` and
// `from_value<T>(v)` work for every type a value holds natively, for vectors
// and maps of convertible types, and for every type of the user's that
// specializes `convert`:
//
//   template <>
//   struct cafman::convert<point> {
//     static value to_value(const point& p) { return dict_value{{"x", p.x}, {"y", p.y}}; }
//     static point from_value(const value& v) {
//       auto& d = v.as_dict();
//       return {d.at("x").as_int(), d.at("y").as_int()};
//     }
//   };
//
// Custom managed types convert their arguments and results here, so their
// methods may take and return such types.

#include <exception>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "cafman/value.hpp"

namespace cafman {

// `convert<T, Enable = void>` itself is declared in value.hpp (value::get
// uses it): `static value to_value(const T&)` and `static T from_value(const
// value&)`, which throws type_error when the value holds no T (value_error
// when it holds one out of T's range). Enable is for partial specializations
// that select a family of types with std::enable_if_t (proxies have one).
// It is not defined for types nobody specialized it for, so a missing
// conversion is a compile error.

/// The value for `x`. A string literal becomes a str (arrays decay here, as
/// they would in a call).
template <class T>
value to_value(const T& x) {
  return convert<std::decay_t<const T>>::to_value(x);
}

/// The T that `v` holds; throws type_error or value_error (see convert).
template <class T>
T from_value(const value& v) {
  return convert<T>::from_value(v);
}

namespace detail {

/// The types a value stores as they are (numbers as int64 or double).
template <class T>
inline constexpr bool is_value_scalar_v =
    std::is_arithmetic_v<T> || std::is_same_v<T, std::string> || std::is_same_v<T, bytes_value> ||
    std::is_same_v<T, dict_value> || std::is_same_v<T, value>;

/// Rethrows `e`, raised while converting, with `context` (what was being
/// converted: "Counter.add() argument 1") in front of its message: a
/// value_error stays one, anything else becomes a type_error.
[[noreturn]] void throw_conversion_error(const std::string& context, const std::exception& e);

template <class Map>
struct map_convert {
  static value to_value(const Map& xs) {
    dict_value result;
    for (const auto& [key, x] : xs)
      result.insert_or_assign(cafman::to_value(key), cafman::to_value(x));
    return value{std::move(result)};
  }

  static Map from_value(const value& v) {
    Map result;
    for (const auto& [key, x] : v.as_dict())
      result.emplace(cafman::from_value<typename Map::key_type>(key),
                     cafman::from_value<typename Map::mapped_type>(x));
    return result;
  }
};

} // namespace detail

/// bool, every arithmetic type, std::string, bytes_value, dict_value, value.
template <class T>
struct convert<T, std::enable_if_t<detail::is_value_scalar_v<T>>> {
  static value to_value(const T& x) { return value{x}; }
  static T from_value(const value& v) { return v.get<T>(); }
};

template <>
struct convert<none_t> {
  static value to_value(none_t) { return value{}; }
  static none_t from_value(const value& v);
};

/// Text that the value copies; there is no way back to a pointer or a view
/// (nothing would own the characters).
template <>
struct convert<const char*> {
  static value to_value(const char* x) { return value{x}; }
};

template <>
struct convert<std::string_view> {
  static value to_value(std::string_view x) { return value{x}; }
};

/// A vector is a list of its converted elements (but std::vector<std::uint8_t>
/// is bytes_value, a scalar).
template <class T, class A>
struct convert<std::vector<T, A>,
               std::enable_if_t<!std::is_same_v<std::vector<T, A>, bytes_value>>> {
  static value to_value(const std::vector<T, A>& xs) {
    list_value result;
    result.reserve(xs.size());
    for (const auto& x : xs)
      result.push_back(cafman::to_value(x));
    return value{std::move(result)};
  }

  static std::vector<T, A> from_value(const value& v) {
    const auto& xs = v.as_list();
    std::vector<T, A> result;
    result.reserve(xs.size());
    for (const auto& x : xs)
      result.push_back(cafman::from_value<T>(x));
    return result;
  }
};

/// A map is a dict of its converted keys and values.
template <class K, class V, class C, class A>
struct convert<std::map<K, V, C, A>> : detail::map_convert<std::map<K, V, C, A>> {};

template <class K, class V, class H, class E, class A>
struct convert<std::unordered_map<K, V, H, E, A>>
    : detail::map_convert<std::unordered_map<K, V, H, E, A>> {};

} // namespace cafman
