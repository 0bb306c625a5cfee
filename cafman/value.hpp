#pragma once

// cafman::value: a dynamic value shaped like Python's picklable builtins
// (None, bool, int, float, str, bytes, list, dict), plus references to managed
// objects (a proxy stored in a dict). It is the payload of every
// message between cafman processes, so it is regular (deep copy, cheap move),
// comparable and hashable with Python's rules, printable as Python's repr(),
// and serializable by CAF 0.17.6 through the two `inspect` overloads below.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <caf/fwd.hpp>

namespace cafman {

/// The dynamic type of a value, in the order of the alternatives of its
/// storage. The numeric values are part of the wire format.
enum class kind : std::uint8_t {
  none,
  boolean,
  integer,
  floating,
  string,
  bytes,
  list,
  dict,
  reference,
};

/// Python's None.
struct none_t {};

inline constexpr none_t none{};

constexpr bool operator==(none_t, none_t) noexcept {
  return true;
}

constexpr bool operator!=(none_t, none_t) noexcept {
  return false;
}

class value;

/// How a type that is not one of value's own converts to and from a value:
/// specialize it with `static value to_value(const T&)` and
/// `static T from_value(const value&)` (proxies already have one).
template <class T, class Enable = void>
struct convert;

/// Whatever keeps a referenced object alive in this process: a client's own
/// reference (what a proxy holds), or the manager's hold on an object that a
/// container stores. Shared by every copy of a reference.
class reference_keeper {
public:
  virtual ~reference_keeper() = default;
};

/// A managed object inside a value: what a proxy becomes when it is stored in
/// a container, sent to an object or returned by one. Made by proxies and by
/// the wire (see reference_binder), not by users: turn a proxy into a value
/// with `value{proxy}` and back with `v.get<dict_proxy>()`.
class object_reference {
public:
  object_reference(std::uint64_t id, std::string type_id,
                   std::shared_ptr<const reference_keeper> keeper = nullptr) noexcept
    : id_(id), type_id_(std::move(type_id)), keeper_(std::move(keeper)) {
  }

  /// The object's id in its manager.
  std::uint64_t id() const noexcept { return id_; }

  /// The object's type id ("dict", "queue", "Counter", ...).
  const std::string& type_id() const noexcept { return type_id_; }

  /// What keeps the object alive while this reference exists here; null for
  /// a reference that holds nothing (it was made without a manager).
  const std::shared_ptr<const reference_keeper>& keeper() const noexcept { return keeper_; }

  /// Two references are equal when they name the same object.
  friend bool operator==(const object_reference& x, const object_reference& y) noexcept {
    return x.id_ == y.id_;
  }

  friend bool operator!=(const object_reference& x, const object_reference& y) noexcept {
    return !(x == y);
  }

private:
  std::uint64_t id_;
  std::string type_id_;
  std::shared_ptr<const reference_keeper> keeper_;
};

/// Python's bytes.
using bytes_value = std::vector<std::uint8_t>;

/// Python's list. To nest one list in another, write
/// `list_value{value{inner}}`: compilers disagree on whether
/// `list_value{inner}` nests or copies.
using list_value = std::vector<value>;

/// Python's dict: a mapping value -> value that remembers insertion order
/// (re-assigning a key keeps its position; erasing and inserting it again
/// moves it to the end) and finds keys in O(1) on average. Keys may be of any
/// kind, lists and dicts included (they cannot change while they are keys).
/// As in Python, a NaN key is only found through the very key object stored
/// in the dict (when iterating), because NaN != NaN.
/// A moved-from dict is empty.
class dict_value {
public:
  using entry = std::pair<const value, value>;
  using iterator = std::list<entry>::iterator;
  using const_iterator = std::list<entry>::const_iterator;

  dict_value() noexcept;

  /// Inserts the items in order; a repeated key keeps its first position and
  /// its last value, as in a Python dict display.
  dict_value(std::initializer_list<std::pair<value, value>> items);

  dict_value(const dict_value& other);

  dict_value(dict_value&& other) noexcept;

  dict_value& operator=(const dict_value& other);

  dict_value& operator=(dict_value&& other) noexcept;

  ~dict_value();

  std::size_t size() const noexcept;

  bool empty() const noexcept;

  bool contains(const value& key) const;

  /// Returns the value stored under `key`, or nullptr.
  value* find(const value& key);

  const value* find(const value& key) const;

  /// The entry of `key`, or end(): where a walk over the dict resumes.
  const_iterator position(const value& key) const;

  /// Returns the value stored under `key`, inserting None first if missing.
  value& operator[](const value& key);

  /// Returns the value stored under `key`.
  /// @throws key_error if the key is missing.
  value& at(const value& key);

  const value& at(const value& key) const;

  /// Stores `val` under `key`. Returns true if the key was new.
  bool insert_or_assign(value key, value val);

  /// Removes `key`. Returns false if it was missing.
  bool erase(const value& key);

  /// Removes and returns the last inserted item, like Python's popitem().
  /// @throws key_error if the dict is empty.
  std::pair<value, value> pop_last();

  void clear() noexcept;

  iterator begin() noexcept;

  iterator end() noexcept;

  const_iterator begin() const noexcept;

  const_iterator end() const noexcept;

  /// Equal size and every key maps to an equal value; order is irrelevant.
  friend bool operator==(const dict_value& x, const dict_value& y);

  friend bool operator!=(const dict_value& x, const dict_value& y) {
    return !(x == y);
  }

private:
  struct impl;

  // Creates the impl on first mutation: default and moved-from dicts own none,
  // which keeps construction and moves allocation-free and noexcept.
  impl& self();

  std::unique_ptr<impl> impl_;
};

namespace detail {

[[noreturn]] void throw_out_of_range(const std::string& number,
                                     std::size_t bits, bool is_signed);

// Converts any integer but bool to int64, the one integer type of a value.
template <class T>
std::int64_t to_int64(T x) {
  static_assert(sizeof(T) <= sizeof(std::int64_t),
                "cafman::value holds at most 64-bit integers");
  if constexpr (std::is_unsigned_v<T> && sizeof(T) == sizeof(std::int64_t)) {
    if (x > static_cast<std::uint64_t>(
          std::numeric_limits<std::int64_t>::max()))
      throw_out_of_range(std::to_string(x), 64, true);
  }
  return static_cast<std::int64_t>(x);
}

template <class T>
constexpr bool fits(std::int64_t x) noexcept {
  using limits = std::numeric_limits<T>;
  if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) >= sizeof(std::int64_t))
      return true;
    else
      return x >= limits::min() && x <= limits::max();
  } else if constexpr (sizeof(T) >= sizeof(std::int64_t)) {
    return x >= 0;
  } else {
    return x >= 0 && static_cast<std::uint64_t>(x) <= limits::max();
  }
}

// Converts int64 to a narrower integer type T.
template <class T>
T narrow(std::int64_t x) {
  if (!fits<T>(x))
    throw_out_of_range(std::to_string(x), sizeof(T) * 8, std::is_signed_v<T>);
  return static_cast<T>(x);
}

template <class T>
struct is_vector : std::false_type {};

template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

} // namespace detail

/// A dynamic value. Converts implicitly from the C++ types that correspond to
/// Python's builtins: `d["k"] = 42`, `value v = "text"`.
class value {
public:
  // -- construction -----------------------------------------------------------

  value() noexcept = default;

  value(none_t) noexcept {
    // nop
  }

  // A template, so that pointers, unscoped enums and other types that convert
  // to bool implicitly do not silently become True or False.
  template <class T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
  value(T x) noexcept : data_(std::in_place_type<bool>, x) {
    // nop
  }

  /// Every integer type but bool becomes an int, stored as int64 (char too:
  /// it is an integer here, not a one-letter str).
  /// @throws value_error for an unsigned value above INT64_MAX.
  template <class T, std::enable_if_t<
                       std::is_integral_v<T> && !std::is_same_v<T, bool>, int>
                     = 0>
  value(T x) : data_(std::in_place_type<std::int64_t>, detail::to_int64(x)) {
    // nop
  }

  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  value(T x) noexcept
    : data_(std::in_place_type<double>, static_cast<double>(x)) {
    // nop
  }

  /// @throws value_error if `x` is null.
  value(const char* x);

  // Would otherwise pick the const char* constructor and fail at run time.
  value(std::nullptr_t) = delete;

  value(std::string x) noexcept;

  value(std::string_view x);

  value(bytes_value x) noexcept;

  value(list_value x) noexcept;

  value(dict_value x) noexcept;

  value(object_reference x) noexcept;

  /// Any vector of convertible elements becomes a list (but a vector of
  /// std::uint8_t is bytes_value and becomes bytes).
  template <class T, class A,
            std::enable_if_t<std::is_convertible_v<const T&, value>, int> = 0>
  value(const std::vector<T, A>& xs) : value(make_list(xs)) {
    // nop
  }

  /// A std::map becomes a dict, inserted in the map's order.
  template <class K, class V, class C, class A,
            std::enable_if_t<std::is_convertible_v<const K&, value>
                               && std::is_convertible_v<const V&, value>,
                             int> = 0>
  value(const std::map<K, V, C, A>& xs) : value(make_dict(xs)) {
    // nop
  }

  /// An std::unordered_map becomes a dict, inserted in iteration order.
  template <class K, class V, class H, class E, class A,
            std::enable_if_t<std::is_convertible_v<const K&, value>
                               && std::is_convertible_v<const V&, value>,
                             int> = 0>
  value(const std::unordered_map<K, V, H, E, A>& xs) : value(make_dict(xs)) {
    // nop
  }

  // -- queries ----------------------------------------------------------------

  kind type() const noexcept {
    return static_cast<kind>(data_.index());
  }

  /// Python's name of the type: "NoneType", "bool", "int", "float", "str",
  /// "bytes", "list", "dict" or "proxy".
  const char* type_name() const noexcept;

  bool is_none() const noexcept {
    return type() == kind::none;
  }

  bool is_bool() const noexcept {
    return type() == kind::boolean;
  }

  bool is_int() const noexcept {
    return type() == kind::integer;
  }

  bool is_double() const noexcept {
    return type() == kind::floating;
  }

  bool is_string() const noexcept {
    return type() == kind::string;
  }

  bool is_bytes() const noexcept {
    return type() == kind::bytes;
  }

  bool is_list() const noexcept {
    return type() == kind::list;
  }

  bool is_dict() const noexcept {
    return type() == kind::dict;
  }

  bool is_reference() const noexcept {
    return type() == kind::reference;
  }

  /// Python's truth value, bool(x): None, False, 0, 0.0, and empty
  /// strings, bytes, lists and dicts are false; everything else (a
  /// reference, NaN) is true.
  bool truthy() const noexcept;

  /// `if (v)` tests truthy(), as Python's `if v:` does.
  explicit operator bool() const noexcept { return truthy(); }

  // -- typed access: each throws type_error on a kind mismatch ---------------

  /// Only a bool: use truthy() for Python's bool(x).
  bool as_bool() const;

  /// Accepts a bool too: Python's bool is an int.
  std::int64_t as_int() const;

  /// Accepts an int or a bool too, like Python's float().
  double as_double() const;

  // On a temporary (`m.debug_info().as_list()`) these return the contents
  // by value: a reference into a temporary would dangle in a range-for.

  const std::string& as_string() const&;
  std::string as_string() &&;

  const bytes_value& as_bytes() const&;
  bytes_value as_bytes() &&;

  list_value& as_list() &;
  const list_value& as_list() const&;
  list_value as_list() &&;

  dict_value& as_dict() &;
  const dict_value& as_dict() const&;
  dict_value as_dict() &&;

  const object_reference& as_reference() const;

  /// Converts to T: bool, any arithmetic type, std::string, bytes_value,
  /// dict_value, value, a std::vector of any of these (from a list), or a
  /// type with a `convert` specialization (a proxy: `v.get<dict_proxy>()`).
  /// @throws type_error on a kind mismatch.
  /// @throws value_error if an int does not fit into an integer type T.
  template <class T>
  T get() const {
    if constexpr (std::is_same_v<T, value>)
      return *this;
    else if constexpr (std::is_same_v<T, bool>)
      return as_bool();
    else if constexpr (std::is_integral_v<T>)
      return detail::narrow<T>(as_int());
    else if constexpr (std::is_floating_point_v<T>)
      return static_cast<T>(as_double());
    else if constexpr (std::is_same_v<T, std::string>)
      return as_string();
    else if constexpr (std::is_same_v<T, bytes_value>)
      return as_bytes();
    else if constexpr (std::is_same_v<T, dict_value>)
      return as_dict();
    else if constexpr (detail::is_vector<T>::value)
      return get_vector<T>();
    else
      return convert<T>::from_value(*this);
  }

  /// Calls `f` with the stored alternative: none_t, bool, std::int64_t,
  /// double, std::string, bytes_value, list_value, dict_value or
  /// object_reference.
  template <class Visitor>
  decltype(auto) visit(Visitor&& f) const {
    return std::visit(std::forward<Visitor>(f), data_);
  }

  template <class Visitor>
  decltype(auto) visit(Visitor&& f) {
    return std::visit(std::forward<Visitor>(f), data_);
  }

  // -- comparison, hashing, printing ------------------------------------------

  /// Three-way comparison (negative, zero, positive) in a strict weak total
  /// order: None < numbers < str < bytes < list < dict < reference. Numbers (bool, int,
  /// float) compare by exact numeric value, NaN above every other number and
  /// equivalent to itself; str and bytes compare bytewise, lists
  /// lexicographically; dicts compare by size first, then by their items
  /// sorted by key, compared as (key, value) pairs, so insertion order does
  /// not matter; references compare by object id.
  int compare(const value& other) const;

  /// Consistent with ==: equal values hash equally, so hash(1), hash(1.0) and
  /// hash(true) agree.
  std::size_t hash() const noexcept;

  /// Python's repr(): None, True, 42, 2.0, 'a\n', b'\x00', [1, 'a'], {'k': 1};
  /// a reference prints as <dict object 7>.
  std::string repr() const;

private:
  using storage = std::variant<none_t, bool, std::int64_t, double, std::string,
                               bytes_value, list_value, dict_value, object_reference>;

  template <class Vector>
  static list_value make_list(const Vector& xs) {
    list_value result;
    result.reserve(xs.size());
    for (const auto& x : xs)
      result.emplace_back(x);
    return result;
  }

  template <class Map>
  static dict_value make_dict(const Map& xs) {
    dict_value result;
    for (const auto& [key, val] : xs)
      result.insert_or_assign(key, val);
    return result;
  }

  template <class Vector>
  Vector get_vector() const {
    const auto& xs = as_list();
    Vector result;
    result.reserve(xs.size());
    for (const auto& x : xs)
      result.push_back(x.get<typename Vector::value_type>());
    return result;
  }

  friend bool operator==(const value& x, const value& y);

  storage data_;
};

// -- free functions -----------------------------------------------------------

/// Python's ==: numbers compare numerically across bool, int and float
/// (1 == 1.0 == True, NaN equals nothing), containers element-wise, dicts
/// regardless of order; values of other different kinds are unequal.
bool operator==(const value& x, const value& y);

inline bool operator!=(const value& x, const value& y) {
  return !(x == y);
}

inline bool operator<(const value& x, const value& y) {
  return x.compare(y) < 0;
}

inline bool operator<=(const value& x, const value& y) {
  return x.compare(y) <= 0;
}

inline bool operator>(const value& x, const value& y) {
  return x.compare(y) > 0;
}

inline bool operator>=(const value& x, const value& y) {
  return x.compare(y) >= 0;
}

/// Prints `x.repr()`.
std::ostream& operator<<(std::ostream& out, const value& x);

/// Returns `x.repr()`; CAF's deep_to_string finds it by ADL.
std::string to_string(const value& x);

/// How deep containers may nest in a value that travels: the loader
/// recurses once per level, so the limit protects its stack from hostile
/// input; the saver enforces it too, so that what one side writes the other
/// side accepts.
constexpr std::size_t max_value_depth = 512;

/// The error for a value nested deeper than max_value_depth.
caf::error value_too_deep();

/// Writes a kind tag byte, then the payload. Fails for containers nested more
/// than 512 deep and for sizes that CAF's 32-bit sequence lengths cannot hold.
caf::error inspect(caf::serializer& f, value& x);

/// Reads what the serializer wrote. Fails (never crashes or over-allocates)
/// on unknown tags, truncated input and nesting deeper than 512.
caf::error inspect(caf::deserializer& f, value& x);

/// CAF 0.17.6 ignores the error an element's inspect returns while it
/// serializes a whole caf::message, so the value saver also keeps its last
/// failure on this thread: whoever serializes a message with values checks
/// it afterwards. Returns it and clears it.
caf::error take_save_failure();

/// The same for loading: CAF 0.17.6 also drops the error of an element's
/// loader and stops decoding the message there (a value nested too deep
/// came out as an empty message with bytes left over). Whoever decodes a
/// message with values checks this afterwards. Returns it and clears it.
caf::error take_load_failure();

/// What a process does with the references in the values it sends and
/// receives: a reference must keep its object alive on the way, so each end
/// of a connection installs a binder (binder_scope) around its (de)serializing.
/// Without one, references travel as bare ids that hold nothing.
class reference_binder {
public:
  virtual ~reference_binder() = default;

  /// `ref` is about to be written; an error refuses to send it.
  virtual caf::error on_write(const object_reference& ref) = 0;

  /// A reference to `id` arrived; returns what keeps it alive here.
  virtual std::shared_ptr<const reference_keeper> on_read(std::uint64_t id,
                                                          const std::string& type_id)
    = 0;
};

/// Installs a binder for this thread while it lives (scopes nest).
class binder_scope {
public:
  explicit binder_scope(reference_binder& binder) noexcept;
  ~binder_scope();

  binder_scope(const binder_scope&) = delete;
  binder_scope& operator=(const binder_scope&) = delete;

private:
  reference_binder* previous_;
};

} // namespace cafman

namespace std {

template <>
struct hash<cafman::value> {
  size_t operator()(const cafman::value& x) const noexcept {
    return x.hash();
  }
};

} // namespace std
