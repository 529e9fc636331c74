#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace netadmit::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string Fixture(const std::string& relative) {
  return ReadFile(std::string(NETADMIT_FIXTURES_DIR) + "/" + relative);
}

}  // namespace netadmit::testing
