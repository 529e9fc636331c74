#pragma once

// API discovery for the kinds a cluster may or may not serve: the cluster-scoped network
// policies of SIG Network's network-policy-api (group policy.networking.k8s.io) exist only while
// their CustomResourceDefinitions are installed, and at versions that change as the API
// matures. Discovery says which are served, and at which version netadmit reads each:
//
//   GET /apis/policy.networking.k8s.io           an APIGroup with its versions; 404: no CRD at all
//   GET /apis/policy.networking.k8s.io/VERSION   an APIResourceList; 404: that version is gone
//
// AdminNetworkPolicy and BaselineAdminNetworkPolicy are read at v1alpha1; ClusterNetworkPolicy at
// v1beta1 when served, else at v1alpha2 (the two share one schema). Everything here is pure and
// parses untrusted bytes into values or Errors; the requests are the Watcher's (watcher.h).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kube/protocol.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/audit.h"

namespace netadmit::kube {

// "/apis/policy.networking.k8s.io": the group's discovery document.
std::string PolicyGroupPath();
// "/apis/policy.networking.k8s.io/VERSION": one version's resources.
std::string PolicyVersionPath(std::string_view version);

// The versions an APIGroup body names (`versions[].version`), in its order.
Result<std::vector<std::string>> ParseApiGroupVersions(std::string_view body);
// The resources an APIResourceList body names (`resources[].name`), subresources such as
// "adminnetworkpolicies/status" left out.
Result<std::vector<std::string>> ParseApiResources(std::string_view body);

// What discovery found: the resources served at each version of the group that netadmit reads
// (a version it does not read is never asked about, and is absent here).
using ServedVersions = std::map<std::string, std::vector<std::string>, std::less<>>;

// Whether some cluster-scoped policy kind is read at `version` (PolicyVersions): the versions
// worth asking about.
bool ReadsPolicyVersion(std::string_view version);

// The cluster-scoped policy kinds to list and watch, each at the version it is read at, in
// kClusterPolicyKinds order; a kind served at no version netadmit reads is left out.
std::vector<Resource> ChooseClusterPolicyResources(const ServedVersions& served);

// Whether the audit lists `kind`: every kind every cluster serves, and a cluster-scoped policy
// kind where `cluster_policies` (ChooseClusterPolicyResources's answer) reads it at the same
// version, so that a ClusterNetworkPolicy served at two versions is judged once.
bool AuditLists(const AuditedKind& kind, const std::vector<Resource>& cluster_policies);

}  // namespace netadmit::kube
