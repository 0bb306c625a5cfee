#pragma once

// A kind of shared object, declared once beside its interface:
//
//   inline constexpr char dict_type_id[] = "dict";
//   using dict_kind = object_kind<dict_type_id, dict_actor>;
//
// The type id is what `manager.create` names; the interface is what its
// objects serve, what proxies and actor clients call through, and what the
// manager decodes requests against. cafman/interfaces/kinds.hpp lists the
// kinds a manager serves.

namespace cafman {

template <const char* TypeId, class Interface>
struct object_kind {
  static constexpr const char* type_id = TypeId;
  using interface = Interface;
};

} // namespace cafman
