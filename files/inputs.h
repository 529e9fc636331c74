#pragma once

// Reading what the core judges from the file system and standard input: rule-set files,
// manifests and flow logs. The core only parses text it is given; these functions are the one place
// that opens files, so the webhook, `netadmit check` and `netadmit reach` read inputs alike.

#include <string>
#include <vector>

#include "netadmit/codec/manifest.h"
#include "netadmit/connectivity/observed_flows.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit {

// Reads a rule-set file, or every *.yaml / *.yml file of a directory (sorted by name). Hidden
// entries are skipped, so a mounted ConfigMap's "..data" folders are not read twice.
Result<std::vector<RuleSource>> ReadRuleSources(const std::string& file_or_directory);

// Reads a file, "-" (standard input), or every *.yaml / *.yml / *.json file under a directory
// (recursively, sorted by path) and parses them.
Result<std::vector<ManifestObject>> ReadManifests(const std::string& file_or_directory);

// ReadManifests over several inputs, in order.
Result<std::vector<ManifestObject>> ReadAllManifests(const std::vector<std::string>& inputs);

// Feeds a flow log (a file, or "-" for standard input) to `replay` a line at a time, so that
// memory stays with the distinct connections, not the lines. Malformed lines are the replay's
// to count; fails only when the log cannot be opened or read.
Result<Ok> ReadFlowLog(const std::string& path, FlowReplay& replay);

}  // namespace netadmit
