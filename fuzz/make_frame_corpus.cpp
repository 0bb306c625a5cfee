// Writes the seed corpus of cafman_frame_fuzz: the request bodies of real
// calls, one file each, into the directory given as the only argument.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "cafman/protocol.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/system_config.hpp"

using namespace cafman;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  caf::actor_system_config cfg;
  net::configure(cfg, 1);
  caf::actor_system sys{cfg};
  auto nested = value{dict_value{{"list", list_value{1, 2.5, "x", bytes_value{0, 255}}},
                                 {"none", value{}},
                                 {true, dict_value{{"ref", object_reference{7, "dict", nullptr}}}}}};
  caller me{3, 1};
  std::vector<std::pair<std::string, caf::message>> calls{
    {"dict-put", caf::make_message(put_atom_v, value{"key"}, nested)},
    {"dict-get-default", caf::make_message(get_atom_v, value{"key"}, value{0})},
    {"dict-fetch-add", caf::make_message(fetch_add_atom_v, value{"hits"}, value{1})},
    {"list-slice", caf::make_message(get_atom_v, slice_atom_v, value{1}, value{}, value{-1})},
    {"list-sort", caf::make_message(sort_atom_v, true)},
    {"array-get", caf::make_message(get_atom_v, std::int64_t{-1})},
    {"queue-put", caf::make_message(put_atom_v, me, value{"item"}, caf::timespan{1s})},
    {"queue-get", caf::make_message(get_atom_v, me, detail::forever)},
    {"lock-acquire", caf::make_message(acquire_atom_v, me, caf::timespan{0})},
    {"lock-restore", caf::make_message(acq_restore_atom_v, me, std::uint64_t{2})},
    {"registry-create", caf::make_message(create_atom_v, std::uint64_t{3}, std::string{"dict"},
                                          value{list_value{dict_value{{"k", 1}}}})},
    {"registry-lookup", caf::make_message(lookup_atom_v, std::uint64_t{3}, std::string{"jobs"},
                                          std::string{"queue"}, value{list_value{}})},
    {"registry-decref", caf::make_message(decref_atom_v, std::uint64_t{3}, std::uint64_t{9})},
    {"custom-call", caf::make_message(call_atom_v, std::string{"deposit"}, value{list_value{5}})},
    {"sync", caf::message{}},
  };
  for (const auto& [name, msg] : calls) {
    std::vector<char> frame;
    if (auto err = net::lean::append_frame(sys, frame, {1, 42}, msg)) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), caf::to_string(err).c_str());
      return 1;
    }
    std::ofstream out{std::string{argv[1]} + "/" + name, std::ios::binary};
    out.write(frame.data() + net::lean::length_size,
              static_cast<std::streamsize>(frame.size() - net::lean::length_size));
  }
  return 0;
}
