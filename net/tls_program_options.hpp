#pragma once

// The TLS options of cafman's programs (cafman-server and the cafman
// client), declared once for both.

#include <string>

#include <boost/program_options.hpp>

#include "cafman/net/options.hpp"

namespace cafman::net {

/// --tls-cert, --tls-key, --tls-ca; and --tls-server-name for a client.
inline void add_tls_options(boost::program_options::options_description& desc, bool client) {
  namespace po = boost::program_options;
  desc.add_options()
    ("tls-cert", po::value<std::string>(),
     "TLS on every stream: this side's certificate (PEM); needs --tls-key and --tls-ca")
    ("tls-key", po::value<std::string>(), "TLS: the certificate's private key (PEM)")
    ("tls-ca", po::value<std::string>(),
     "TLS: the CA certificate(s) the other side's certificate must be signed by (PEM)");
  if (client)
    desc.add_options()
      ("tls-server-name", po::value<std::string>(),
       "TLS: the name the manager's certificate must carry (default: the host connected to)");
}

inline tls_options tls_options_from(const boost::program_options::variables_map& vm) {
  auto text = [&](const char* name) {
    return vm.count(name) ? vm[name].as<std::string>() : std::string{};
  };
  return {text("tls-cert"), text("tls-key"), text("tls-ca"), text("tls-server-name")};
}

} // namespace cafman::net
