#pragma once

// Decodes Kubernetes objects from JSON (as the API server sends them, or as manifests convert
// to) into the model of model.h. Only the fields rules need are read; each read checks its type,
// so a malformed object yields an Error naming the field path instead of a crash.

#include <rapidjson/document.h>

#include <optional>
#include <string_view>

#include "netadmit/model/model.h"
#include "netadmit/model/result.h"

namespace netadmit {

// Decodes any object. NetworkPolicy (networking.k8s.io/v1), Pod (v1), the pod controllers
// (apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet; batch/v1 Job, CronJob) and the
// cluster-scoped policies (policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and
// BaselineAdminNetworkPolicy, v1alpha2 and v1beta1 ClusterNetworkPolicy) get their content
// decoded; other kinds, and other versions of those, keep only type and metadata. An object
// without metadata.namespace is given `default_namespace`, except the cluster-scoped policies,
// whose namespace is always empty (whatever the manifest says, as kubectl ignores it).
// The cluster policies are checked as their CRDs' schemas check them (required fields, enums,
// ranges, CIDRs, exactly-one-of fields); a peer with none of the fields netadmit knows is one of
// a newer API and decodes as ClusterPeerKind::kUnknown.
Result<Object> DecodeObject(const rapidjson::Value& json, std::string_view default_namespace);

// An object's apiVersion and kind, when they come from elsewhere than the object itself.
struct TypeMeta {
  std::string api_version;
  std::string kind;
};

// DecodeObject for an object of a known type, whatever its own apiVersion and kind say: the items
// of a LIST response carry none, the list names them.
Result<Object> DecodeObjectOfType(const rapidjson::Value& json, const TypeMeta& type,
                                  std::string_view default_namespace);

// The annotation in which client-side `kubectl apply` records the object as the user wrote it.
inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// The object as last written with client-side `kubectl apply`, decoded from its
// last-applied-configuration annotation. nullopt when the object has none, or when the
// annotation does not decode as an object of the same kind and name (a stale or hand-edited
// annotation is not evidence of what was written).
std::optional<Object> DecodeLastApplied(const Object& object);

// The member `key` of `object`, or nullptr when `object` is not an object or the member is
// absent or JSON null (Kubernetes treats null as absent).
const rapidjson::Value* JsonMember(const rapidjson::Value& object, std::string_view key);

// Decodes a metav1.LabelSelector found at `path` (used in errors).
Result<LabelSelector> DecodeLabelSelector(const rapidjson::Value& json, std::string_view path);

}  // namespace netadmit
