#pragma once

// What a lean request may hold, checked on its bytes before CAF decodes
// them. CAF 0.17.6 decodes whatever type a message names, by recursion and
// without a depth bound (a caf::config_value nested 20,000 deep overflows
// the decoding thread's stack), so the guard reads the message's header
// itself and walks every element with bounded loops:
//
// - every element type must be one that some object interface accepts as
//   input (derived from the typed_actor declarations, see frame_guard.cpp),
//   minus actor handles, which only BASP clients send;
// - every size a string or a cafman::value container claims must fit in the
//   bytes that are left, before anything is allocated;
// - cafman::value containers nest at most 512 deep (value.hpp's limit);
// - nothing may follow the last element.
//
// Atom values are not checked here: an actor-type object of a
// type_registry defines its own tags, and an object answers a tag it does
// not know with a clear error. The guard bounds decoding; the object's
// behaviour still checks the message's whole signature.

#include <cstddef>

#include <caf/fwd.hpp>

namespace cafman::net::lean {

/// Loads the elements of a request whose header names exactly the inputs
/// of one interface signature into a message of those types: one
/// allocation, where CAF's generic decoder looks up each element's type by
/// name and allocates it alone (a sixth of the I/O thread's time per call).
using elements_loader = caf::error (*)(caf::deserializer& source, caf::message& out);

/// How a checked request lies: where its elements begin, and their loader
/// if its header is an interface signature's (else CAF decodes it whole).
struct request_shape {
  std::size_t header_size = 0;
  elements_loader load = nullptr;
};

/// Checks the serialized caf::message of a request (the bytes after the
/// request header). Returns an error that names what was refused: errc's
/// unsupported_message for a type no interface accepts, bad_argument for a
/// malformed or oversized element, value_too_deep() for a cafman::value
/// nested deeper than max_value_depth. Fills `shape` if it passes.
caf::error check_request(const char* data, std::size_t size, request_shape* shape = nullptr);

} // namespace cafman::net::lean
