#pragma once

// `netadmit check`: evaluates manifests offline with the same engine and the same messages as
// the webhook, for CI and pre-commit hooks.

#include <memory>
#include <string>
#include <vector>

#include "netadmit/engine.h"
#include "netadmit/manifest.h"
#include "netadmit/rule_set.h"

namespace netadmit {

struct CheckOptions {
  std::vector<std::string> inputs;  // files, directories, or "-"
  std::string default_namespace = "default";
  // What the cluster holds besides the manifests: `kubectl get namespaces,networkpolicies,pods -A
  // -o yaml` output (files, directories, or "-"). The stateful rules judge each object against
  // these plus the manifests themselves, as if every manifest had been applied.
  std::vector<std::string> cluster_state = {};
};

struct ObjectReport {
  std::string file;
  int line = 0;
  std::string description;  // "NetworkPolicy default/web"
  bool inspected = false;   // false for kinds no rule looks at
  Evaluation evaluation;
  // The object's identity, as written (namespace defaulted), for the JSON report.
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
};

struct CheckReport {
  std::vector<ObjectReport> objects;
  bool Denied() const;  // any deny finding
};

// Reads and evaluates every input. Fails on unreadable or malformed input (exit code 2).
Result<CheckReport> RunCheck(const RuleSet& rules, const CheckOptions& options);

// Exit code of `netadmit check`: 0 no deny finding, 1 a deny finding.
int ExitCode(const CheckReport& report);

// Human-readable report: one header line per object, one line per finding.
std::string RenderText(const CheckReport& report);
// JSON: {"objects":
// [{"file","line","object","decision","violations":[{rule,action,path,message}]}],
//        "summary": {...}}
std::string RenderJson(const CheckReport& report);

}  // namespace netadmit
