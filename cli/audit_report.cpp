#include "cli/audit_report.h"

#include <rapidjson/document.h>

#include <string>

#include "cli/json_output.h"

namespace netadmit::cli {

namespace {

std::string Describe(const AuditedObject& object) {
  return object.kind.empty() ? std::string("(the cluster)") : object.kind + "/" + object.name;
}

// The compact JSON `text` as every command prints JSON: pretty, two spaces, a newline.
std::string Pretty(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  JsonOutput output;
  document.Accept(output.writer);
  return output.Text();
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
    out += "  " + outcome + ' ' + Describe(result.resource) + ": " + result.message +
           (result.exception.empty() ? "" : " (exempt: exception " + result.exception + ")") + '\n';
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

std::string RenderAuditJson(const AuditReport& report) { return Pretty(AuditResultsJson(report)); }

std::string RenderPolicyReports(const AuditReport& report, ReportApi api, int max_results,
                                long long timestamp) {
  std::string list = R"({"apiVersion": "v1", "kind": "List", "items": [)";
  bool first = true;
  for (const ReportObject& object : PolicyReports(report, api, max_results, timestamp)) {
    list += (first ? "" : ",") + object.json;
    first = false;
  }
  return Pretty(list + "]}");
}

}  // namespace netadmit::cli
