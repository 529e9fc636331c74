#pragma once

// `netadmit reach`: who reaches whom under the NetworkPolicies of a set of manifests.

namespace CLI {
class App;
}  // namespace CLI

namespace netadmit::server {

// Adds the `reach` subcommand to `app`. When it runs, it prints its answer and ends the parse
// with CLI::Success (exit 0), or prints the reason to standard error and ends it with
// CLI::RuntimeError(2) on bad input or flags; the caller's usual ParseError handling maps both
// to the exit code.
void AddReachCommand(CLI::App& app);

}  // namespace netadmit::server
