// Discovery of the cluster-scoped network policies without a network: the APIGroup and
// APIResourceList bodies recorded from kube-apiserver v1.28 with the test CRDs installed, the
// version each kind is read at, malformed bodies, the paths of the chosen resources and the kinds
// the audit lists.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kube/discovery.h"
#include "tests/support/files.h"

namespace netadmit::kube {
namespace {

std::string Recorded(const std::string& name) {
  return testing::Fixture("apiserver-v1.28-discovery/" + name);
}

using Versions = std::vector<std::string>;

TEST(KubeDiscoveryTest, ReadsTheRecordedGroupAndResourceLists) {
  auto versions = ParseApiGroupVersions(Recorded("group-policy-networking.body"));
  ASSERT_TRUE(versions.ok()) << versions.error().ToString();
  EXPECT_EQ(*versions, (Versions{"v1beta1", "v1alpha2", "v1alpha1"}));

  auto v1alpha1 = ParseApiResources(Recorded("resources-v1alpha1.body"));
  ASSERT_TRUE(v1alpha1.ok()) << v1alpha1.error().ToString();
  // The /status subresources that follow each resource are left out.
  EXPECT_EQ(*v1alpha1, (Versions{"adminnetworkpolicies", "baselineadminnetworkpolicies"}));
  for (const char* version : {"v1alpha2", "v1beta1"}) {
    auto resources = ParseApiResources(Recorded(std::string("resources-") + version + ".body"));
    ASSERT_TRUE(resources.ok()) << version;
    EXPECT_EQ(*resources, (Versions{"clusternetworkpolicies"})) << version;
  }
}

TEST(KubeDiscoveryTest, EachKindIsReadAtItsVersion) {
  struct Case {
    const char* name;
    ServedVersions served;
    std::vector<Resource> expected;
  };
  const Resource anp{ClusterKind::kAdminNetworkPolicy, "", "", "v1alpha1"};
  const Resource banp{ClusterKind::kBaselineAdminNetworkPolicy, "", "", "v1alpha1"};
  const Resource cnp_beta{ClusterKind::kClusterNetworkPolicy, "", "", "v1beta1"};
  const Resource cnp_alpha{ClusterKind::kClusterNetworkPolicy, "", "", "v1alpha2"};
  const std::vector<Case> cases = {
      {"nothing served", {}, {}},
      {"everything, as recorded",
       {{"v1alpha1", {"adminnetworkpolicies", "baselineadminnetworkpolicies"}},
        {"v1alpha2", {"clusternetworkpolicies"}},
        {"v1beta1", {"clusternetworkpolicies"}}},
       {anp, banp, cnp_beta}},
      {"ClusterNetworkPolicy at v1alpha2 only",
       {{"v1alpha2", {"clusternetworkpolicies"}}},
       {cnp_alpha}},
      {"ClusterNetworkPolicy at v1beta1 only",
       {{"v1beta1", {"clusternetworkpolicies"}}},
       {cnp_beta}},
      {"only the baseline CRD", {{"v1alpha1", {"baselineadminnetworkpolicies"}}}, {banp}},
      // A kind at a version netadmit does not read is not read at all.
      {"AdminNetworkPolicy at a version not read",
       {{"v1alpha2", {"adminnetworkpolicies"}}, {"v1beta1", {"adminnetworkpolicies"}}},
       {}},
      {"a version with no resources", {{"v1alpha1", {}}}, {}},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(ChooseClusterPolicyResources(test.served), test.expected) << test.name;
  }
  EXPECT_TRUE(ReadsPolicyVersion("v1alpha1"));
  EXPECT_TRUE(ReadsPolicyVersion("v1alpha2"));
  EXPECT_TRUE(ReadsPolicyVersion("v1beta1"));
  EXPECT_FALSE(ReadsPolicyVersion("v1"));
  EXPECT_FALSE(ReadsPolicyVersion(""));
}

TEST(KubeDiscoveryTest, MalformedBodiesAreErrorsNamingTheField) {
  struct Case {
    const char* body;
    bool group;  // an APIGroup, else an APIResourceList
    const char* path;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"404 page not found\n", true, "", "the APIGroup is not a JSON object"},
      {"[]", false, "", "the APIResourceList is not a JSON object"},
      {R"({"kind":"Status","code":404})", true, "kind", "the APIGroup: expected \"APIGroup\""},
      {R"({"kind":"APIGroup","versions":{}})", true, "versions", "expected a list"},
      {R"({"kind":"APIGroup","versions":[{"groupVersion":"g/v1"}]})", true, "versions[0].version",
       "expected a string"},
      {R"({"kind":"APIResourceList","resources":[{"name":"a"},{"name":7}]})", false,
       "resources[1].name", "expected a string"},
      {R"({"kind":"APIResourceList","resources":["adminnetworkpolicies"]})", false,
       "resources[0].name", "expected a string"},
  };
  for (const Case& test : cases) {
    auto names = test.group ? ParseApiGroupVersions(test.body) : ParseApiResources(test.body);
    ASSERT_FALSE(names.ok()) << test.body;
    EXPECT_EQ(names.error().path, test.path) << test.body;
    EXPECT_EQ(names.error().message, test.message) << test.body;
  }
  // An empty group or list may leave its list out, or send null.
  EXPECT_EQ(*ParseApiGroupVersions(R"({"kind":"APIGroup","name":"g"})"), Versions{});
  EXPECT_EQ(*ParseApiResources(R"({"kind":"APIResourceList","resources":null})"), Versions{});
}

TEST(KubeDiscoveryTest, ChosenResourcesAreListedAndWatchedAtTheirVersion) {
  const Resource cnp{ClusterKind::kClusterNetworkPolicy, "", "", "v1alpha2"};
  EXPECT_EQ(ListTarget(cnp, 500, ""),
            "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies?limit=500");
  EXPECT_EQ(WatchTarget(cnp, "7", 0),
            "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies?watch=1"
            "&resourceVersion=7&allowWatchBookmarks=true");
  // Without a version, the kind's preferred one.
  EXPECT_EQ(ListTarget(Resource{ClusterKind::kClusterNetworkPolicy, "", ""}, 0, ""),
            "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies");
  EXPECT_EQ(ListTarget(Resource{ClusterKind::kBaselineAdminNetworkPolicy, "", ""}, 0, ""),
            "/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies");
  EXPECT_EQ(PolicyGroupPath(), "/apis/policy.networking.k8s.io");
  EXPECT_EQ(PolicyVersionPath("v1beta1"), "/apis/policy.networking.k8s.io/v1beta1");
}

// The paths of AuditedKinds() that the audit lists with `cluster_policies` served.
std::vector<std::string> Listed(const std::vector<Resource>& cluster_policies) {
  std::vector<std::string> paths;
  for (const AuditedKind& kind : AuditedKinds()) {
    if (AuditLists(kind, cluster_policies)) {
      paths.emplace_back(kind.path);
    }
  }
  return paths;
}

TEST(KubeDiscoveryTest, TheAuditListsOnlyTheServedPolicyKindsAtTheirVersion) {
  const std::vector<std::string> none = Listed({});
  EXPECT_EQ(none.size(), 10u);  // Namespaces, NetworkPolicies, the pod controllers and Pods
  for (const std::string& path : none) {
    EXPECT_EQ(path.find("policy.networking.k8s.io"), std::string::npos) << path;
  }
  const std::vector<std::string> some =
      Listed({Resource{ClusterKind::kAdminNetworkPolicy, "", "", "v1alpha1"},
              Resource{ClusterKind::kClusterNetworkPolicy, "", "", "v1alpha2"}});
  // The kinds every cluster serves first, as before; then ClusterNetworkPolicy once, at the
  // version discovery chose, so that its objects are judged once.
  EXPECT_EQ(std::vector<std::string>(some.begin(), some.begin() + 10), none);
  EXPECT_EQ(
      std::vector<std::string>(some.begin() + 10, some.end()),
      (std::vector<std::string>{"/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies",
                                "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies"}));
}

}  // namespace
}  // namespace netadmit::kube
