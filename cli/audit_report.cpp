#include "cli/audit_report.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "cli/json_output.h"

namespace netadmit::cli {

namespace {

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

std::string Describe(const AuditedObject& object) {
  return object.kind.empty() ? std::string("(the cluster)") : object.kind + "/" + object.name;
}

void WriteSummary(JsonWriter& writer, const AuditSummary& summary) {
  WriteJsonString(writer, "summary");
  writer.StartObject();
  WriteMember(writer, "pass", summary.pass);
  WriteMember(writer, "fail", summary.fail);
  WriteMember(writer, "warn", summary.warn);
  WriteMember(writer, "error", summary.error);
  WriteMember(writer, "skip", summary.skip);
  writer.EndObject();
}

void WriteResource(JsonWriter& writer, const AuditedObject& object) {
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
void WriteResult(JsonWriter& writer, const AuditResult& result, bool report_form,
                 long long timestamp) {
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

std::string RenderAuditText(const AuditReport& report) {
  std::string out;
  const std::string* current = nullptr;
  for (const AuditResult& result : report.results) {
    const std::string& name = ReportNamespace(result);
    if (current == nullptr || *current != name) {
      out += name.empty() ? std::string("cluster\n") : "namespace " + name + '\n';
      current = &name;
    }
    // Outcomes padded to one width ("error" is the longest) so the messages line up.
    std::string outcome = AuditOutcomeName(result.result);
    outcome.resize(5, ' ');
    out += "  " + outcome + ' ' + Describe(result.resource) + ": " + result.message + '\n';
  }
  if (!out.empty()) {
    out += '\n';
  }
  int objects = 0;
  for (const auto& [kind, count] : report.objects_by_kind) {
    objects += count;
  }
  const AuditSummary& summary = report.summary;
  out += std::to_string(objects) + (objects == 1 ? " object" : " objects") +
         " audited: " + std::to_string(summary.fail) + " fail, " + std::to_string(summary.warn) +
         " warn, " + std::to_string(summary.error) + " error, " + std::to_string(summary.skip) +
         " skip, " + std::to_string(summary.pass) + " pass\n";
  return out;
}

std::string RenderAuditJson(const AuditReport& report) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WriteJsonString(writer, "results");
  writer.StartArray();
  for (const AuditResult& result : report.results) {
    WriteResult(writer, result, false, 0);
  }
  writer.EndArray();
  WriteSummary(writer, report.summary);
  writer.EndObject();
  return output.Text();
}

std::string RenderPolicyReports(const AuditReport& report, ReportApi api, int max_results,
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
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WriteMember(writer, "apiVersion", "v1");
  WriteMember(writer, "kind", "List");
  WriteJsonString(writer, "items");
  writer.StartArray();
  for (const auto& [namespace_name, results] : by_report) {
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
  }
  writer.EndArray();
  writer.EndObject();
  return output.Text();
}

}  // namespace netadmit::cli
