// The installation against a real API server: `kubectl apply -k manifests/` is accepted (a
// server-side dry run first, once the namespace exists), and the service account can do exactly
// what docs/operating.md promises, as `kubectl auth can-i` reports it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/e2e/e2e.h"
#include "tests/e2e/netadmit_webhook.h"

namespace netadmit::e2e {
namespace {

using ::testing::HasSubstr;

constexpr const char* kServiceAccount = "system:serviceaccount:netadmit-system:netadmit";

// The resource rows of `kubectl auth can-i --list` ("pods [get list watch]"), without the
// non-resource URLs.
std::set<std::string> ResourceRights(const std::string& user, const std::string& namespace_name) {
  const std::string table =
      SharedCluster().KubectlOk({"auth", "can-i", "--list", "--as", user, "-n", namespace_name});
  std::set<std::string> rights;
  std::istringstream lines(table);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream columns(line);
    std::string resource;
    if (line.empty() || line[0] == ' ' || !(columns >> resource)) {
      continue;  // a non-resource URL row
    }
    const auto verbs = line.find('[', line.rfind("[]") + 2);
    rights.insert(resource + " " + line.substr(verbs, line.find(']', verbs) - verbs + 1));
  }
  return rights;
}

// What the service account can do beyond what every authenticated identity can.
std::set<std::string> GrantedToNetadmit(const std::string& namespace_name) {
  const std::set<std::string> anyone =
      ResourceRights("system:serviceaccount:netadmit-system:nobody", namespace_name);
  std::set<std::string> granted;
  for (const auto& right : ResourceRights(kServiceAccount, namespace_name)) {
    if (!anyone.contains(right)) {
      granted.insert(right);
    }
  }
  return granted;
}

bool CanI(const std::string& verb, const std::string& resource, const std::string& scope) {
  const testing::RunResult answer =
      SharedCluster().Kubectl({"auth", "can-i", verb, resource, "--as", kServiceAccount, scope});
  return answer.exit_code == 0 && answer.out == "yes\n";
}

TEST(InstallE2e, ApplyKustomizeIsAcceptedAndGrantsExactlyThePromisedRights) {
  KubeCluster& cluster = SharedCluster();
  cluster.KubectlOk({"apply", "-f", SourcePath("manifests/base/namespace.yaml")});
  // Every object is new here, so the dry run validates each one as the server would store it.
  const testing::RunResult dry_run =
      cluster.Kubectl({"apply", "-k", SourcePath("manifests"), "--dry-run=server"});
  ASSERT_EQ(dry_run.exit_code, 0) << Printed(dry_run);
  EXPECT_THAT(dry_run.out, HasSubstr("validatingwebhookconfiguration.admissionregistration.k8s.io/"
                                     "netadmit created (server dry run)"));
  EXPECT_THAT(dry_run.out, HasSubstr("deployment.apps/netadmit created (server dry run)"));

  const testing::RunResult applied = cluster.Kubectl({"apply", "-k", SourcePath("manifests")});
  ASSERT_EQ(applied.exit_code, 0) << Printed(applied);
  EXPECT_EQ(cluster.KubectlOk({"-n", "netadmit-system", "get", "configmap", "netadmit-rules", "-o",
                               "jsonpath={.metadata.labels.netadmit\\.io/rule-set}"}),
            "true");
  EXPECT_EQ(cluster.KubectlOk({"get", "validatingwebhookconfiguration", "netadmit", "-o",
                               "jsonpath={.webhooks[*].failurePolicy}"}),
            "Fail Fail");

  // docs/operating.md: get, list and watch of NetworkPolicies, Namespaces and Pods cluster-wide,
  // and of the cluster-scoped network policies (their CRDs need not be installed), list of the
  // pod controllers, and writes of its own reports only; ConfigMaps and Leases in
  // netadmit-system only; nothing else.
  const std::set<std::string> cluster_wide = {
      "namespaces [get list watch]",
      "pods [get list watch]",
      "networkpolicies.networking.k8s.io [get list watch]",
      "adminnetworkpolicies.policy.networking.k8s.io [get list watch]",
      "baselineadminnetworkpolicies.policy.networking.k8s.io [get list watch]",
      "clusternetworkpolicies.policy.networking.k8s.io [get list watch]",
      "replicationcontrollers [list]",
      "daemonsets.apps [list]",
      "deployments.apps [list]",
      "replicasets.apps [list]",
      "statefulsets.apps [list]",
      "cronjobs.batch [list]",
      "jobs.batch [list]",
      "reports.openreports.io [get list create patch delete]",
      "clusterreports.openreports.io [get list create patch delete]",
      "policyreports.wgpolicyk8s.io [get list create patch delete]",
      "clusterpolicyreports.wgpolicyk8s.io [get list create patch delete]"};
  EXPECT_EQ(GrantedToNetadmit("default"), cluster_wide);
  std::set<std::string> own_namespace = cluster_wide;
  own_namespace.insert("configmaps [get list watch]");
  own_namespace.insert("leases.coordination.k8s.io [get create update]");
  EXPECT_EQ(GrantedToNetadmit("netadmit-system"), own_namespace);

  EXPECT_TRUE(CanI("watch", "networkpolicies.networking.k8s.io", "--all-namespaces"));
  EXPECT_TRUE(CanI("list", "pods", "--all-namespaces"));
  EXPECT_TRUE(CanI("watch", "configmaps", "--namespace=netadmit-system"));
  EXPECT_FALSE(CanI("list", "configmaps", "--namespace=default"));
  EXPECT_FALSE(CanI("get", "secrets", "--namespace=netadmit-system"));
  EXPECT_FALSE(CanI("create", "pods", "--namespace=default"));
  EXPECT_FALSE(CanI("delete", "networkpolicies.networking.k8s.io", "--namespace=default"));
  EXPECT_FALSE(CanI("update", "leases.coordination.k8s.io", "--namespace=default"));
  EXPECT_FALSE(CanI("get", "deployments.apps", "--namespace=default"));
  EXPECT_FALSE(CanI("patch", "validatingwebhookconfigurations.admissionregistration.k8s.io",
                    "--all-namespaces"));
}

}  // namespace
}  // namespace netadmit::e2e
