#pragma once

// `netadmit check` below its flags: reads the inputs, runs the core's check, and shows the report
// as text for people or JSON for tools, with its exit code.

#include <chrono>
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
  // Honour the rule set's exceptions (--no-exceptions: false), as at `now`.
  bool use_exceptions = true;
  TimePoint now = std::chrono::system_clock::now();
};

// The rule sets of a file or directory, or the embedded default rule set when `path` is empty.
// Fails on unreadable files and on rules that do not load.
Result<std::shared_ptr<const RuleSet>> LoadRulesFrom(const std::string& path,
                                                     const LoadLimits& limits);

// Reads every input and checks it. Fails on unreadable or malformed input (exit code 2).
Result<CheckReport> CheckFiles(const RuleSet& rules, const CheckInputs& inputs);

// Exit code of `netadmit check`: 0 no deny finding, 1 a deny finding.
int ExitCode(const CheckReport& report);

// Human-readable report: one header line per object, one line per finding, a summary line.
std::string RenderCheckText(const CheckReport& report);

// JSON: {"objects":
// [{"file","line","object","decision","violations":[{rule,action,path,message[,exception]}]}],
//        "summary": {objects, denied, warned, skipped, exempted}}; `exception` names the
// exception that covers the finding, and `exempted` counts such findings.
std::string RenderCheckJson(const CheckReport& report);

}  // namespace netadmit::cli
