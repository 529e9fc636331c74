#include "netadmit/rules/catalog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rules/registration.h"

namespace netadmit {

Status RuleCatalog::Add(RuleKind kind) {
  if (kind.name.empty() || kind.compile == nullptr) {
    return Error{"", 0, 0, "", "a rule kind needs a name and a compile function"};
  }
  if (Find(kind.name) != nullptr) {
    return Error{"", 0, 0, "", "rule kind \"" + std::string(kind.name) + "\" is registered twice"};
  }
  kinds_.push_back(std::move(kind));
  return Ok{};
}

const RuleKind* RuleCatalog::Find(std::string_view name) const {
  auto found = std::find_if(kinds_.begin(), kinds_.end(),
                            [&](const RuleKind& kind) { return kind.name == name; });
  return found == kinds_.end() ? nullptr : &*found;
}

namespace {

// "NetworkPolicies, Pods and pod templates": the contents a target includes, for the reference.
std::string TargetText(Target target) {
  std::string out;
  const auto add = [&](Target part, const char* text) {
    if (Includes(target, part)) {
      out += out.empty() ? "" : ", ";
      out += text;
    }
  };
  add(Target::kNetworkPolicy, "NetworkPolicies");
  add(Target::kClusterPolicy,
      "cluster policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy)");
  add(Target::kPodTemplate, "Pods and pod templates");
  return out;
}

}  // namespace

std::string KindsReferenceMarkdown(const RuleCatalog& catalog) {
  std::string out;
  for (const auto& kind : catalog.kinds()) {
    out += "### " + std::string(kind.name) + "\n\n" + std::string(kind.summary) + "\n\n";
    out += "Checks: " + TargetText(kind.target);
    out += kind.checks_delete ? ", DELETE included.\n\n" : ".\n\n";
    if (kind.needs_cluster) {
      out +=
          "Needs the cluster view: inactive in `netadmit serve` without a connection to the API "
          "server; `netadmit check` uses the manifests and `--cluster-state` as the "
          "cluster.\n\n";
    }
    if (kind.params.empty()) {
      out += "No params.\n\n";
      continue;
    }
    out += "| Param | Type | Meaning |\n| --- | --- | --- |\n";
    for (const auto& param : kind.params) {
      out += "| `" + std::string(param.name) + "` | " + std::string(param.type) + " | " +
             std::string(param.description) + " |\n";
    }
    out += "\n";
  }
  return out;
}

std::string KindsListing(const RuleCatalog& catalog) {
  std::size_t width = 0;
  for (const auto& kind : catalog.kinds()) {
    width = std::max(width, kind.name.size());
  }
  std::string out;
  for (const auto& kind : catalog.kinds()) {
    out += "  " + std::string(kind.name) + std::string(width - kind.name.size() + 2, ' ') +
           std::string(kind.summary) + (kind.needs_cluster ? " (needs the cluster view)" : "") +
           "\n";
  }
  return out;
}

const RuleCatalog& BuiltinCatalog() {
  // Built once, on first use, from the one explicit list; never changed afterwards.
  static const RuleCatalog catalog = [] {
    RuleCatalog built;
    RegisterBuiltinKinds(built);
    return built;
  }();
  return catalog;
}

}  // namespace netadmit
