#pragma once

// The audit's report as JSON: its results with the field names of the PolicyReport API
// (wgpolicyk8s.io), and the PolicyReport objects `netadmit audit -o policyreport` prints and
// `netadmit serve` writes.

#include <string>
#include <vector>

#include "netadmit/rules/audit.h"

namespace netadmit {

// {"results": [{"policy", "rule", "result", "severity", "message",
//               "resource": {apiVersion, kind, namespace, name, uid},
//               "properties": {"action", "path"}}],
//  "summary": {"pass", "fail", "warn", "error", "skip"}}
std::string AuditResultsJson(const AuditReport& report);

// The report API a reader of PolicyReports finds them in.
enum class ReportApi {
  kWgPolicy,     // wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport
  kOpenReports,  // openreports.io/v1alpha1 Report and ClusterReport
};

// One report object, as compact JSON.
struct ReportObject {
  std::string namespace_name;  // empty: the cluster-scoped report
  std::string json;
};

// One report named netadmit-audit per namespace with results or passes (a Namespace's own
// results go into its namespace's report), and one cluster-scoped report for the results about
// the cluster as a whole; at most `max_results` results each, worst first, with how many were
// left out in the annotation netadmit.io/results-left-out. `timestamp` (seconds since the epoch)
// on each result. Sorted by namespace, the cluster-scoped report first.
std::vector<ReportObject> PolicyReports(const AuditReport& report, ReportApi api, int max_results,
                                        long long timestamp);

}  // namespace netadmit
