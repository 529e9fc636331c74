#pragma once

// `netadmit check`: evaluates manifests offline with the same engine and the same messages as
// the webhook, for CI and pre-commit hooks.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/rules/engine.h"
#include "netadmit/rules/exceptions.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit {

struct CheckOptions {
  std::vector<ManifestObject> manifests;  // the objects to judge
  std::string default_namespace = "default";
  // What the cluster holds besides the manifests: `kubectl get namespaces,networkpolicies,pods -A
  // -o yaml` output. The stateful rules judge each object against these plus the manifests
  // themselves, as if every manifest had been applied.
  std::vector<ManifestObject> cluster_state = {};
  // Findings an exception of the rule set covers at `now` are reported exempt (and do not deny);
  // false shows what would fail without the exceptions.
  bool use_exceptions = true;
  TimePoint now = std::chrono::system_clock::now();
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
  bool Denied() const;  // any deny finding that no exception covers
};

// What to do with an object of a cached kind that does not decode.
enum class Undecodable { kFail, kLeaveOut };

// The cluster the stateful rules see: the `state` objects, then the manifests on top (a manifest
// replaces the object of the same kind, namespace and name). Namespaced objects written without
// a namespace land in `default_namespace`, as `kubectl apply` puts them. An object that does not
// decode fails the build, naming file and line, or is left out.
Result<std::unique_ptr<ClusterCache>> ClusterOfManifests(
    const std::vector<ManifestObject>& state, const std::vector<ManifestObject>& manifests,
    const std::string& default_namespace, Undecodable undecodable = Undecodable::kFail);

// Evaluates every manifest. Fails on an object that does not decode, naming file and line.
Result<CheckReport> RunCheck(const RuleSet& rules, const CheckOptions& options);

// One exception as a security review reads it (`netadmit exceptions`).
struct ExceptionStatus {
  const RuleException* exception = nullptr;  // into the rule set
  ExceptionState state = ExceptionState::kActive;
  int days_left = 0;
  // How many of the report's objects it exempts a finding of; nullopt without a report.
  std::optional<int> covered_objects;
};

// Every exception of `rules` at `now`, in load order; with `report` (a RunCheck with the
// exceptions applied at the same `now`), how many of its objects each one covers.
std::vector<ExceptionStatus> DescribeExceptions(const RuleSet& rules, TimePoint now,
                                                int warning_days, const CheckReport* report);

}  // namespace netadmit
