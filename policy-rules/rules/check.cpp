// `netadmit check`: decodes each manifest object as the webhook would and evaluates it as if it
// were being created. cli/check_report.cpp renders the report.
// The stateful rules see a cluster made of the --cluster-state objects and the manifests.

#include "netadmit/rules/check.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "netadmit/cluster/cluster.h"
#include "netadmit/codec/decode.h"

namespace netadmit {

namespace {

// The kind the cluster view caches for a manifest object, if it caches that kind at all.
std::optional<ClusterKind> CachedKindOf(const rapidjson::Value& object) {
  const auto api_version = object.FindMember("apiVersion");
  const auto kind = object.FindMember("kind");
  if (api_version == object.MemberEnd() || kind == object.MemberEnd() ||
      !api_version->value.IsString() || !kind->value.IsString()) {
    return std::nullopt;
  }
  const std::string_view group_version = api_version->value.GetString();
  const std::string_view name = kind->value.GetString();
  if (group_version == "v1" && name == "Namespace") {
    return ClusterKind::kNamespace;
  }
  if (group_version == "networking.k8s.io/v1" && name == "NetworkPolicy") {
    return ClusterKind::kNetworkPolicy;
  }
  if (group_version == "v1" && name == "Pod") {
    return ClusterKind::kPod;
  }
  if (group_version == "v1" && name == "ConfigMap") {
    return ClusterKind::kConfigMap;
  }
  if (group_version == "policy.networking.k8s.io/v1alpha1" && name == "AdminNetworkPolicy") {
    return ClusterKind::kAdminNetworkPolicy;
  }
  if (group_version == "policy.networking.k8s.io/v1alpha1" &&
      name == "BaselineAdminNetworkPolicy") {
    return ClusterKind::kBaselineAdminNetworkPolicy;
  }
  if ((group_version == "policy.networking.k8s.io/v1alpha2" ||
       group_version == "policy.networking.k8s.io/v1beta1") &&
      name == "ClusterNetworkPolicy") {
    return ClusterKind::kClusterNetworkPolicy;
  }
  return std::nullopt;
}

bool ClusterScoped(ClusterKind kind) {
  return kind == ClusterKind::kNamespace ||
         std::find(kClusterPolicyKinds.begin(), kClusterPolicyKinds.end(), kind) !=
             kClusterPolicyKinds.end();
}

// Decodes a manifest object as the cluster view holds it. Namespaced objects written without a
// namespace land in the default one, as `kubectl apply` puts them.
Result<std::optional<ClusterObject>> ToClusterObject(const ManifestObject& manifest,
                                                     const std::string& default_namespace) {
  const auto kind = CachedKindOf(*manifest.object);
  if (!kind) {
    return std::optional<ClusterObject>();
  }
  const rapidjson::Value* json = manifest.object;
  rapidjson::Document copy;
  const auto metadata = json->FindMember("metadata");
  const bool has_metadata = metadata != json->MemberEnd() && metadata->value.IsObject();
  if (!ClusterScoped(*kind) && has_metadata && !metadata->value.HasMember("namespace")) {
    copy.CopyFrom(*json, copy.GetAllocator());
    copy["metadata"].AddMember("namespace",
                               rapidjson::Value(default_namespace.c_str(), copy.GetAllocator()),
                               copy.GetAllocator());
    json = &copy;
  }
  auto decoded = DecodeClusterObject(*kind, *json);
  if (!decoded) {
    Error error = decoded.error();
    error.file = manifest.file;
    error.line = manifest.line;
    error.column = 0;
    return error;
  }
  return std::optional<ClusterObject>(*std::move(decoded));
}

}  // namespace

Result<std::unique_ptr<ClusterCache>> ClusterOfManifests(
    const std::vector<ManifestObject>& state, const std::vector<ManifestObject>& manifests,
    const std::string& default_namespace, Undecodable undecodable) {
  std::map<ClusterKind, std::vector<ClusterObject>> by_kind;
  for (const auto* objects : {&state, &manifests}) {
    for (const ManifestObject& manifest : *objects) {
      auto object = ToClusterObject(manifest, default_namespace);
      if (!object) {
        if (undecodable == Undecodable::kLeaveOut) {
          continue;
        }
        return object.error();
      }
      if (*object) {
        by_kind[(*object)->kind].push_back(std::move(**object));
      }
    }
  }
  auto cache = std::make_unique<ClusterCache>();
  // Every kind is listed, the policy kinds too: what the files hold is all there is.
  const auto list = [&](const auto& kinds) {
    for (const ClusterKind kind : kinds) {
      cache->Replace(kind, std::move(by_kind[kind]));
    }
  };
  list(kClusterKinds);
  list(kClusterPolicyKinds);
  return cache;
}

bool CheckReport::Denied() const {
  return std::any_of(objects.begin(), objects.end(),
                     [](const ObjectReport& object) { return object.evaluation.Denied(); });
}

Result<CheckReport> RunCheck(const RuleSet& rules, const CheckOptions& options) {
  const std::vector<ManifestObject>* manifests = &options.manifests;
  const std::vector<ManifestObject>* state = &options.cluster_state;
  CheckReport report;
  std::vector<Object> objects;
  for (const ManifestObject& manifest : *manifests) {
    Result<Object> object = DecodeObject(*manifest.object, options.default_namespace);
    if (!object) {
      // The decoder knows the field; the manifest knows where the object starts.
      Error error = object.error();
      error.file = manifest.file;
      error.line = manifest.line;
      error.column = 0;
      return error;
    }
    ObjectReport entry;
    entry.file = manifest.file;
    entry.line = manifest.line;
    entry.description = object->Describe();
    entry.inspected = !std::holds_alternative<std::monostate>(object->content);
    entry.api_version = object->api_version;
    entry.kind = object->kind;
    entry.namespace_name = object->metadata.namespace_name;
    entry.name = object->metadata.name;
    report.objects.push_back(std::move(entry));
    objects.push_back(*std::move(object));
  }
  auto cluster = ClusterOfManifests(*state, *manifests, options.default_namespace);
  if (!cluster) {
    return cluster.error();
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    ObjectReport& entry = report.objects[i];
    if (!entry.inspected) {
      continue;
    }
    // Offline, every object is judged as if `kubectl apply` were creating it.
    CheckContext context;
    context.operation = Operation::kCreate;
    context.cluster = cluster->get();
    entry.evaluation = Evaluate(rules, objects[i], context);
    if (options.use_exceptions) {
      ApplyExceptions(entry.evaluation, rules.exceptions(), objects[i], options.now);
    }
  }
  return report;
}

std::vector<ExceptionStatus> DescribeExceptions(const RuleSet& rules, TimePoint now,
                                                int warning_days, const CheckReport* report) {
  std::vector<ExceptionStatus> statuses;
  for (const RuleException& exception : rules.exceptions()) {
    ExceptionStatus& status = statuses.emplace_back();
    status.exception = &exception;
    status.state = StateAt(exception, now, warning_days);
    status.days_left = DaysLeft(exception.expires, now);
    if (report == nullptr) {
      continue;
    }
    status.covered_objects = static_cast<int>(
        std::count_if(report->objects.begin(), report->objects.end(), [&](const ObjectReport& o) {
          const auto exempted = o.evaluation.Exempted();
          return std::any_of(exempted.begin(), exempted.end(), [&](const Finding* finding) {
            return finding->exemption->exception == exception.name;
          });
        }));
  }
  return statuses;
}

}  // namespace netadmit
