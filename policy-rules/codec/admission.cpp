// The AdmissionReview codec: decoding a request body, encoding a response. See admission.h.

#include "netadmit/codec/admission.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cstring>
#include <utility>

#include "netadmit/codec/decode.h"
#include "netadmit/codec/json.h"

namespace netadmit {

namespace {

using rapidjson::Value;

constexpr std::string_view kGroup = "admission.k8s.io";

// Forwards SAX events to a Document while counting depth, so nesting beyond the bound stops the
// parse before the document grows. The parse is recursive (faster than RapidJSON's iterative
// one): refusing the level past the bound is also what bounds its recursion.
class DepthLimitedHandler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthLimitedHandler> {
 public:
  explicit DepthLimitedHandler(rapidjson::Document& target) : target_(target) {}

  bool too_deep() const { return too_deep_; }

  bool Null() { return target_.Null(); }
  bool Bool(bool b) { return target_.Bool(b); }
  bool Int(int i) { return target_.Int(i); }
  bool Uint(unsigned u) { return target_.Uint(u); }
  bool Int64(int64_t i) { return target_.Int64(i); }
  bool Uint64(uint64_t u) { return target_.Uint64(u); }
  bool Double(double d) { return target_.Double(d); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool copy) {
    return target_.RawNumber(str, length, copy);
  }
  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    return target_.String(str, length, copy);
  }
  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    return target_.Key(str, length, copy);
  }
  bool StartObject() { return Enter() && target_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return target_.EndObject(members);
  }
  bool StartArray() { return Enter() && target_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return target_.EndArray(elements);
  }

 private:
  bool Enter() {
    if (++depth_ > kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  rapidjson::Document& target_;
  int depth_ = 0;
  bool too_deep_ = false;
};

Error BadRequest(std::string message) { return Error{"", 0, 0, "", std::move(message)}; }

// Reads an optional string member; fails when present with another type.
bool ReadString(const Value& object, const char* key, std::string& out, std::string& error) {
  const Value* value = JsonMember(object, key);
  if (value == nullptr) {
    return true;
  }
  if (!value->IsString()) {
    error = std::string("request.") + key + " must be a string";
    return false;
  }
  out.assign(value->GetString(), value->GetStringLength());
  return true;
}

Result<GroupVersionKind> ReadKind(const Value& request) {
  const Value* kind = JsonMember(request, "kind");
  if (kind == nullptr || !kind->IsObject()) {
    return BadRequest("request.kind is missing or not an object");
  }
  GroupVersionKind gvk;
  std::string error;
  const std::array<std::pair<const char*, std::string*>, 3> fields = {
      {{"group", &gvk.group}, {"version", &gvk.version}, {"kind", &gvk.kind}}};
  for (const auto& [key, target] : fields) {
    const Value* value = JsonMember(*kind, key);
    if (value != nullptr && !value->IsString()) {
      return BadRequest(std::string("request.kind.") + key + " must be a string");
    }
    if (value != nullptr && value->IsString()) {
      target->assign(value->GetString(), value->GetStringLength());
    }
  }
  if (gvk.kind.empty() || gvk.version.empty()) {
    return BadRequest("request.kind must name a version and a kind");
  }
  return gvk;
}

Result<Operation> ReadOperation(const Value& request) {
  const Value* value = JsonMember(request, "operation");
  if (value == nullptr || !value->IsString()) {
    return BadRequest("request.operation is missing or not a string");
  }
  const std::string_view name(value->GetString(), value->GetStringLength());
  constexpr std::array<std::pair<std::string_view, Operation>, 4> kOperations = {{
      {"CREATE", Operation::kCreate},
      {"UPDATE", Operation::kUpdate},
      {"DELETE", Operation::kDelete},
      {"CONNECT", Operation::kConnect},
  }};
  for (const auto& [known, operation] : kOperations) {
    if (name == known) {
      return operation;
    }
  }
  return BadRequest("request.operation \"" + std::string(name) +
                    "\" is not CREATE, UPDATE, DELETE or CONNECT");
}

Status ReadUser(const Value& request, UserInfo& user) {
  const Value* info = JsonMember(request, "userInfo");
  if (info == nullptr) {
    return Ok{};
  }
  if (!info->IsObject()) {
    return BadRequest("request.userInfo must be an object");
  }
  const Value* name = JsonMember(*info, "username");
  if (name != nullptr && name->IsString()) {
    user.username.assign(name->GetString(), name->GetStringLength());
  } else if (name != nullptr) {
    return BadRequest("request.userInfo.username must be a string");
  }
  const Value* groups = JsonMember(*info, "groups");
  if (groups == nullptr) {
    return Ok{};
  }
  if (!groups->IsArray()) {
    return BadRequest("request.userInfo.groups must be a list of strings");
  }
  for (const auto& group : groups->GetArray()) {
    if (!group.IsString()) {
      return BadRequest("request.userInfo.groups must be a list of strings");
    }
    user.groups.emplace_back(group.GetString(), group.GetStringLength());
  }
  return Ok{};
}

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(const std::string& text, size_t limit) {
  if (text.size() <= limit) {
    return text;
  }
  constexpr std::string_view kEllipsis = "...";
  size_t cut = limit - kEllipsis.size();
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;  // step back off continuation bytes to the start of a character
  }
  return text.substr(0, cut) + std::string(kEllipsis);
}

}  // namespace

Result<AdmissionRequest> DecodeAdmissionReview(std::string_view body) {
  // Parsing in place ends at the first NUL, which would hide whatever follows it.
  if (const void* nul = std::memchr(body.data(), '\0', body.size()); nul != nullptr) {
    return BadRequest("request body is not valid JSON: a NUL byte at offset " +
                      std::to_string(static_cast<const char*>(nul) - body.data()));
  }
  AdmissionRequest request;
  // The document's strings point into this copy instead of being copied one by one: the parse
  // unescapes them where they are. The copy is NUL-terminated, as the in-place parse requires.
  request.text = std::make_unique_for_overwrite<char[]>(body.size() + 1);
  std::memcpy(request.text.get(), body.data(), body.size());
  request.text[body.size()] = '\0';
  rapidjson::Document& document = request.document;
  bool too_deep = false;
  rapidjson::ParseErrorCode parse_error = rapidjson::kParseErrorNone;
  size_t error_offset = 0;
  auto parse = [&](rapidjson::Document& target) {
    DepthLimitedHandler handler(target);
    rapidjson::InsituStringStream stream(request.text.get());
    rapidjson::Reader reader;
    const rapidjson::ParseResult result =
        reader.Parse<rapidjson::kParseInsituFlag>(stream, handler);
    too_deep = handler.too_deep();
    parse_error = result.Code();
    error_offset = result.Offset();
    return !result.IsError();
  };
  document.Populate(parse);
  if (too_deep) {
    return BadRequest("request body nests deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels");
  }
  if (parse_error != rapidjson::kParseErrorNone) {
    return BadRequest(
        "request body is not valid JSON: " + std::string(rapidjson::GetParseError_En(parse_error)) +
        " at offset " + std::to_string(error_offset));
  }
  if (!document.IsObject()) {
    return BadRequest("request body is not a JSON object");
  }
  std::string api_version;
  std::string kind;
  std::string error;
  if (!ReadString(document, "apiVersion", api_version, error) ||
      !ReadString(document, "kind", kind, error) || kind != "AdmissionReview") {
    return BadRequest("request body is not an AdmissionReview (kind \"" + kind + "\")");
  }
  if (api_version == std::string(kGroup) + "/v1") {
    request.version = AdmissionVersion::kV1;
  } else if (api_version == std::string(kGroup) + "/v1beta1") {
    request.version = AdmissionVersion::kV1beta1;
  } else {
    return BadRequest("unsupported AdmissionReview apiVersion \"" + api_version +
                      "\" (expected admission.k8s.io/v1 or admission.k8s.io/v1beta1)");
  }
  const Value* body_request = JsonMember(document, "request");
  if (body_request == nullptr || !body_request->IsObject()) {
    return BadRequest("AdmissionReview has no request object");
  }
  const Value& json = *body_request;
  if (!ReadString(json, "uid", request.uid, error)) {
    return BadRequest(error);
  }
  if (request.uid.empty()) {
    return BadRequest("request.uid is missing or empty");
  }
  auto gvk = ReadKind(json);
  if (!gvk) {
    return gvk.error();
  }
  request.kind = std::move(gvk.value());
  auto operation = ReadOperation(json);
  if (!operation) {
    return operation.error();
  }
  request.operation = operation.value();
  if (!ReadString(json, "namespace", request.namespace_name, error) ||
      !ReadString(json, "name", request.name, error) ||
      !ReadString(json, "subResource", request.sub_resource, error)) {
    return BadRequest(error);
  }
  if (auto user = ReadUser(json, request.user); !user) {
    return user.error();
  }
  if (const Value* dry_run = JsonMember(json, "dryRun"); dry_run != nullptr) {
    if (!dry_run->IsBool()) {
      return BadRequest("request.dryRun must be true or false");
    }
    request.dry_run = dry_run->GetBool();
  }
  for (auto [key, target] :
       {std::pair{"object", &request.object}, std::pair{"oldObject", &request.old_object}}) {
    const Value* value = JsonMember(json, key);
    if (value == nullptr) {
      continue;
    }
    if (!value->IsObject()) {
      return BadRequest(std::string("request.") + key + " must be an object or null");
    }
    *target = value;
  }
  return request;
}

std::string EncodeAdmissionReview(AdmissionVersion version, const AdmissionResponse& response) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("apiVersion");
  writer.String(version == AdmissionVersion::kV1 ? "admission.k8s.io/v1"
                                                 : "admission.k8s.io/v1beta1");
  writer.Key("kind");
  writer.String("AdmissionReview");
  writer.Key("response");
  writer.StartObject();
  writer.Key("uid");
  WriteJsonString(writer, response.uid);
  writer.Key("allowed");
  writer.Bool(response.allowed);
  if (!response.allowed) {
    writer.Key("status");
    writer.StartObject();
    writer.Key("code");
    writer.Int(response.code);
    if (!response.reason.empty()) {
      writer.Key("reason");
      WriteJsonString(writer, response.reason);
    }
    writer.Key("message");
    WriteJsonString(writer, response.message);
    writer.EndObject();
  }
  if (!response.warnings.empty()) {
    writer.Key("warnings");
    writer.StartArray();
    for (const auto& warning : response.warnings) {
      WriteJsonString(writer, warning);
    }
    writer.EndArray();
  }
  if (!response.audit_annotations.empty()) {
    writer.Key("auditAnnotations");
    writer.StartObject();
    for (const auto& [key, value] : response.audit_annotations) {
      WriteJsonString(writer, key);
      WriteJsonString(writer, value);
    }
    writer.EndObject();
  }
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::vector<std::string> BoundWarnings(std::vector<std::string> warnings) {
  std::vector<std::string> kept;
  size_t total = 0;
  // Room kept back for the closing "N more" note, so that it always fits.
  constexpr size_t kNoteReserve = 64;
  for (size_t i = 0; i < warnings.size(); ++i) {
    std::string warning = TruncateUtf8(warnings[i], kMaxWarningBytes);
    const bool last = i + 1 == warnings.size();
    const size_t budget = kMaxWarningsTotalBytes - (last ? 0 : kNoteReserve);
    if (total + warning.size() > budget) {
      const size_t left_out = warnings.size() - i;
      kept.push_back(std::to_string(left_out) + " more warning" + (left_out == 1 ? "" : "s") +
                     " left out; run `netadmit check` on the manifest to see all");
      break;
    }
    total += warning.size();
    kept.push_back(std::move(warning));
  }
  return kept;
}

}  // namespace netadmit
