#pragma once

// How a command gives up below its flags: it prints "netadmit COMMAND: why" to standard error and
// ends the parse with CLI::RuntimeError(2), which RunCli turns into exit status 2 (bad input).

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>

#include "netadmit/model/result.h"

namespace netadmit::cli {

inline constexpr int kBadInput = 2;

class CommandFailure {
 public:
  explicit constexpr CommandFailure(std::string_view command) : command_(command) {}

  [[noreturn]] void Fail(const std::string& message) const {
    std::cerr << "netadmit " << command_ << ": " << message << "\n";
    throw CLI::RuntimeError(kBadInput);
  }

  // The value, or Fail with the error.
  template <typename T>
  T Must(Result<T> result) const {
    if (!result) {
      Fail(result.error().ToString());
    }
    return std::move(result.value());
  }

 private:
  std::string_view command_;
};

}  // namespace netadmit::cli
