// The audit of what exists: every object judged by every rule whatever its action, results named
// as in PolicyReport, owned objects left to their controllers, namespace-level findings once per
// namespace, undecodable objects as errors, and Flows over the whole cluster.

#include "netadmit/rules/audit.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "netadmit/codec/manifest.h"
#include "netadmit/rules/check.h"
#include "netadmit/rules/policy_report.h"

namespace netadmit {
namespace {

constexpr const char* kRules = R"(apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: baseline}
spec:
  rules:
    - {id: no-host-network, kind: NoHostNetwork, action: deny}
    - {id: no-open-egress, kind: NoOpenEgress, action: warn}
    - {id: default-deny, kind: RequireDefaultDeny, action: audit}
    - id: flows
      kind: Flows
      action: deny
      params:
        forbid:
          - from: {namespaceSelector: {matchLabels: {env: dev}}}
            to: {namespaceSelector: {matchLabels: {env: prod}}}
            ports: ["5432/TCP"]
)";

std::shared_ptr<const RuleSet> Rules() {
  const RuleSource source{"rules.yaml", kRules};
  auto rules = LoadRuleSet(std::span<const RuleSource>(&source, 1));
  EXPECT_TRUE(rules.ok()) << rules.error().ToString();
  return rules.ok() ? *rules : nullptr;
}

std::vector<ManifestObject> Manifests(const std::string& text) {
  auto parsed = ParseManifests("cluster.yaml", text);
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  return parsed.ok() ? *std::move(parsed) : std::vector<ManifestObject>{};
}

// Audits every object of `text`, with `text` as the cluster.
AuditReport AuditOf(const std::string& text, bool with_cluster_rules = false) {
  const auto rules = Rules();
  const std::vector<ManifestObject> objects = Manifests(text);
  auto cluster = ClusterOfManifests({}, objects, "default", Undecodable::kLeaveOut);
  EXPECT_TRUE(cluster.ok());
  Audit audit(*rules, **cluster);
  for (const ManifestObject& object : objects) {
    audit.Judge(*object.object);
  }
  if (with_cluster_rules) {
    audit.JudgeCluster();
  }
  return audit.Finish();
}

std::vector<std::string> Lines(const AuditReport& report) {
  std::vector<std::string> lines;
  for (const AuditResult& result : report.results) {
    lines.push_back(std::string(AuditOutcomeName(result.result)) + " " + result.resource.kind +
                    " " + result.resource.namespace_name + "/" + result.resource.name + " " +
                    result.rule);
  }
  return lines;
}

constexpr const char* kNamespaces = R"(apiVersion: v1
kind: Namespace
metadata: {name: shop, uid: ns-uid-1}
---
)";

TEST(AuditTest, ResultsFollowTheRulesActionAndPassesAreCounted) {
  const AuditReport report = AuditOf(std::string(kNamespaces) + R"(
apiVersion: v1
kind: Pod
metadata: {name: host, namespace: shop, uid: pod-uid-1}
spec: {hostNetwork: true, containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress: [{}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
)");
  EXPECT_EQ(Lines(report), (std::vector<std::string>{
                               "fail Pod shop/host no-host-network",
                               "warn NetworkPolicy shop/open no-open-egress",
                           }));
  EXPECT_EQ(report.summary.fail, 1);
  EXPECT_EQ(report.summary.warn, 1);
  // no-open-egress passes the default-deny; default-deny passes once, on the Namespace. Flows is
  // asked of no object: it judges the whole cluster once (JudgeCluster, not run here).
  EXPECT_EQ(report.summary.pass, 2);
  EXPECT_TRUE(report.Failed());
  const AuditResult& fail = report.results[0];
  EXPECT_EQ(fail.policy, "baseline");
  EXPECT_EQ(fail.resource.uid, "pod-uid-1");
  EXPECT_EQ(fail.path, "spec.hostNetwork");
  EXPECT_EQ(fail.message.rfind("[no-host-network] ", 0), 0u) << fail.message;
  EXPECT_EQ(fail.action, Action::kDeny);
  EXPECT_EQ(report.objects_by_kind.at("Pod"), 1);
}

TEST(AuditTest, NamespaceLevelFindingsAreOneResultOnTheNamespace) {
  const AuditReport report = AuditOf(std::string(kNamespaces) + R"(
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
)");
  ASSERT_EQ(Lines(report), (std::vector<std::string>{"warn Namespace /shop default-deny"}));
  EXPECT_EQ(report.results[0].resource.uid, "ns-uid-1");
  EXPECT_EQ(report.results[0].action, Action::kAudit);
  EXPECT_EQ(ReportNamespace(report.results[0]), "shop");
}

TEST(AuditTest, ObjectsControlledByAJudgedKindAreLeftToTheirController) {
  const AuditReport report = AuditOf(R"(
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {hostNetwork: true, containers: []}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1-x
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u, controller: true}]
spec: {hostNetwork: true, containers: []}
---
apiVersion: v1
kind: Pod
metadata:
  name: mirror
  namespace: shop
  ownerReferences: [{apiVersion: v1, kind: Node, name: node-1, uid: u, controller: true}]
spec: {hostNetwork: true, containers: []}
---
apiVersion: v1
kind: Pod
metadata:
  name: not-controlled
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u}]
spec: {hostNetwork: true, containers: []}
)");
  // A Node's mirror pod and a pod whose owner is not its controller are judged.
  std::vector<std::string> failed;
  for (const AuditResult& result : report.results) {
    if (result.result == AuditOutcome::kFail) {
      failed.push_back(result.resource.name);
    }
  }
  EXPECT_EQ(failed, (std::vector<std::string>{"mirror", "not-controlled"}));
  EXPECT_EQ(report.objects_by_kind.count("ReplicaSet"), 0u);
}

TEST(AuditTest, AnObjectThatDoesNotDecodeIsOneErrorAndTheAuditGoesOn) {
  const AuditReport report = AuditOf(R"(
apiVersion: v1
kind: Pod
metadata: {name: broken, namespace: shop}
spec: {hostNetwork: "yes", containers: []}
---
apiVersion: v1
kind: Pod
metadata: {name: host, namespace: shop}
spec: {hostNetwork: true, containers: []}
)");
  ASSERT_EQ(report.summary.error, 1);
  EXPECT_EQ(report.summary.fail, 1);
  const AuditResult& error = report.results[1];
  EXPECT_EQ(error.result, AuditOutcome::kError);
  EXPECT_EQ(error.resource.name, "broken");
  EXPECT_FALSE(error.action.has_value());
  EXPECT_NE(error.message.find("spec.hostNetwork"), std::string::npos) << error.message;
}

TEST(AuditTest, ListItemsTakeTheirTypeFromTheList) {
  const auto rules = Rules();
  ClusterCache cluster;
  Audit audit(*rules, cluster);
  rapidjson::Document item;
  item.Parse(R"({"metadata": {"name": "p", "namespace": "shop"},
                 "spec": {"hostNetwork": true, "containers": []}})");
  const TypeMeta pod{"v1", "Pod"};
  audit.Judge(item, &pod);
  audit.Judge(item);  // without a type it is nothing the audit judges
  const AuditReport report = audit.Finish();
  // Nothing in the (empty) cluster view isolates shop: its Namespace gets the default-deny result.
  EXPECT_EQ(Lines(report), (std::vector<std::string>{"fail Pod shop/p no-host-network",
                                                     "warn Namespace /shop default-deny"}));
}

TEST(AuditTest, ClusterScopedPoliciesAreInNoNamespaceAndReportedClusterWide) {
  const auto rules = Rules();
  ClusterCache cluster;
  Audit audit(*rules, cluster);
  const TypeMeta admin{"policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"};
  const TypeMeta cluster_policy{"policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy"};
  rapidjson::Document good;
  good.Parse(R"({"metadata": {"name": "deny-dev", "namespace": "ignored"},
                 "spec": {"priority": 10, "subject": {"namespaces": {}}}})");
  rapidjson::Document broken;
  broken.Parse(R"({"metadata": {"name": "broken"},
                   "spec": {"priority": "high", "subject": {"namespaces": {}}}})");
  rapidjson::Document tiered;
  tiered.Parse(R"({"metadata": {"name": "pass-dns"},
                   "spec": {"tier": "Admin", "priority": 5, "subject": {"namespaces": {}}}})");
  audit.Judge(good, &admin);
  audit.Judge(broken, &admin);
  audit.Judge(tiered, &cluster_policy);
  const AuditReport report = audit.Finish();
  EXPECT_EQ(report.objects_by_kind.at("AdminNetworkPolicy"), 2);
  EXPECT_EQ(report.objects_by_kind.at("ClusterNetworkPolicy"), 1);
  ASSERT_EQ(report.summary.error, 1);
  // Not in the "default" namespace an object without one is put in: in none.
  EXPECT_EQ(Lines(report), std::vector<std::string>{"error AdminNetworkPolicy /broken "});
  const std::vector<ReportObject> reports = PolicyReports(report, ReportApi::kWgPolicy, 100, 0);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].namespace_name, "");
  EXPECT_NE(reports[0].json.find(R"("kind":"ClusterPolicyReport")"), std::string::npos)
      << reports[0].json;
}

TEST(AuditTest, FlowsAreJudgedOnceOverTheWholeCluster) {
  const std::string cluster = R"(
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {env: dev}}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: prod}}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: dev}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod}
spec: {containers: [{name: c, image: x}]}
)";
  // Nothing isolates prod/db: the forbidden flow is open, and it is one cluster-wide result.
  AuditReport report = AuditOf(cluster, true);
  ASSERT_FALSE(report.results.empty());
  const AuditResult& open = report.results.front();
  EXPECT_EQ(open.rule, "flows");
  EXPECT_EQ(open.result, AuditOutcome::kFail);
  EXPECT_TRUE(open.resource.kind.empty());
  EXPECT_EQ(open.path, "spec.rules[3].params.forbid[0]");
  EXPECT_NE(open.message.find("dev/app -> prod/db on 5432/TCP"), std::string::npos) << open.message;
  // Only there: the pods are not judged one by one as if each had just been created.
  for (const AuditResult& result : report.results) {
    if (result.rule == "flows") {
      EXPECT_TRUE(result.resource.kind.empty()) << result.resource.kind << ' ' << result.message;
    }
  }

  // A default-deny in prod closes it.
  const std::string closed = cluster + R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: prod}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
)";
  report = AuditOf(closed, true);
  for (const AuditResult& result : report.results) {
    EXPECT_NE(result.rule, "flows") << result.message;
  }
  const AuditReport without_cluster_rules = AuditOf(closed, false);
  // That pass counts once in the summary: the same cluster without the whole-cluster judgement
  // has one pass fewer.
  EXPECT_EQ(report.summary.pass, without_cluster_rules.summary.pass + 1);
}

TEST(AuditTest, AFindingAnExceptionCoversIsASkipUntilItExpires) {
  const TimePoint now = std::chrono::sys_days{std::chrono::year{2027} / 1 / 10};
  const RuleSource source{"rules.yaml", std::string(kRules) + R"(  exceptions:
    - name: legacy-host
      rules: [no-host-*]
      match: {namespaces: [shop], names: ["host*"]}
      expires: 2027-01-31
      owner: team-shop@example.com
      reason: the node agent needs the host network until it is replaced
)"};
  auto rules = LoadRuleSet(std::span<const RuleSource>(&source, 1), LoadLimits{now});
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  const std::vector<ManifestObject> objects = Manifests(R"(
apiVersion: v1
kind: Pod
metadata: {name: host-agent, namespace: shop}
spec: {hostNetwork: true, containers: []}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: shop}
spec: {hostNetwork: true, containers: []}
)");
  auto cluster = ClusterOfManifests({}, objects, "default");
  ASSERT_TRUE(cluster.ok());
  auto audit_at = [&](TimePoint when) {
    Audit audit(**rules, **cluster, when);
    for (const ManifestObject& object : objects) {
      audit.Judge(*object.object);
    }
    return audit.Finish();
  };
  AuditReport report = audit_at(now);
  std::vector<std::string> lines = Lines(report);
  EXPECT_EQ(lines, (std::vector<std::string>{"fail Pod shop/other no-host-network",
                                             "warn Namespace /shop default-deny",
                                             "skip Pod shop/host-agent no-host-network"}));
  EXPECT_EQ(report.summary.skip, 1);
  EXPECT_EQ(report.results[2].exception, "legacy-host");

  // The day after it ends, the finding is a fail again.
  report = audit_at(std::chrono::sys_days{std::chrono::year{2027} / 2 / 1});
  EXPECT_EQ(report.summary.skip, 0);
  EXPECT_EQ(report.summary.fail, 2);
}

}  // namespace
}  // namespace netadmit
