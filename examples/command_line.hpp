#pragma once

// What the examples share: parsing the command line (--help, --version)
// and turning failures into exit codes (0 ok, 1 failure, 2 bad usage), each
// with one line on stderr that says what went wrong.

#include <iostream>

#include <boost/program_options.hpp>

#include "cafman/version.hpp"

namespace po = boost::program_options;

/// Parses argv against `desc` (which gets --help and --version) and runs
/// `body` on it.
template <class F>
int run_command_line(const char* program, po::options_description& desc, int argc, char** argv,
                     F body) {
  desc.add_options()("help,h", "print this help and exit")("version",
                                                             "print the version and exit");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("version")) {
      std::cout << program << " (cafman " << cafman::version() << ")\n";
      return 0;
    }
    po::notify(vm); // after --help: required options may be missing then
    body(vm);
    return 0;
  } catch (const po::error& e) {
    std::cerr << program << ": " << e.what() << "\n" << desc << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
}
