// The review: a request prepared once, evaluated, and confirmed over a fresh read. See review.h.

#include "netadmit/rules/review.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>

#include "netadmit/codec/decode.h"

namespace netadmit {

namespace {

using rapidjson::Value;

// How much of a failed fresh read's error a denial repeats; and an admission warning, which must
// leave room for the rules it overrides.
constexpr std::size_t kMaxNoteBytes = 512;
constexpr std::size_t kMaxUnconfirmedReasonBytes = 100;
// The exemption audit annotation names every exception and rule a request relied on; a request
// relies on a few, and an annotation has no use past a screenful.
constexpr std::size_t kMaxExemptedAnnotationBytes = 2048;

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
  auto loaded = LoadRuleSet(sources, LoadLimits{options.now, options.max_exception_days});
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

// The exemption annotation's value: each exception with the rules it waived here, in the order
// the findings came, each once ("a: rule-1, rule-2; b: rule-3"). Empty without exempt findings.
std::string ExemptedAnnotation(const Evaluation& evaluation) {
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> waived;
  for (const Finding* finding : evaluation.Exempted()) {
    auto entry = std::find_if(waived.begin(), waived.end(), [&](const auto& known) {
      return known.first == finding->exemption->exception;
    });
    if (entry == waived.end()) {
      entry = waived.insert(waived.end(), {finding->exemption->exception, {}});
    }
    if (std::find(entry->second.begin(), entry->second.end(), finding->rule_id) ==
        entry->second.end()) {
      entry->second.push_back(finding->rule_id);
    }
  }
  std::string value;
  for (const auto& [exception, rules] : waived) {
    value += value.empty() ? "" : "; ";
    value += exception;
    for (size_t i = 0; i < rules.size(); ++i) {
      value += i == 0 ? ": " : ", ";
      value += rules[i];
    }
  }
  return OneLine(value, kMaxExemptedAnnotationBytes);
}

// The warnings for exceptions this request relies on that expire within `warning_days`, one per
// exception.
std::vector<std::string> ExpiryWarnings(const Evaluation& evaluation, TimePoint now,
                                        int warning_days) {
  std::vector<std::string> warnings;
  std::vector<std::string_view> warned;
  for (const Finding* finding : evaluation.Exempted()) {
    const Exemption& exemption = *finding->exemption;
    if (exemption.expires - now > std::chrono::days(warning_days) ||
        std::find(warned.begin(), warned.end(), exemption.exception) != warned.end()) {
      continue;
    }
    warned.push_back(exemption.exception);
    warnings.push_back(ExpiryWarning(exemption, now));
  }
  return warnings;
}

// Builds the response from the evaluation: deny findings form status.message, warn findings
// the warnings, exempt findings the exemption annotation (and a warning for an exception close to
// its expiry); the outcome follows.
void Decide(ReviewResult& result, TimePoint now, int exception_warning_days) {
  AdmissionResponse& response = result.response;
  response.allowed = true;
  response.code = 200;
  response.reason.clear();
  response.message.clear();
  response.audit_annotations.clear();
  std::vector<std::string> warnings =
      ExpiryWarnings(result.evaluation, now, exception_warning_days);
  if (std::string exempted = ExemptedAnnotation(result.evaluation); !exempted.empty()) {
    response.audit_annotations.emplace(kExemptedAnnotation, std::move(exempted));
  }
  const bool only_exempt =
      std::all_of(result.evaluation.findings.begin(), result.evaluation.findings.end(),
                  [](const Finding& finding) { return finding.exemption; });
  for (const auto& finding : result.evaluation.findings) {
    if (finding.exemption) {
      continue;
    }
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
  } else if (!only_exempt || !response.warnings.empty()) {
    result.outcome = Outcome::kWarn;
  } else {
    result.outcome = Outcome::kPass;
  }
}

// The answer to a request that could not be evaluated (`error` says why), as `on_error` says:
// denied with `code` and `reason`, or allowed with a warning. Never a pass.
ReviewResult ErrorPolicyAnswer(const AdmissionRequest& request, std::string error,
                               ErrorPolicy on_error, int code, const char* reason) {
  ReviewResult result;
  result.response.uid = request.uid;
  result.error = std::move(error);
  result.object_description = request.kind.kind + " " + request.namespace_name + "/" + request.name;
  result.outcome = Outcome::kError;
  if (on_error == ErrorPolicy::kDeny) {
    result.response.allowed = false;
    result.response.code = code;
    result.response.reason = reason;
    result.response.message = "netadmit " + result.error;
  } else {
    result.response.warnings = BoundWarnings({"netadmit " + result.error + " (allowed)"});
  }
  return result;
}

// The answer to a request whose object cannot be decoded, as `on_error` says.
ReviewResult Undecodable(const AdmissionRequest& request, const Error& error,
                         ErrorPolicy on_error) {
  const std::string field = request.operation == Operation::kDelete ? "oldObject" : "object";
  return ErrorPolicyAnswer(request, "cannot evaluate request." + field + ": " + error.ToString(),
                           on_error, 400, "BadRequest");
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
    if (finding.action == Action::kDeny && !finding.exemption) {
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
  std::vector<std::shared_ptr<const CachedClusterPolicy>> ClusterPolicies() const override {
    const std::lock_guard lock(mutex_);
    if (!cluster_policies_) {
      cluster_policies_ = cache_.ClusterPolicies();
    }
    return *cluster_policies_;
  }
  // The cache's own journal: what a rule kind keeps current with it (the Flows kind's engine)
  // catches up with the cache itself, which may be newer than this snapshot's other answers.
  uint64_t JournalId() const override { return cache_.JournalId(); }
  uint64_t Sequence() const override { return cache_.Sequence(); }
  std::optional<ClusterChanges> ChangesSince(uint64_t after) const override {
    return cache_.ChangesSince(after);
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
  mutable std::optional<std::vector<std::shared_ptr<const CachedClusterPolicy>>> cluster_policies_;
  mutable ByName<std::shared_ptr<const CachedNamespace>> namespace_;
  mutable ByName<std::vector<std::shared_ptr<const CachedPolicy>>> policies_;
  // By namespace, each selector asked with its answer.
  mutable ByName<
      std::vector<std::pair<LabelSelector, std::vector<std::shared_ptr<const CachedPod>>>>>
      pods_;
  mutable ByName<std::vector<std::shared_ptr<const CachedConfigMap>>> config_maps_;
};

PreparedReview::PreparedReview(const RuleSet& rules, const AdmissionRequest* borrowed,
                               AdmissionRequest* owned, const ReviewOptions& options)
    : owned_(owned != nullptr ? std::optional<AdmissionRequest>(std::move(*owned)) : std::nullopt),
      borrowed_(owned != nullptr ? nullptr : borrowed),
      on_unconfirmed_(options.on_unconfirmed),
      exceptions_(rules.exceptions()),
      now_(options.now),
      exception_warning_days_(options.exception_warning_days),
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
  ApplyExceptions(result.evaluation, review.exceptions_, *review.object(), review.now_);
  Decide(result, review.now_, review.exception_warning_days_);
  return result;
}

ReviewResult OverdueReview(const AdmissionRequest& request, ErrorPolicy on_error,
                           std::string_view why) {
  return ErrorPolicyAnswer(request, std::string(why), on_error, 504, "Timeout");
}

ReviewResult ConfirmReview(const PreparedReview& review, ReviewResult denied,
                           Result<FreshPolicies::ByNamespace> fresh) {
  const CheckContext context = review.Context();
  // Findings that asked for confirming come only from rules that read the cluster view.
  assert(review.object() != nullptr && context.cluster != nullptr);
  if (!fresh) {
    // Only the findings that rest on the view may be waived; any other denial stands.
    const bool others_deny =
        std::any_of(denied.evaluation.findings.begin(), denied.evaluation.findings.end(),
                    [](const Finding& finding) {
                      return finding.action == Action::kDeny && !finding.exemption &&
                             finding.unconfirmed_namespace.empty();
                    });
    return Unconfirmed(std::move(denied), fresh.error(),
                       review.on_unconfirmed_ == ErrorPolicy::kAllow && !others_deny);
  }
  const FreshPolicies view(*context.cluster, std::move(*fresh));
  CheckContext fresh_context = context;
  fresh_context.cluster = &view;
  denied.evaluation = EvaluateAgain(std::move(denied.evaluation), review.applicable_rules(),
                                    *review.object(), fresh_context);
  ApplyExceptions(denied.evaluation, review.exceptions_, *review.object(), review.now_);
  Decide(denied, review.now_, review.exception_warning_days_);
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
