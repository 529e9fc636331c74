#pragma once

// The AdmissionReview codec (admission.k8s.io/v1 and v1beta1) and the review itself: decoding
// a request body, deciding with the engine, and encoding the response in the request's
// version. No transport here: the HTTPS server hands bodies in and writes bytes out.

#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/cluster.h"
#include "netadmit/engine.h"
#include "netadmit/model.h"
#include "netadmit/result.h"
#include "netadmit/rule_set.h"

namespace netadmit {

enum class AdmissionVersion { kV1, kV1beta1 };

struct GroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
};

// A decoded AdmissionReview request. `object` and `old_object` point into `document` and are
// null when the request carries none (null in JSON). The document was parsed in place: its strings
// point into `text`, a copy of the body that lives as long as the request.
struct AdmissionRequest {
  AdmissionVersion version = AdmissionVersion::kV1;
  std::string uid;
  GroupVersionKind kind;
  std::string namespace_name;
  std::string name;
  std::string sub_resource;  // "status" for pods/status; empty for the object itself
  Operation operation = Operation::kCreate;
  UserInfo user;
  bool dry_run = false;
  std::unique_ptr<char[]> text;
  rapidjson::Document document;
  const rapidjson::Value* object = nullptr;
  const rapidjson::Value* old_object = nullptr;
};

// Nesting deeper than this is refused before any object is built.
inline constexpr int kMaxJsonDepth = 128;

// Decodes a request body. Fails (for an HTTP 400) with a one-line reason when the body is not
// JSON, nests deeper than kMaxJsonDepth, is not an AdmissionReview of a known version, or lacks
// request.uid, request.kind or request.operation.
Result<AdmissionRequest> DecodeAdmissionReview(std::string_view body);

struct AdmissionResponse {
  std::string uid;
  bool allowed = true;
  int code = 200;       // status.code when denied
  std::string reason;   // status.reason when denied, e.g. "Forbidden"
  std::string message;  // status.message when denied
  std::vector<std::string> warnings;
};

// Encodes {"apiVersion": ..., "kind": "AdmissionReview", "response": {...}}.
std::string EncodeAdmissionReview(AdmissionVersion version, const AdmissionResponse& response);

// What to answer when an object cannot be evaluated (it does not decode): deny (fail closed,
// the default) or allow.
enum class ErrorPolicy { kDeny, kAllow };

// How a review ended, for logs and metrics. An evaluation error is never a pass: whether it
// allows or denies is the ErrorPolicy's choice.
enum class Outcome {
  kPass,   // inspected, nothing found
  kFail,   // denied by a deny rule
  kWarn,   // allowed with warn or audit findings
  kError,  // the object could not be evaluated
  kSkip,   // not inspected: a kind, subresource or operation netadmit lets through
};
const char* OutcomeName(Outcome outcome);  // "pass", "fail", ...

// Everything known about one decision, for the response, the log line and the metrics.
struct ReviewResult {
  AdmissionResponse response;
  Evaluation evaluation;           // empty for kinds netadmit does not inspect
  std::string object_description;  // "NetworkPolicy default/web"
  bool inspected = false;          // false: a kind or operation netadmit lets through untouched
  Outcome outcome = Outcome::kSkip;
  std::string error;  // the object could not be evaluated, or a rule-set ConfigMap does not load
};

struct ReviewOptions {
  ErrorPolicy on_error = ErrorPolicy::kDeny;
  // The cluster view for the rules that need one; null: those rules are inactive.
  const ClusterView* cluster = nullptr;
  // netadmit's own namespace, where ConfigMaps labeled netadmit.io/rule-set=true hold rule sets.
  // Such a ConfigMap's CREATE or UPDATE there is refused when its rule sets do not load, with the
  // key, line, column and reason. Empty: ConfigMaps are not inspected.
  std::string rule_set_namespace = {};
  // The rule sets loaded together with the ConfigMaps' (the --rules files), so that such a
  // ConfigMap is also refused when it clashes with them. Null: none.
  const std::vector<RuleSource>* other_rule_sources = nullptr;
};

// Decides one request: picks the object (oldObject on DELETE), decodes it, evaluates it and
// builds the response. Deny findings form status.message (one line each); warn findings become
// warnings within the API server's limits (see BoundWarnings); audit findings only appear in
// `evaluation`.
ReviewResult Review(const RuleSet& rules, const AdmissionRequest& request,
                    const ReviewOptions& options = {});

// Whether Review may take milliseconds for this request (EvaluationMayBeSlow on its object), so
// that a server runs it away from the threads that serve connections. Costs a decode of the
// object when the rule set has kinds that may be slow; false at once when it has none.
bool ReviewMayBeSlow(const RuleSet& rules, const AdmissionRequest& request,
                     const ReviewOptions& options = {});

// Keeps warnings within what the API server accepts: each cut to at most 256 bytes (on a UTF-8
// boundary, ending in "..."), and all together under 4 KiB; when some must be dropped, the last
// kept warning says how many were left out.
std::vector<std::string> BoundWarnings(std::vector<std::string> warnings);

inline constexpr std::size_t kMaxWarningBytes = 256;
inline constexpr std::size_t kMaxWarningsTotalBytes = 4096;

}  // namespace netadmit
