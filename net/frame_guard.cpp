#include "cafman/net/frame_guard.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/is_actor_handle.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/type_nr.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/actors/custom.hpp"
#include "cafman/actors/iterator.hpp"
#include "cafman/actors/registry.hpp"
#include "cafman/interfaces/kinds.hpp"
#include "cafman/protocol.hpp"
#include "cafman/value.hpp"

namespace cafman::net::lean {

namespace {

// -- how each accepted type lies on the wire ----------------------------------

/// What the guard must know of an element to walk over it: a fixed number
/// of bytes, a string (CAF's size prefix, then the bytes), or a
/// cafman::value (value.hpp's encoding).
enum class layout : std::uint8_t { fixed, string, value };

template <layout Kind, std::size_t Size = 0>
struct layout_of {
  static constexpr layout kind = Kind;
  static constexpr std::size_t size = Size;
};

/// The layouts of the types the interfaces accept, as binary_serializer
/// writes them. No definition: a type the guard cannot bound yet.
template <class T>
struct wire_layout;

template <>
struct wire_layout<bool> : layout_of<layout::fixed, 1> {};
template <>
struct wire_layout<std::int64_t> : layout_of<layout::fixed, 8> {};
template <>
struct wire_layout<std::uint64_t> : layout_of<layout::fixed, 8> {};
template <>
struct wire_layout<caf::timespan> : layout_of<layout::fixed, 8> {}; // the count
template <>
struct wire_layout<caf::atom_value> : layout_of<layout::fixed, 8> {};
template <>
struct wire_layout<caller> : layout_of<layout::fixed, 16> {}; // session, thread
template <>
struct wire_layout<std::string> : layout_of<layout::string> {};
template <>
struct wire_layout<value> : layout_of<layout::value> {};

template <class T, class = void>
struct has_wire_layout : std::false_type {};

template <class T>
struct has_wire_layout<T, std::void_t<decltype(wire_layout<T>::kind)>> : std::true_type {};

/// Every tag travels as an atom_value: the header names it "@atom".
template <class T>
struct wire_type {
  using type = T;
};

template <caf::atom_value V>
struct wire_type<caf::atom_constant<V>> {
  using type = caf::atom_value;
};

/// The name CAF writes into a message's header for T: a builtin's number
/// name ("@u64"), or the name cafman's type-ID block registers.
template <class T>
std::string_view portable_name() {
  constexpr auto nr = caf::type_nr<T>::value;
  if constexpr (nr != 0)
    return caf::numbered_type_names[nr - 1];
  else
    return caf::type_name<T>::value;
}

// -- what the object interfaces accept ----------------------------------------

struct element_rule {
  std::string_view name;
  layout kind;
  std::size_t size;
};

struct request_rules {
  std::vector<element_rule> elements;
  std::size_t max_arity = 0;
  /// Each signature's header ("@<>+@atom+cafman::value") to its loader.
  std::map<std::string, elements_loader, std::less<>> loaders;
};

template <class T>
struct tag {
  using type = T;
};

template <class F, class... Sigs>
void for_each_signature(tag<caf::typed_actor<Sigs...>>, F& f) {
  (f(tag<Sigs>{}), ...);
}

template <class F, class... Inputs, class Outputs>
void for_each_input(tag<caf::typed_mpi<caf::detail::type_list<Inputs...>, Outputs>>, F& f) {
  (f(tag<Inputs>{}), ...);
}

template <class... Ts>
caf::error load_elements(caf::deserializer& source, caf::message& out) {
  auto msg = caf::make_message(Ts{}...);
  for (std::size_t i = 0; i < sizeof...(Ts); ++i)
    if (auto err = msg.load(i, source))
      return err;
  out = std::move(msg);
  return caf::none;
}

/// The header message::save writes for a signature's inputs (see
/// read_type_names), and the loader of its elements; none for a signature
/// with an actor handle (BASP only).
template <class... Inputs, class Outputs>
void add_loader(tag<caf::typed_mpi<caf::detail::type_list<Inputs...>, Outputs>>,
                request_rules& rules) {
  if constexpr (!(caf::is_actor_handle<Inputs>::value || ...)) {
    std::string header = "@<>";
    ((header += '+', header += portable_name<typename wire_type<Inputs>::type>()), ...);
    rules.loaders.emplace(std::move(header),
                          &load_elements<typename wire_type<Inputs>::type...>);
  }
}

// Collects the input element types of every signature of every interface.
// Actor handles are left out: only BASP clients send them (to introduce a
// session or to create through one); a lean client names objects by id.
template <class... Interfaces>
request_rules rules_of() {
  request_rules rules;
  auto add_input = [&rules](auto input) {
    using declared = typename decltype(input)::type;
    if constexpr (!caf::is_actor_handle<declared>::value) {
      using type = typename wire_type<declared>::type;
      static_assert(has_wire_layout<type>::value,
                    "an object interface accepts a type the frame guard cannot walk: "
                    "give it a wire_layout in net/frame_guard.cpp");
      auto name = portable_name<type>();
      auto known = [&](const element_rule& r) { return r.name == name; };
      if (std::none_of(rules.elements.begin(), rules.elements.end(), known))
        rules.elements.push_back({name, wire_layout<type>::kind, wire_layout<type>::size});
    }
  };
  auto add_signature = [&](auto signature) {
    std::size_t arity = 0;
    auto add = [&](auto input) {
      ++arity;
      add_input(input);
    };
    for_each_input(signature, add);
    rules.max_arity = std::max(rules.max_arity, arity);
    add_loader(signature, rules);
  };
  (for_each_signature(tag<Interfaces>{}, add_signature), ...);
  return rules;
}

template <class... Kinds>
request_rules rules_of_kinds(caf::detail::type_list<Kinds...>) {
  return rules_of<custom_actor, iterator_actor, registry_actor, typename Kinds::interface...>();
}

/// Every interface a manager serves: its builtin kinds' (kinds.hpp), the
/// custom classes', the iterators' and the registry's. Their input types
/// are the ones decodable on the lean stream.
const request_rules& interface_rules() {
  static const request_rules rules = rules_of_kinds(builtin_kinds{});
  return rules;
}

// -- walking the bytes ----------------------------------------------------------

caf::error refuse(errc code, std::string what) {
  return caf::make_error(code, "frame refused: " + std::move(what));
}

caf::error truncated() {
  return refuse(errc::bad_argument, "the message ends early");
}

/// Reads binary_serializer's output front to back, never past its end.
class reader {
public:
  reader(const char* data, std::size_t size) : pos_(data), end_(data + size) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }

  bool skip(std::size_t n) {
    if (n > remaining())
      return false;
    pos_ += n;
    return true;
  }

  bool read_byte(std::uint8_t& x) {
    if (pos_ == end_)
      return false;
    x = static_cast<std::uint8_t>(*pos_++);
    return true;
  }

  /// CAF's sequence size: 7 bits a byte, low bits first, at most 32 bits.
  /// CAF itself reads any number of bytes (and shifts past 32 bits); the
  /// guard refuses what would not fit, so both always agree.
  caf::error read_size(std::uint64_t& x) {
    x = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      std::uint8_t byte = 0;
      if (!read_byte(byte))
        return truncated();
      x |= std::uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0)
        return x > UINT32_MAX ? refuse(errc::bad_argument, "a size beyond 32 bits") : caf::none;
    }
    return refuse(errc::bad_argument, "a size beyond 32 bits");
  }

  /// A size followed by that many bytes (a string, a blob); `what` names
  /// it in the error.
  caf::error read_sized(std::string_view& bytes, const char* what) {
    std::uint64_t size = 0;
    if (auto err = read_size(size))
      return err;
    if (size > remaining())
      return refuse(errc::bad_argument, std::string{what} + " claims " + std::to_string(size)
                                          + " bytes, only " + std::to_string(remaining())
                                          + " are left");
    bytes = std::string_view{pos_, static_cast<std::size_t>(size)};
    pos_ += size;
    return caf::none;
  }

  caf::error skip_sized(const char* what) {
    std::string_view ignored;
    return read_sized(ignored, what);
  }

private:
  const char* pos_;
  const char* end_;
};

caf::error walk_value(reader& in) {
  // Elements still to read in each open container; level 0 is the value
  // itself. Containers are counted as value.cpp's loader counts them.
  std::array<std::uint64_t, max_value_depth + 1> pending;
  std::size_t depth = 0;
  pending[0] = 1;
  for (;;) {
    while (pending[depth] == 0) {
      if (depth == 0)
        return caf::none;
      --depth;
    }
    --pending[depth];
    std::uint8_t tag = 0;
    if (!in.read_byte(tag))
      return truncated();
    switch (static_cast<kind>(tag)) {
      case kind::none:
        break;
      case kind::boolean:
        if (!in.skip(1))
          return truncated();
        break;
      case kind::integer:
      case kind::floating:
        if (!in.skip(8))
          return truncated();
        break;
      case kind::string:
        if (auto err = in.skip_sized("a cafman::value string"))
          return err;
        break;
      case kind::bytes:
        if (auto err = in.skip_sized("a cafman::value bytes"))
          return err;
        break;
      case kind::reference:
        if (!in.skip(8))
          return truncated();
        if (auto err = in.skip_sized("a cafman::value reference's type id"))
          return err;
        break;
      case kind::list:
      case kind::dict: {
        if (depth + 1 > max_value_depth)
          return value_too_deep();
        std::uint64_t size = 0;
        if (auto err = in.read_size(size))
          return err;
        auto elements = static_cast<kind>(tag) == kind::list ? size : 2 * size;
        // Every element takes at least its tag byte.
        if (elements > in.remaining())
          return refuse(errc::bad_argument, "a cafman::value container claims "
                                              + std::to_string(size) + " entries, only "
                                              + std::to_string(in.remaining())
                                              + " bytes are left");
        pending[++depth] = elements;
        break;
      }
      default:
        return refuse(errc::bad_argument,
                      "unknown cafman::value tag " + std::to_string(int{tag}));
    }
  }
}

caf::error walk_element(reader& in, const element_rule& rule) {
  switch (rule.kind) {
    case layout::fixed:
      return in.skip(rule.size) ? caf::none : truncated();
    case layout::string:
      return in.skip_sized("a string");
    case layout::value:
      return walk_value(in);
  }
  return truncated(); // unreachable: every layout is handled above
}

/// The element names of a message's header: "@<>" for an empty message,
/// else "@<>+" and the names joined by '+' (message::save in CAF 0.17.6).
caf::error read_type_names(reader& in, std::string_view& names) {
  // begin_object: a 16-bit type number, 0 for "named", then the name.
  std::uint8_t high = 0;
  std::uint8_t low = 0;
  if (!in.read_byte(high) || !in.read_byte(low))
    return truncated();
  if (high != 0 || low != 0)
    return refuse(errc::bad_argument, "not a caf::message");
  if (auto err = in.read_sized(names, "the message header"))
    return err;
  return caf::none;
}

} // namespace

caf::error check_request(const char* data, std::size_t size, request_shape* shape) {
  const auto& rules = interface_rules();
  reader in{data, size};
  std::string_view names;
  if (auto err = read_type_names(in, names))
    return err;
  auto header_size = size - in.remaining();
  auto loader = rules.loaders.find(names);
  constexpr std::string_view empty = "@<>";
  constexpr std::string_view prefix = "@<>+";
  if (names != empty) {
    if (names.substr(0, prefix.size()) != prefix)
      return refuse(errc::bad_argument, "not a caf::message");
    names.remove_prefix(prefix.size());
    std::size_t elements = 0;
    for (;;) {
      auto end = names.find('+');
      auto name = names.substr(0, end);
      auto matches = [name](const element_rule& r) { return r.name == name; };
      auto rule = std::find_if(rules.elements.begin(), rules.elements.end(), matches);
      if (rule == rules.elements.end())
        return refuse(errc::unsupported_message, "element type '" + std::string{name}
                                                   + "' is not one the object interfaces accept");
      if (++elements > rules.max_arity)
        return refuse(errc::unsupported_message,
                      "more elements than any object interface accepts ("
                        + std::to_string(rules.max_arity) + ")");
      if (auto err = walk_element(in, *rule))
        return err;
      if (end == std::string_view::npos)
        break;
      names.remove_prefix(end + 1);
    }
  }
  if (in.remaining() != 0)
    return refuse(errc::bad_argument, "trailing bytes after the message");
  if (shape)
    *shape = {header_size, loader == rules.loaders.end() ? nullptr : loader->second};
  return caf::none;
}

} // namespace cafman::net::lean
