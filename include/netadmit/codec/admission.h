#pragma once

// The AdmissionReview codec (admission.k8s.io/v1 and v1beta1): decoding a request body and
// encoding the response in the request's version. The review itself is rules/review.h. No
// transport here: the HTTPS server hands bodies in and writes bytes out.

#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/model.h"
#include "netadmit/model/result.h"

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
  // response.auditAnnotations: key to value, recorded in the API server's audit log.
  std::map<std::string, std::string> audit_annotations;
};

// Encodes {"apiVersion": ..., "kind": "AdmissionReview", "response": {...}}.
std::string EncodeAdmissionReview(AdmissionVersion version, const AdmissionResponse& response);

// Keeps warnings within what the API server accepts: each cut to at most 256 bytes (on a UTF-8
// boundary, ending in "..."), and all together under 4 KiB; when some must be dropped, the last
// kept warning says how many were left out.
std::vector<std::string> BoundWarnings(std::vector<std::string> warnings);

inline constexpr std::size_t kMaxWarningBytes = 256;
inline constexpr std::size_t kMaxWarningsTotalBytes = 4096;

}  // namespace netadmit
