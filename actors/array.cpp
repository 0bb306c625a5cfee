#include "cafman/actors/array.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/slice.hpp"
#include "cafman/actors/typecode.hpp"

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

/// The elements of `sequence` (a list) as `type` stores them; throws
/// before anything is written, so a bad element leaves the array unchanged.
list_value checked_elements(const detail::typecode& type, const value& sequence, const char* what) {
  if (!sequence.is_list())
    throw type_error(std::string{what} + " needs a list, got " + sequence.type_name());
  list_value result;
  result.reserve(sequence.as_list().size());
  for (auto& x : sequence.as_list())
    result.push_back(type.checked(x));
  return result;
}

struct array_state {
  static inline const char* name = "cafman.array";

  detail::typecode type;
  list_value items;

  std::size_t position(std::int64_t index) const {
    return detail::position_of(index, items.size(), "array");
  }

  detail::slice_range slice(const value& start, const value& stop, const value& step) const {
    return {static_cast<std::int64_t>(items.size()), start, stop, step};
  }

  void set(std::int64_t index, const value& v) { items[position(index)] = type.checked(v); }

  // Python's array (ctypes) takes exactly as many items as the slice
  // selects, even for a step-1 slice: the size never changes.
  void set_slice(const value& start, const value& stop, const value& step,
                 const value& replacement) {
    auto range = slice(start, stop, step);
    auto elements = checked_elements(type, replacement, "array slice assignment");
    if (static_cast<std::int64_t>(elements.size()) != range.count)
      throw value_error("cannot assign " + std::to_string(elements.size()) +
                        " item(s) to an array slice of " + std::to_string(range.count) +
                        ": an array's size is fixed, so pass as many items as the slice "
                        "selects");
    range.assign(items, std::move(elements));
  }
};

using array_ptr = detail::object_self_t<array_actor, array_state>;

// In a handler of the shared behavior: its object's state.
constexpr auto st = &detail::current_state<array_ptr>;

// Made once, shared by every array (see detail::object_actor).
array_actor::behavior_type array_behavior() {
  using detail::guard;
  return {
      [](get_atom, std::int64_t i) { return guard([&] { return st().items[st().position(i)]; }); },
      [](put_atom, std::int64_t i, const value& v) { return guard([&] { st().set(i, v); }); },
      [](get_atom, slice_atom, const value& a, const value& b, const value& c) {
        return guard([&] { return value{st().slice(a, b, c).select(st().items)}; });
      },
      [](put_atom, slice_atom, const value& a, const value& b, const value& c, const value& v) {
        return guard([&] { st().set_slice(a, b, c, v); });
      },
      [](len_atom) { return static_cast<std::int64_t>(st().items.size()); },
      [](typecode_atom) { return std::string(1, st().type.code()); },
      [](copy_atom) { return value{st().items}; },
  };
}

array_actor::behavior_type make_array(array_ptr self, detail::typecode type, list_value items) {
  self->state.type = type;
  self->state.items = std::move(items);
  detail::reject_unexpected(self);
  static const array_actor::behavior_type shared = array_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_array(object_context& ctx, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 2, "Array");
    if (positional.size() < 2)
      throw type_error("Array() needs a typecode and a size or a sequence of elements");
    auto type = detail::typecode::parse(positional[0], "Array");
    auto& contents = positional[1];
    if (!contents.is_int() && !contents.is_list())
      throw type_error(std::string{"Array() needs a size (int) or a list of elements after the "
                                   "typecode, got "} +
                       contents.type_name());
    if (contents.is_list()) {
      detail::check_elements(ctx.limits(), contents.as_list().size(), "Array()");
      return detail::spawn_object(ctx.system(), make_array, type,
                                  checked_elements(type, contents, "Array()"));
    }
    if (contents.as_int() < 0)
      throw value_error("Array() size must be zero or positive, got " +
                        std::to_string(contents.as_int()));
    // Every element is a cafman::value in the manager's memory: checked
    // before the zeros are allocated.
    detail::check_elements(ctx.limits(), static_cast<std::uint64_t>(contents.as_int()),
                           "Array('" + std::string(1, type.code()) + "', "
                             + std::to_string(contents.as_int()) + ")");
    list_value zeros(static_cast<std::size_t>(contents.as_int()), type.checked(0));
    return detail::spawn_object(ctx.system(), make_array, type, std::move(zeros));
  });
}

} // namespace cafman
