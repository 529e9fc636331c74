#pragma once

// `netadmit reach`: who reaches whom under the NetworkPolicies of a set of manifests.

#include <string>
#include <string_view>
#include <vector>

#include "netadmit/connectivity/reach.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netadmit::cli {

// Adds the `reach` subcommand to `app`. When it runs, it prints its answer and ends the parse
// with CLI::Success (exit 0), or prints the reason to standard error and ends it with
// CLI::RuntimeError(2) on bad input or flags; the caller's usual ParseError handling maps both
// to the exit code.
void AddReachCommand(CLI::App& app);

// Reads the manifests (files, directories, "-") and collects what `reach` looks at
// (BuildReachInput). Fails on unreadable or malformed input, naming file and line.
Result<ReachInput> ReadReachInput(const std::vector<std::string>& paths,
                                  std::string_view default_namespace);

}  // namespace netadmit::cli
