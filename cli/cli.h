#pragma once

// The `netadmit` command line: `serve`, `check` and `version`.

#include <chrono>
#include <string_view>

#include "netadmit/model/result.h"

namespace netadmit::cli {

// Runs the command line and returns the process exit code.
//   serve    0 after a graceful shutdown, 1 when the server cannot start, 2 on a usage error
//   check    0 no deny finding, 1 a deny finding, 2 on bad input, bad rules or a usage error
//   version  0
int RunCli(int argc, char** argv);

// Parses a duration: "250ms", "10s", "2m", or a bare number of seconds ("1.5"). Must be > 0.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace netadmit::cli
