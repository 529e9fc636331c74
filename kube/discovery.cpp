// Discovery of the cluster-scoped network policies. See discovery.h. The bodies are those of the
// API server's legacy (non-aggregated) discovery, which every version since 1.0 serves:
//   {"kind":"APIGroup","name":"policy.networking.k8s.io","versions":[{"groupVersion":
//    "policy.networking.k8s.io/v1alpha1","version":"v1alpha1"}],"preferredVersion":{...}}
//   {"kind":"APIResourceList","groupVersion":"policy.networking.k8s.io/v1alpha1","resources":
//    [{"name":"adminnetworkpolicies","namespaced":false,"kind":"AdminNetworkPolicy",...},
//     {"name":"adminnetworkpolicies/status",...}]}

#include "kube/discovery.h"

#include <rapidjson/document.h>

#include <algorithm>

#include "netadmit/codec/decode.h"
#include "netadmit/model/cluster_policy.h"

namespace netadmit::kube {

namespace {

using rapidjson::Value;

// The strings at `field` of each element of the list at `list` in a body of kind `kind`.
Result<std::vector<std::string>> NamesIn(std::string_view body, std::string_view kind,
                                         std::string_view list, std::string_view field) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  const std::string what = "the " + std::string(kind);
  if (doc.HasParseError() || !doc.IsObject()) {
    return Error{"", 0, 0, "", what + " is not a JSON object"};
  }
  if (const Value* actual = JsonMember(doc, "kind");
      actual != nullptr && (!actual->IsString() || actual->GetString() != kind)) {
    return Error{"", 0, 0, "kind", what + ": expected \"" + std::string(kind) + "\""};
  }
  std::vector<std::string> names;
  const Value* items = JsonMember(doc, list);
  if (items == nullptr || items->IsNull()) {
    return names;  // an empty list may be left out
  }
  if (!items->IsArray()) {
    return Error{"", 0, 0, std::string(list), "expected a list"};
  }
  for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
    const Value& item = (*items)[i];
    const Value* name = item.IsObject() ? JsonMember(item, field) : nullptr;
    if (name == nullptr || !name->IsString()) {
      return Error{"", 0, 0,
                   std::string(list) + "[" + std::to_string(i) + "]." + std::string(field),
                   "expected a string"};
    }
    names.emplace_back(name->GetString(), name->GetStringLength());
  }
  return names;
}

bool Serves(const ServedVersions& served, std::string_view version, std::string_view resource) {
  const auto found = served.find(version);
  return found != served.end() &&
         std::find(found->second.begin(), found->second.end(), resource) != found->second.end();
}

}  // namespace

std::string PolicyGroupPath() { return "/apis/" + std::string(kPolicyApiGroup); }

std::string PolicyVersionPath(std::string_view version) {
  return PolicyGroupPath() + "/" + std::string(version);
}

Result<std::vector<std::string>> ParseApiGroupVersions(std::string_view body) {
  return NamesIn(body, "APIGroup", "versions", "version");
}

Result<std::vector<std::string>> ParseApiResources(std::string_view body) {
  auto names = NamesIn(body, "APIResourceList", "resources", "name");
  if (names) {
    std::erase_if(*names,
                  [](const std::string& name) { return name.find('/') != std::string::npos; });
  }
  return names;
}

bool ReadsPolicyVersion(std::string_view version) {
  return std::any_of(
      kClusterPolicyKinds.begin(), kClusterPolicyKinds.end(), [version](ClusterKind kind) {
        const auto& versions = PolicyVersions(kind);
        return std::find(versions.begin(), versions.end(), version) != versions.end();
      });
}

std::vector<Resource> ChooseClusterPolicyResources(const ServedVersions& served) {
  std::vector<Resource> chosen;
  for (const ClusterKind kind : kClusterPolicyKinds) {
    for (const std::string_view version : PolicyVersions(kind)) {
      if (Serves(served, version, ClusterKindName(kind))) {
        chosen.push_back(Resource{kind, "", "", std::string(version)});
        break;
      }
    }
  }
  return chosen;
}

bool AuditLists(const AuditedKind& kind, const std::vector<Resource>& cluster_policies) {
  return !kind.cluster_policy ||
         std::any_of(cluster_policies.begin(), cluster_policies.end(), [&](const Resource& served) {
           return ListTarget(served, 0, "") == kind.path;
         });
}

}  // namespace netadmit::kube
