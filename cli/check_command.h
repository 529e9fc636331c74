#pragma once

// `netadmit check` below its flags: reads the inputs, runs the core's check, and shows the report
// as text for people or JSON for tools, with its exit code.

#include <memory>
#include <string>
#include <vector>

#include "netadmit/model/result.h"
#include "netadmit/rules/check.h"

namespace netadmit::cli {

// What `netadmit check` reads, each a file, a directory or "-" (standard input).
struct CheckInputs {
  std::vector<std::string> manifests;
  std::string default_namespace = "default";
  // `kubectl get namespaces,networkpolicies,pods -A -o yaml` output: what the cluster holds.
  std::vector<std::string> cluster_state = {};
};

// The rules of a --rules flag: the rule-set file or directory, or the embedded default rule set
// when `path` is empty.
Result<std::shared_ptr<const RuleSet>> LoadRules(const std::string& path);

// Reads every input and checks it. Fails on unreadable or malformed input (exit code 2).
Result<CheckReport> CheckFiles(const RuleSet& rules, const CheckInputs& inputs);

// Exit code of `netadmit check`: 0 no deny finding, 1 a deny finding.
int ExitCode(const CheckReport& report);

// Human-readable report: one header line per object, one line per finding, a summary line.
std::string RenderCheckText(const CheckReport& report);

// JSON: {"objects":
// [{"file","line","object","decision","violations":[{rule,action,path,message}]}],
//        "summary": {...}}
std::string RenderCheckJson(const CheckReport& report);

}  // namespace netadmit::cli
