// The audit's report in JSON: the results with PolicyReport field names, and the PolicyReport
// objects themselves. See policy_report.h.

#include "netadmit/rules/policy_report.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "netadmit/codec/json.h"

namespace netadmit {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteMember(Writer& writer, std::string_view key, std::string_view value) {
  WriteJsonString(writer, key);
  WriteJsonString(writer, value);
}

void WriteMember(Writer& writer, std::string_view key, int value) {
  WriteJsonString(writer, key);
  writer.Int(value);
}

constexpr std::string_view kReportName = "netadmit-audit";

// PolicyReport severities: how much a result matters, by what the rule would do at admission.
const char* Severity(const AuditResult& result) {
  if (!result.action) {
    return "high";  // an object no rule could judge
  }
  switch (*result.action) {
    case Action::kDeny:
      return "high";
    case Action::kWarn:
      return "medium";
    case Action::kAudit:
      return "low";
  }
  return "low";
}

void WriteSummary(Writer& writer, const AuditSummary& summary) {
  WriteJsonString(writer, "summary");
  writer.StartObject();
  WriteMember(writer, "pass", summary.pass);
  WriteMember(writer, "fail", summary.fail);
  WriteMember(writer, "warn", summary.warn);
  WriteMember(writer, "error", summary.error);
  WriteMember(writer, "skip", summary.skip);
  writer.EndObject();
}

void WriteResource(Writer& writer, const AuditedObject& object) {
  writer.StartObject();
  WriteMember(writer, "apiVersion", object.api_version);
  WriteMember(writer, "kind", object.kind);
  if (!object.namespace_name.empty()) {
    WriteMember(writer, "namespace", object.namespace_name);
  }
  WriteMember(writer, "name", object.name);
  if (!object.uid.empty()) {
    WriteMember(writer, "uid", object.uid);
  }
  writer.EndObject();
}

// One result with the PolicyReport field names; `report_form` adds what only the API object
// has (source, scored, timestamp) and writes `resources` as a list.
void WriteResult(Writer& writer, const AuditResult& result, bool report_form, long long timestamp) {
  writer.StartObject();
  if (report_form) {
    WriteMember(writer, "source", "netadmit");
  }
  WriteMember(writer, "policy", result.policy);
  if (!result.rule.empty()) {
    WriteMember(writer, "rule", result.rule);
  }
  WriteMember(writer, "result", AuditOutcomeName(result.result));
  WriteMember(writer, "severity", Severity(result));
  WriteMember(writer, "message", result.message);
  if (!result.resource.kind.empty()) {
    WriteJsonString(writer, report_form ? "resources" : "resource");
    if (report_form) {
      writer.StartArray();
    }
    WriteResource(writer, result.resource);
    if (report_form) {
      writer.EndArray();
    }
  }
  WriteJsonString(writer, "properties");
  writer.StartObject();
  if (result.action) {
    WriteMember(writer, "action", ActionName(*result.action));
  }
  if (!result.path.empty()) {
    WriteMember(writer, "path", result.path);
  }
  if (!result.exception.empty()) {
    WriteMember(writer, "exception", result.exception);
  }
  writer.EndObject();
  if (report_form) {
    WriteJsonString(writer, "scored");
    writer.Bool(true);
    WriteJsonString(writer, "timestamp");
    writer.StartObject();
    WriteJsonString(writer, "seconds");
    writer.Int64(timestamp);
    WriteMember(writer, "nanos", 0);
    writer.EndObject();
  }
  writer.EndObject();
}

void Count(AuditSummary& summary, AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kPass:
      ++summary.pass;
      break;
    case AuditOutcome::kFail:
      ++summary.fail;
      break;
    case AuditOutcome::kWarn:
      ++summary.warn;
      break;
    case AuditOutcome::kError:
      ++summary.error;
      break;
    case AuditOutcome::kSkip:
      ++summary.skip;
      break;
  }
}

}  // namespace

std::string AuditResultsJson(const AuditReport& report) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  WriteJsonString(writer, "results");
  writer.StartArray();
  for (const AuditResult& result : report.results) {
    WriteResult(writer, result, false, 0);
  }
  writer.EndArray();
  WriteSummary(writer, report.summary);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::vector<ReportObject> PolicyReports(const AuditReport& report, ReportApi api, int max_results,
                                        long long timestamp) {
  const bool open_reports = api == ReportApi::kOpenReports;
  const char* api_version = open_reports ? "openreports.io/v1alpha1" : "wgpolicyk8s.io/v1alpha2";
  // The results of each report, in the report's order (worst first within a namespace).
  std::map<std::string, std::vector<const AuditResult*>, std::less<>> by_report;
  for (const AuditResult& result : report.results) {
    by_report[ReportNamespace(result)].push_back(&result);
  }
  for (const auto& [name, passes] : report.pass_by_namespace) {
    by_report[name];  // a namespace with passes only still gets its report
  }
  std::vector<ReportObject> objects;
  for (const auto& [namespace_name, results] : by_report) {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    const bool cluster_scoped = namespace_name.empty();
    AuditSummary summary;
    auto passes = report.pass_by_namespace.find(namespace_name);
    summary.pass = passes == report.pass_by_namespace.end() ? 0 : passes->second;
    for (const AuditResult* result : results) {
      Count(summary, result->result);
    }
    const std::size_t kept = std::min<std::size_t>(results.size(), std::max(max_results, 0));
    writer.StartObject();
    WriteMember(writer, "apiVersion", api_version);
    WriteMember(writer, "kind",
                cluster_scoped ? (open_reports ? "ClusterReport" : "ClusterPolicyReport")
                               : (open_reports ? "Report" : "PolicyReport"));
    WriteJsonString(writer, "metadata");
    writer.StartObject();
    WriteMember(writer, "name", kReportName);
    if (!cluster_scoped) {
      WriteMember(writer, "namespace", namespace_name);
    }
    WriteJsonString(writer, "labels");
    writer.StartObject();
    WriteMember(writer, "app.kubernetes.io/managed-by", "netadmit");
    writer.EndObject();
    if (kept < results.size()) {
      WriteJsonString(writer, "annotations");
      writer.StartObject();
      WriteMember(writer, "netadmit.io/results-left-out", std::to_string(results.size() - kept));
      writer.EndObject();
    }
    writer.EndObject();
    WriteSummary(writer, summary);
    WriteJsonString(writer, "results");
    writer.StartArray();
    for (std::size_t i = 0; i < kept; ++i) {
      WriteResult(writer, *results[i], true, timestamp);
    }
    writer.EndArray();
    writer.EndObject();
    objects.push_back(
        ReportObject{namespace_name, std::string(buffer.GetString(), buffer.GetSize())});
  }
  return objects;
}

}  // namespace netadmit
