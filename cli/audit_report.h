#pragma once

// How `netadmit audit` shows its report: text grouped by namespace, JSON with the PolicyReport
// result fields, and the PolicyReport objects themselves.

#include <string>

#include "netadmit/rules/audit.h"

namespace netadmit::cli {

// By namespace (the cluster as a whole first), worst first, then a summary line.
std::string RenderAuditText(const AuditReport& report);

// {"results": [{"policy", "rule", "result", "severity", "message",
//               "resource": {apiVersion, kind, namespace, name, uid},
//               "properties": {"action", "path"}}],
//  "summary": {"pass", "fail", "warn", "error", "skip"}}
std::string RenderAuditJson(const AuditReport& report);

// The report API a reader of PolicyReports finds them in.
enum class ReportApi {
  kWgPolicy,     // wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport
  kOpenReports,  // openreports.io/v1alpha1 Report and ClusterReport
};

// A v1 List of the report objects: one named netadmit-audit per namespace with results (a
// Namespace's own results go into its namespace's report) and one cluster-scoped report for the
// results about the cluster as a whole; at most `max_results` results each, worst first, with
// how many were left out in an annotation. `timestamp` (seconds since the epoch) on each result.
std::string RenderPolicyReports(const AuditReport& report, ReportApi api, int max_results,
                                long long timestamp);

}  // namespace netadmit::cli
