#pragma once

// Rule exceptions: a named, owned, time-boxed waiver of some rules for some objects, written
// beside the rules (`spec.exceptions` of a RuleSet, or a RuleExceptions document) and loaded with
// them by LoadRuleSet. An exception covers a finding when it names the finding's rule (ids or
// globs), matches the object (namespaces, and optionally kinds, names and a label selector), and
// has not expired. Once expired it covers nothing, at once: every question here takes the time.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/glob.h"
#include "netadmit/model/model.h"
#include "netadmit/model/result.h"

namespace netadmit {

using TimePoint = std::chrono::system_clock::time_point;

// The exception that waives a finding, as the finding keeps it (Finding::exemption).
struct Exemption {
  std::string exception;  // its name
  std::string owner;
  TimePoint expires;
};

// Which objects an exception is for. `namespaces` is required; every other field narrows it.
struct ExceptionMatch {
  std::vector<NamespacePattern> namespaces;
  std::vector<std::string> kinds;  // exact kinds ("NetworkPolicy", "Deployment"); empty: any
  std::vector<NamePattern> names;  // globs on metadata.name; empty: any
  // On the object's labels, or on a pod controller's template labels; absent: any.
  std::optional<LabelSelector> label_selector;

  bool Matches(const Object& object) const;
};

struct RuleException {
  std::string name;
  std::vector<NamePattern> rules;  // rule ids or globs
  ExceptionMatch match;
  TimePoint expires;         // the first instant it no longer holds
  std::string expires_text;  // as written: "2027-03-31" or an RFC 3339 time
  std::string owner;
  std::string reason;
  std::string source;  // file or ConfigMap key, and the line, e.g. "rules.yaml:12"

  bool NamesRule(std::string_view rule_id) const { return AnyNameMatches(rules, rule_id); }
  bool Expired(TimePoint now) const { return now >= expires; }
  // Whether it covers a finding of `rule_id` on `object` at `now`.
  bool Covers(std::string_view rule_id, const Object& object, TimePoint now) const;
  Exemption ToExemption() const { return Exemption{name, owner, expires}; }
};

// Parses an `expires` value: a date ("2027-03-31", which holds through that day, UTC, so it
// expires at the next midnight UTC) or an RFC 3339 time ("2027-03-31T18:00:00Z",
// "2027-03-31T18:00:00+02:00", fractions of a second allowed). Fails with a message naming the
// expected forms.
Result<TimePoint> ParseExpiry(std::string_view text);

// The exception that covers a finding of `rule_id` on `object` at `now`: the first in load order
// that names the rule, matches the object and has not expired; null when none does. Every part
// of netadmit that judges findings asks this (admission and check through ApplyExceptions in
// engine.h; an audit of the cluster would too).
const RuleException* CoveringException(std::span<const RuleException> exceptions,
                                       std::string_view rule_id, const Object& object,
                                       TimePoint now);

// Where an exception stands at a time.
enum class ExceptionState {
  kActive,    // covers findings, expiry still far
  kExpiring,  // covers findings, and expires within the warning days
  kExpired,   // covers nothing any more
};
const char* ExceptionStateName(ExceptionState state);  // "active", "expiring", "expired"

inline constexpr int kDefaultMaxExceptionDays = 90;
inline constexpr int kDefaultExceptionWarningDays = 14;

ExceptionState StateAt(const RuleException& exception, TimePoint now,
                       int warning_days = kDefaultExceptionWarningDays);

// Whole days until it expires, rounded up (an exception expiring in 3 hours has 1 day left); 0
// once expired.
int DaysLeft(TimePoint expires, TimePoint now);

// "exception billing-open-egress (team-billing@example.com) expires in 9 days": the warning for
// a request that relies on an exception close to its expiry.
std::string ExpiryWarning(const Exemption& exemption, TimePoint now);

// The checks of loading that depend on the time (see LoadRuleSet): an exception may not expire
// more than `max_days` whole days after the day of `now` (UTC). Returns the message for one that
// does.
std::optional<std::string> ExpiryTooFar(TimePoint expires, TimePoint now, int max_days);

}  // namespace netadmit
