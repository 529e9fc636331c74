// `netadmit audit`'s renderings: the text report, the JSON with PolicyReport field names, and the
// PolicyReport objects (per namespace, bounded, both report APIs).

#include "cli/audit_report.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

namespace netadmit::cli {
namespace {

AuditResult Result(AuditOutcome outcome, std::optional<Action> action, std::string kind,
                   std::string ns, std::string name, std::string rule) {
  AuditResult result;
  result.policy = "baseline";
  result.rule = rule;
  result.result = outcome;
  result.action = action;
  result.path = rule.empty() ? "" : "spec";
  result.message = rule.empty() ? "cannot be judged: spec: expected an object"
                                : "[" + rule + "] problem at spec — fix";
  result.resource = AuditedObject{"v1", std::move(kind), std::move(ns), std::move(name), "u-1"};
  return result;
}

AuditReport SampleReport() {
  AuditReport report;
  AuditResult flows = Result(AuditOutcome::kFail, Action::kDeny, "", "", "", "flows");
  flows.resource = AuditedObject{};
  report.results = {
      flows,
      Result(AuditOutcome::kFail, Action::kDeny, "Pod", "shop", "host", "no-host-network"),
      Result(AuditOutcome::kError, std::nullopt, "Pod", "shop", "broken", ""),
      Result(AuditOutcome::kWarn, Action::kAudit, "Namespace", "", "shop", "default-deny"),
  };
  report.summary = AuditSummary{7, 2, 1, 1, 0};
  report.objects_by_kind = {{"Pod", 5}, {"Namespace", 1}};
  report.pass_by_namespace = {{"shop", 6}, {"", 1}};
  return report;
}

TEST(AuditReportTest, TextGroupsByNamespaceWorstFirst) {
  EXPECT_EQ(RenderAuditText(SampleReport()),
            "cluster\n"
            "  fail  (the cluster): [flows] problem at spec — fix\n"
            "namespace shop\n"
            "  fail  Pod/host: [no-host-network] problem at spec — fix\n"
            "  error Pod/broken: cannot be judged: spec: expected an object\n"
            "  warn  Namespace/shop: [default-deny] problem at spec — fix\n"
            "\n"
            "6 objects audited: 2 fail, 1 warn, 1 error, 0 skip, 7 pass\n");
}

TEST(AuditReportTest, JsonUsesThePolicyReportFieldNames) {
  rapidjson::Document json;
  json.Parse(RenderAuditJson(SampleReport()).c_str());
  ASSERT_FALSE(json.HasParseError());
  const auto& host = json["results"][1];
  EXPECT_STREQ(host["policy"].GetString(), "baseline");
  EXPECT_STREQ(host["rule"].GetString(), "no-host-network");
  EXPECT_STREQ(host["result"].GetString(), "fail");
  EXPECT_STREQ(host["severity"].GetString(), "high");
  EXPECT_STREQ(host["resource"]["namespace"].GetString(), "shop");
  EXPECT_STREQ(host["resource"]["uid"].GetString(), "u-1");
  EXPECT_STREQ(host["properties"]["action"].GetString(), "deny");
  EXPECT_STREQ(host["properties"]["path"].GetString(), "spec");
  EXPECT_FALSE(json["results"][0].HasMember("resource"));  // the cluster as a whole
  EXPECT_FALSE(json["results"][2].HasMember("rule"));      // an object no rule could judge
  EXPECT_STREQ(json["results"][3]["severity"].GetString(), "low");
  EXPECT_EQ(json["summary"]["pass"].GetInt(), 7);
  EXPECT_EQ(json["summary"]["error"].GetInt(), 1);
}

TEST(AuditReportTest, OnePolicyReportPerNamespaceAndOneForTheCluster) {
  rapidjson::Document list;
  list.Parse(RenderPolicyReports(SampleReport(), ReportApi::kWgPolicy, 1000, 1700000000).c_str());
  ASSERT_FALSE(list.HasParseError());
  ASSERT_EQ(list["items"].Size(), 2u);
  const auto& cluster = list["items"][0];
  EXPECT_STREQ(cluster["kind"].GetString(), "ClusterPolicyReport");
  EXPECT_STREQ(cluster["apiVersion"].GetString(), "wgpolicyk8s.io/v1alpha2");
  EXPECT_FALSE(cluster["metadata"].HasMember("namespace"));
  const auto& shop = list["items"][1];
  EXPECT_STREQ(shop["kind"].GetString(), "PolicyReport");
  EXPECT_STREQ(shop["metadata"]["name"].GetString(), "netadmit-audit");
  EXPECT_STREQ(shop["metadata"]["namespace"].GetString(), "shop");
  EXPECT_STREQ(shop["metadata"]["labels"]["app.kubernetes.io/managed-by"].GetString(), "netadmit");
  EXPECT_EQ(shop["summary"]["pass"].GetInt(), 6);
  EXPECT_EQ(shop["summary"]["fail"].GetInt(), 1);
  EXPECT_EQ(shop["summary"]["warn"].GetInt(), 1);
  ASSERT_EQ(shop["results"].Size(), 3u);
  const auto& first = shop["results"][0];
  EXPECT_STREQ(first["source"].GetString(), "netadmit");
  EXPECT_STREQ(first["resources"][0]["name"].GetString(), "host");
  EXPECT_EQ(first["timestamp"]["seconds"].GetInt64(), 1700000000);
}

TEST(AuditReportTest, ReportsKeepTheWorstResultsAndSayHowManyWereLeftOut) {
  rapidjson::Document list;
  list.Parse(RenderPolicyReports(SampleReport(), ReportApi::kOpenReports, 1, 0).c_str());
  ASSERT_FALSE(list.HasParseError());
  const auto& shop = list["items"][1];
  EXPECT_STREQ(shop["apiVersion"].GetString(), "openreports.io/v1alpha1");
  EXPECT_STREQ(shop["kind"].GetString(), "Report");
  EXPECT_STREQ(list["items"][0]["kind"].GetString(), "ClusterReport");
  ASSERT_EQ(shop["results"].Size(), 1u);
  EXPECT_STREQ(shop["results"][0]["result"].GetString(), "fail");
  EXPECT_STREQ(shop["metadata"]["annotations"]["netadmit.io/results-left-out"].GetString(), "2");
  EXPECT_EQ(shop["summary"]["warn"].GetInt(), 1);  // the summary counts every result
}

}  // namespace
}  // namespace netadmit::cli
