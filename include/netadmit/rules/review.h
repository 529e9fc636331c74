#pragma once

// The review of one AdmissionReview request: prepared once (objects decoded, the rules that apply
// chosen, the cluster view snapshotted), evaluated, and, for a denial that rests on policies the
// cluster view may lack, confirmed over a fresh read. The server schedules these steps; every
// decision is made here.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/codec/admission.h"
#include "netadmit/model/model.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/engine.h"
#include "netadmit/rules/exceptions.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit {

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

// How confirming a denial over a fresh read of NetworkPolicies ended (see ConfirmReview).
enum class Confirmation {
  kNone,        // not tried: nothing to confirm, or no way to read
  kConfirmed,   // the fresh read agrees with the cluster view: the denial stands
  kOverturned,  // the policy was there after all: the findings that rested on its lack are gone
  kReadFailed,  // the read failed: ReviewOptions::on_unconfirmed decided
};

// Everything known about one decision, for the response, the log line and the metrics.
struct ReviewResult {
  AdmissionResponse response;
  Evaluation evaluation;           // empty for kinds netadmit does not inspect
  std::string object_description;  // "NetworkPolicy default/web"
  bool inspected = false;          // false: a kind or operation netadmit lets through untouched
  Outcome outcome = Outcome::kSkip;
  std::string error;  // the object could not be evaluated, or a rule-set ConfigMap does not load
  Confirmation confirmation = Confirmation::kNone;
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
  // What to answer when a denial that rests on the cluster view's lack of a policy cannot be
  // confirmed because the fresh read failed: keep it (deny) or admit with a warning (allow).
  ErrorPolicy on_unconfirmed = ErrorPolicy::kDeny;
  // The time of the request: exceptions expired by then cover nothing.
  TimePoint now = std::chrono::system_clock::now();
  // A request that relies on an exception expiring within this many days is warned.
  int exception_warning_days = kDefaultExceptionWarningDays;
  // How far ahead a rule-set ConfigMap's exceptions may expire (LoadLimits).
  int max_exception_days = kDefaultMaxExceptionDays;
};

class ClusterSnapshot;  // admission.cpp

// A request made ready to evaluate, once: the object it judges and the old one decoded, the
// context, the rules that apply, the answer when no rule needs to run, and whether evaluating
// may take milliseconds. Rules that read the cluster view read it through a snapshot taken here
// (each question asked of the view is answered once and the answer kept), so the may-be-slow
// probe, the evaluation and a confirmation all see one cluster. The rule set and the options'
// view and rule sources must outlive it; so must the request, unless the review holds it.
class PreparedReview {
 public:
  // Movable (it points only outside itself, and a request it holds moves along), not copyable.
  PreparedReview(PreparedReview&&) noexcept;
  PreparedReview& operator=(PreparedReview&&) noexcept;
  ~PreparedReview();

  // The request it was prepared from.
  const AdmissionRequest& request() const { return owned_ ? *owned_ : *borrowed_; }
  // The whole answer when it is known without running a rule (a kind, subresource or operation
  // netadmit lets through, an object that does not decode, a rule-set ConfigMap); else null.
  const ReviewResult* EarlyAnswer() const { return early_ ? &*early_ : nullptr; }
  // Whether EvaluateReview may take milliseconds (RulesMayBeSlow), so that a server runs it away
  // from the threads that serve connections.
  bool MayBeSlow() const { return may_be_slow_; }
  // The object judged (oldObject on DELETE), decoded; null with an early answer.
  const Object* object() const { return early_ ? nullptr : &*object_; }
  // The operation, the old object, the user, and the snapshot of the cluster view.
  CheckContext Context() const;
  // The rules that apply to the object (ApplicableRules); empty with an early answer.
  const std::vector<const CompiledRule*>& applicable_rules() const { return applicable_rules_; }

 private:
  friend PreparedReview PrepareReview(const RuleSet& rules, const AdmissionRequest& request,
                                      const ReviewOptions& options);
  friend PreparedReview PrepareReview(const RuleSet& rules, AdmissionRequest&& request,
                                      const ReviewOptions& options);
  friend ReviewResult EvaluateReview(const PreparedReview& review);
  friend ReviewResult ConfirmReview(const PreparedReview& review, ReviewResult denied,
                                    Result<FreshPolicies::ByNamespace> fresh);
  // Holds the request when `owned`, else refers to `borrowed`.
  PreparedReview(const RuleSet& rules, const AdmissionRequest* borrowed, AdmissionRequest* owned,
                 const ReviewOptions& options);

  std::optional<AdmissionRequest> owned_;
  const AdmissionRequest* borrowed_;  // null when owned_
  ErrorPolicy on_unconfirmed_;
  std::span<const RuleException> exceptions_;  // the rule set's
  TimePoint now_;
  int exception_warning_days_;
  // Decoded where it stays (no move of the object on the hot path); an Error also when there is
  // nothing to decode, which early_ then answers.
  Result<Object> object_;
  std::optional<Object> old_object_;          // on UPDATE, when it decodes
  std::unique_ptr<ClusterSnapshot> cluster_;  // null without a cluster view
  std::vector<const CompiledRule*> applicable_rules_;
  std::optional<ReviewResult> early_;
  bool may_be_slow_ = false;
};

// Prepares one request: picks the object (oldObject on DELETE), decodes it and the old object,
// decides which rules apply and whether they may be slow, or settles the answer when no rule
// needs to run. Never fails: an object that does not decode gets an early answer under
// options.on_error. The review refers to `request`, which must outlive it and stay where it is.
PreparedReview PrepareReview(const RuleSet& rules, const AdmissionRequest& request,
                             const ReviewOptions& options = {});

// The same, the review holding the request: moving the review moves the request along, so that
// a server can finish it on another thread without keeping the two together itself.
PreparedReview PrepareReview(const RuleSet& rules, AdmissionRequest&& request,
                             const ReviewOptions& options = {});

// Evaluates a prepared review and builds the response. Findings an exception covers at the
// options' `now` are marked exempt (Finding::exemption) and neither deny nor warn: they are named
// in the audit annotation kExemptedAnnotation, and an exception within its warning days adds a
// warning. Other deny findings form status.message (one line each); warn findings become
// warnings within the API server's limits (see BoundWarnings); audit findings only appear in
// `evaluation`. Returns the early answer when there is one.
ReviewResult EvaluateReview(const PreparedReview& review);

// The answer to a request whose evaluation cannot end before the API server stops waiting for
// it (`why` says so: its timeout, or too many such evaluations waiting), as `on_error` says:
// denied with that reason (504 Timeout), or allowed with it as a warning. Never a pass.
ReviewResult OverdueReview(const AdmissionRequest& request, ErrorPolicy on_error,
                           std::string_view why);

// Confirms `denied`, EvaluateReview's result for `review`, over `fresh`, a fresh read of the
// NetworkPolicies of denied.evaluation.UnconfirmedNamespaces() (called only when there are some):
// runs again only the rules whose findings asked for it, on the review's snapshot with those
// namespaces' policies replaced, and keeps every other finding. When the read failed, the
// findings that asked for it stand with a note in the message, or, under on_unconfirmed allow and
// with no other deny finding, the request is admitted with a warning naming them. Sets
// `confirmation`.
ReviewResult ConfirmReview(const PreparedReview& review, ReviewResult denied,
                           Result<FreshPolicies::ByNamespace> fresh);

// The auditAnnotations key naming the exceptions a request relied on; its value lists them with
// the rules they waived: "billing-open-egress: no-open-egress; legacy: require-ports". (The API
// server prefixes the key with the webhook's name, and refuses keys with a slash of their own.)
inline constexpr std::string_view kExemptedAnnotation = "exempted";

// PrepareReview then EvaluateReview, for callers that need not know in between.
ReviewResult Review(const RuleSet& rules, const AdmissionRequest& request,
                    const ReviewOptions& options = {});

// `text` made fit for one line of a message: control characters (a newline in an echoed field)
// become spaces, and at most `limit` bytes are kept.
std::string OneLine(std::string_view text, std::size_t limit);

}  // namespace netadmit
