#pragma once

// `netadmit recommend`: least-privilege NetworkPolicies from the connections a flow log observed.

#include <string>
#include <vector>

#include "cli/recommend_report.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/connectivity/recommend.h"
#include "netadmit/rules/rule_set.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netadmit::cli {

// Adds the `recommend` subcommand to `app`. When it runs, it prints the policies on standard
// output and the summary on standard error and ends the parse with CLI::Success (exit 0); it
// ends it with CLI::RuntimeError(1) when the recommendation fails its proof (a defect), and with
// CLI::RuntimeError(2) on bad input or flags.
void AddRecommendCommand(CLI::App& app);

// Runs `rules` over the recommended policies as `netadmit check` does, with `cluster` (the
// manifests they were recommended for) as what the cluster holds: the findings no exception
// covers, by policy. Fails when the rendered policies do not read back as manifests.
Result<RuleFlags> FlagRecommendation(const RuleSet& rules, const Recommendation& recommendation,
                                     const std::vector<ManifestObject>& cluster,
                                     const std::string& default_namespace);

}  // namespace netadmit::cli
