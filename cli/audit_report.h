#pragma once

// How `netadmit audit` shows its report: text grouped by namespace, JSON with the PolicyReport
// result fields, and the PolicyReport objects themselves.

#include <string>

#include "netadmit/rules/audit.h"
#include "netadmit/rules/policy_report.h"

namespace netadmit::cli {

// By namespace (the cluster as a whole first), worst first, then a summary line.
std::string RenderAuditText(const AuditReport& report);

// AuditResultsJson, pretty.
std::string RenderAuditJson(const AuditReport& report);

// The report objects of PolicyReports, as a v1 List.
std::string RenderPolicyReports(const AuditReport& report, ReportApi api, int max_results,
                                long long timestamp);

}  // namespace netadmit::cli
