// AdmissionReview: decoding, the decision, and encoding. See admission.h.

#include "netadmit/admission.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>

#include "netadmit/decode.h"
#include "netadmit/json.h"

namespace netadmit {

namespace {

using rapidjson::Value;

constexpr std::string_view kGroup = "admission.k8s.io";
// How much of a failed fresh read's error a denial repeats; and an admission warning, which must
// leave room for the rules it overrides.
constexpr std::size_t kMaxNoteBytes = 512;
constexpr std::size_t kMaxUnconfirmedReasonBytes = 100;

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

// A CREATE or UPDATE of a ConfigMap in netadmit's own namespace.
bool IsRuleSetConfigMapWrite(const AdmissionRequest& request,
                             const std::string& rule_set_namespace) {
  return !rule_set_namespace.empty() && request.kind.group.empty() &&
         request.kind.kind == "ConfigMap" && request.namespace_name == rule_set_namespace &&
         request.sub_resource.empty() && request.object != nullptr &&
         (request.operation == Operation::kCreate || request.operation == Operation::kUpdate);
}

// Loads the rule sets a ConfigMap would put in force, together with those loaded beside it (the
// --rules files, and the other rule-set ConfigMaps in the cluster view, so that a rule id taken
// there is caught too), and refuses the write when they do not load. A ConfigMap without the label
// is not a rule set.
ReviewResult ReviewRuleSetConfigMap(const AdmissionRequest& request, const ReviewOptions& options) {
  const ClusterView* cluster = options.cluster;
  ReviewResult result;
  result.response.uid = request.uid;
  result.response.allowed = true;
  result.object_description = "ConfigMap " + request.namespace_name + "/" + request.name;
  auto decoded = DecodeClusterObject(ClusterKind::kConfigMap, *request.object);
  if (!decoded) {
    // Not a shape netadmit can read as a rule-set ConfigMap; the API server validates the rest.
    return result;
  }
  const auto& config_map = std::get<CachedConfigMap>(decoded->value);
  if (!HoldsRuleSets(config_map.labels)) {
    return result;
  }
  result.inspected = true;
  std::vector<RuleSource> sources;
  if (options.other_rule_sources != nullptr) {
    sources = *options.other_rule_sources;
  }
  if (cluster != nullptr) {
    for (const auto& other : cluster->ConfigMaps(request.namespace_name)) {
      if (other->name != config_map.name && HoldsRuleSets(other->labels)) {
        auto other_sources = RuleSourcesOf(other->name, other->data);
        sources.insert(sources.end(), std::make_move_iterator(other_sources.begin()),
                       std::make_move_iterator(other_sources.end()));
      }
    }
  }
  auto own_sources = RuleSourcesOf(config_map.name, config_map.data);
  sources.insert(sources.end(), std::make_move_iterator(own_sources.begin()),
                 std::make_move_iterator(own_sources.end()));
  auto loaded = LoadRuleSet(sources);
  if (loaded) {
    result.outcome = Outcome::kPass;
    return result;
  }
  result.outcome = Outcome::kFail;
  result.error = loaded.error().ToString();
  result.response.allowed = false;
  result.response.code = 422;
  result.response.reason = "Invalid";
  result.response.message = "netadmit: the rule set does not load, so it would not take effect: " +
                            loaded.error().ToString();
  return result;
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

// The JSON of the object a review judges: the request's `object`, or `oldObject` when it is
// being deleted. Null when there is none to judge: subresources (pods/status, pods/binding...)
// and CONNECT carry no spec, and a DELETE without oldObject (older API servers) has nothing to
// look at.
const Value* JudgedJson(const AdmissionRequest& request) {
  if (!request.sub_resource.empty() || request.operation == Operation::kConnect) {
    return nullptr;
  }
  return request.operation == Operation::kDelete ? request.old_object : request.object;
}

// The object as it was, on UPDATE of an object the rules judge (`judged`); empty when absent or
// not decodable (the checks then judge the object alone).
std::optional<Object> OldObjectOf(const AdmissionRequest& request, const Result<Object>& judged) {
  if (judged && !std::holds_alternative<std::monostate>(judged->content) &&
      request.operation == Operation::kUpdate && request.old_object != nullptr) {
    if (auto decoded = DecodeObject(*request.old_object, request.namespace_name)) {
      return std::move(decoded.value());
    }
  }
  return std::nullopt;
}

// The judged object decoded, or an Error when it does not decode or there is none to decode: a
// rule-set ConfigMap (judged as such) or no JSON to judge (JudgedJson).
Result<Object> DecodeJudged(const AdmissionRequest& request, const ReviewOptions& options) {
  const Value* json = JudgedJson(request);
  if (json == nullptr || IsRuleSetConfigMapWrite(request, options.rule_set_namespace)) {
    return Error{};
  }
  return DecodeObject(*json, request.namespace_name);
}

bool SameSelector(const LabelSelector& a, const LabelSelector& b) {
  return a.match_labels == b.match_labels &&
         std::equal(a.match_expressions.begin(), a.match_expressions.end(),
                    b.match_expressions.begin(), b.match_expressions.end(),
                    [](const SelectorRequirement& x, const SelectorRequirement& y) {
                      return std::tie(x.key, x.op, x.values) == std::tie(y.key, y.op, y.values);
                    });
}

// Builds the response from the evaluation: deny findings form status.message, warn findings
// the warnings; the outcome follows.
void Decide(ReviewResult& result) {
  AdmissionResponse& response = result.response;
  response.allowed = true;
  response.code = 200;
  response.reason.clear();
  response.message.clear();
  std::vector<std::string> warnings;
  for (const auto& finding : result.evaluation.findings) {
    if (finding.action == Action::kDeny) {
      if (!response.message.empty()) {
        response.message += '\n';
      }
      response.message += finding.Message();
    } else if (finding.action == Action::kWarn) {
      warnings.push_back(finding.Message());
    }
  }
  if (!response.message.empty()) {
    response.allowed = false;
    response.code = 403;
    response.reason = "Forbidden";
  }
  response.warnings = BoundWarnings(std::move(warnings));
  if (!response.allowed) {
    result.outcome = Outcome::kFail;
  } else if (!result.evaluation.findings.empty()) {
    result.outcome = Outcome::kWarn;
  } else {
    result.outcome = Outcome::kPass;
  }
}

// The answer to a request whose object cannot be decoded, as `on_error` says.
ReviewResult Undecodable(const AdmissionRequest& request, const Error& error,
                         ErrorPolicy on_error) {
  ReviewResult result;
  result.response.uid = request.uid;
  const std::string field = request.operation == Operation::kDelete ? "oldObject" : "object";
  result.error = "cannot evaluate request." + field + ": " + error.ToString();
  result.object_description = request.kind.kind + " " + request.namespace_name + "/" + request.name;
  result.outcome = Outcome::kError;
  if (on_error == ErrorPolicy::kDeny) {
    result.response.allowed = false;
    result.response.code = 400;
    result.response.reason = "BadRequest";
    result.response.message = "netadmit " + result.error;
  } else {
    result.response.warnings = BoundWarnings({"netadmit " + result.error + " (allowed)"});
  }
  return result;
}

// A denial whose confirming read failed: it stands with a note, or, when `admit`, the request is
// admitted with a warning that names the rules it overrides.
ReviewResult Unconfirmed(ReviewResult denied, const Error& error, bool admit) {
  denied.confirmation = Confirmation::kReadFailed;
  std::string reason = OneLine(error.message, kMaxNoteBytes);
  if (!admit) {
    denied.response.message +=
        "\n(netadmit could not confirm with the API server (" + reason + "))";
    return denied;
  }
  // Cut so that the rules it overrides still fit in the warning's 256 bytes.
  if (reason.size() > kMaxUnconfirmedReasonBytes) {
    reason.resize(kMaxUnconfirmedReasonBytes);
    reason += "...";
  }
  const std::string note = "netadmit could not confirm with the API server (" + reason + ")";
  std::string rule_ids;
  for (const Finding& finding : denied.evaluation.findings) {
    if (finding.action == Action::kDeny) {
      rule_ids += (rule_ids.empty() ? "[" : ", [") + finding.rule_id + "]";
    }
  }
  std::vector<std::string> warnings{note + "; admitted despite " + rule_ids + ": " +
                                    OneLine(denied.response.message, kMaxNoteBytes)};
  warnings.insert(warnings.end(), denied.response.warnings.begin(), denied.response.warnings.end());
  denied.response.allowed = true;
  denied.response.code = 0;
  denied.response.reason.clear();
  denied.response.message.clear();
  denied.response.warnings = BoundWarnings(std::move(warnings));
  denied.outcome = Outcome::kWarn;
  return denied;
}

}  // namespace

// The cluster view as one review sees it. The cache moves on with every watch event: read
// directly, the may-be-slow probe, the evaluation and a confirmation could each see another
// cluster (no pod where the probe looked, then one for the check). Here each question is put to
// the cache once, the first time it is asked, and its answer kept and given again. A copy of the
// whole cache would cost far more than the few questions one review asks.
class ClusterSnapshot final : public ClusterView {
 public:
  explicit ClusterSnapshot(const ClusterView& cache) : cache_(cache) {}

  bool Synced() const override {
    const std::lock_guard lock(mutex_);
    if (!synced_) {
      synced_ = cache_.Synced();
    }
    return *synced_;
  }
  std::shared_ptr<const CachedNamespace> Namespace(std::string_view name) const override {
    return Recall(namespace_, name, [&] { return cache_.Namespace(name); });
  }
  std::vector<std::shared_ptr<const CachedNamespace>> Namespaces() const override {
    const std::lock_guard lock(mutex_);
    if (!namespaces_) {
      namespaces_ = cache_.Namespaces();
    }
    return *namespaces_;
  }
  std::vector<std::shared_ptr<const CachedPolicy>> Policies(
      std::string_view namespace_name) const override {
    return Recall(policies_, namespace_name, [&] { return cache_.Policies(namespace_name); });
  }
  std::vector<std::shared_ptr<const CachedPod>> Pods(std::string_view namespace_name,
                                                     const LabelSelector& selector) const override {
    const std::lock_guard lock(mutex_);
    auto& asked = pods_[std::string(namespace_name)];
    // A review asks about few selectors per namespace.
    for (const auto& [known, answer] : asked) {
      if (SameSelector(known, selector)) {
        return answer;
      }
    }
    return asked.emplace_back(selector, cache_.Pods(namespace_name, selector)).second;
  }
  std::vector<std::shared_ptr<const CachedConfigMap>> ConfigMaps(
      std::string_view namespace_name) const override {
    return Recall(config_maps_, namespace_name, [&] { return cache_.ConfigMaps(namespace_name); });
  }

 private:
  template <typename Answer>
  using ByName = std::map<std::string, Answer, std::less<>>;

  // The answer kept for `name`, asked of the cache with `ask` the first time.
  template <typename Answer, typename Ask>
  Answer Recall(ByName<Answer>& answers, std::string_view name, Ask ask) const {
    const std::lock_guard lock(mutex_);
    auto found = answers.find(name);
    if (found == answers.end()) {
      found = answers.emplace(std::string(name), ask()).first;
    }
    return found->second;
  }

  const ClusterView& cache_;
  mutable std::mutex mutex_;
  mutable std::optional<bool> synced_;
  mutable std::optional<std::vector<std::shared_ptr<const CachedNamespace>>> namespaces_;
  mutable ByName<std::shared_ptr<const CachedNamespace>> namespace_;
  mutable ByName<std::vector<std::shared_ptr<const CachedPolicy>>> policies_;
  // By namespace, each selector asked with its answer.
  mutable ByName<
      std::vector<std::pair<LabelSelector, std::vector<std::shared_ptr<const CachedPod>>>>>
      pods_;
  mutable ByName<std::vector<std::shared_ptr<const CachedConfigMap>>> config_maps_;
};

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

PreparedReview::PreparedReview(const RuleSet& rules, const AdmissionRequest* borrowed,
                               AdmissionRequest* owned, const ReviewOptions& options)
    : owned_(owned != nullptr ? std::optional<AdmissionRequest>(std::move(*owned)) : std::nullopt),
      borrowed_(owned != nullptr ? nullptr : borrowed),
      on_unconfirmed_(options.on_unconfirmed),
      object_(DecodeJudged(this->request(), options)),
      old_object_(OldObjectOf(this->request(), object_)) {
  const AdmissionRequest& request = this->request();
  if (!object_) {
    if (IsRuleSetConfigMapWrite(request, options.rule_set_namespace)) {
      early_ = ReviewRuleSetConfigMap(request, options);
    } else if (JudgedJson(request) == nullptr) {
      ReviewResult& skipped = early_.emplace();
      skipped.response.uid = request.uid;
      skipped.object_description =
          request.kind.kind + " " +
          (request.namespace_name.empty() ? "" : request.namespace_name + "/") + request.name;
    } else {
      early_ = Undecodable(request, object_.error(), options.on_error);
    }
    return;
  }
  if (std::holds_alternative<std::monostate>(object_->content)) {
    ReviewResult& skipped = early_.emplace();
    skipped.response.uid = request.uid;
    skipped.object_description = object_->Describe();
    return;
  }
  if (options.cluster != nullptr) {
    cluster_ = std::make_unique<ClusterSnapshot>(*options.cluster);
  }
  const CheckContext context = Context();
  applicable_rules_ = ApplicableRules(rules, *object_, context);
  may_be_slow_ = rules.MayBeSlow() && RulesMayBeSlow(applicable_rules_, *object_, context);
}

PreparedReview::PreparedReview(PreparedReview&&) noexcept = default;
PreparedReview& PreparedReview::operator=(PreparedReview&&) noexcept = default;
PreparedReview::~PreparedReview() = default;

CheckContext PreparedReview::Context() const {
  CheckContext context;
  context.operation = request().operation;
  context.old_object = old_object_ ? &*old_object_ : nullptr;
  context.user = &request().user;
  context.cluster = cluster_.get();
  return context;
}

PreparedReview PrepareReview(const RuleSet& rules, const AdmissionRequest& request,
                             const ReviewOptions& options) {
  return PreparedReview(rules, &request, nullptr, options);
}

PreparedReview PrepareReview(const RuleSet& rules, AdmissionRequest&& request,
                             const ReviewOptions& options) {
  return PreparedReview(rules, nullptr, &request, options);
}

ReviewResult EvaluateReview(const PreparedReview& review) {
  if (const ReviewResult* early = review.EarlyAnswer()) {
    return *early;
  }
  ReviewResult result;
  result.response.uid = review.request().uid;
  result.object_description = review.object()->Describe();
  result.inspected = true;
  result.evaluation = EvaluateRules(review.applicable_rules(), *review.object(), review.Context());
  Decide(result);
  return result;
}

ReviewResult ConfirmReview(const PreparedReview& review, ReviewResult denied,
                           Result<FreshPolicies::ByNamespace> fresh) {
  const CheckContext context = review.Context();
  // Findings that asked for confirming come only from rules that read the cluster view.
  assert(review.object() != nullptr && context.cluster != nullptr);
  if (!fresh) {
    // Only the findings that rest on the view may be waived; any other denial stands.
    const bool others_deny = std::any_of(
        denied.evaluation.findings.begin(), denied.evaluation.findings.end(),
        [](const Finding& finding) {
          return finding.action == Action::kDeny && finding.unconfirmed_namespace.empty();
        });
    return Unconfirmed(std::move(denied), fresh.error(),
                       review.on_unconfirmed_ == ErrorPolicy::kAllow && !others_deny);
  }
  const FreshPolicies view(*context.cluster, std::move(*fresh));
  CheckContext fresh_context = context;
  fresh_context.cluster = &view;
  denied.evaluation = EvaluateAgain(std::move(denied.evaluation), review.applicable_rules(),
                                    *review.object(), fresh_context);
  Decide(denied);
  // Overturned: the denials that rested on the view are gone (another rule may still deny).
  denied.confirmation = denied.evaluation.UnconfirmedNamespaces().empty()
                            ? Confirmation::kOverturned
                            : Confirmation::kConfirmed;
  return denied;
}

ReviewResult Review(const RuleSet& rules, const AdmissionRequest& request,
                    const ReviewOptions& options) {
  return EvaluateReview(PrepareReview(rules, request, options));
}

std::string OneLine(std::string_view text, std::size_t limit) {
  std::string line(text.substr(0, limit));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return line;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "fail";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kError:
      return "error";
    case Outcome::kSkip:
      return "skip";
  }
  return "skip";
}

}  // namespace netadmit
