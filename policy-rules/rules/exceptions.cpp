// Rule exceptions: what they match, when they expire, and how they are read. See exceptions.h.

#include "netadmit/rules/exceptions.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "netadmit/rules/params.h"
#include "netadmit/rules/review.h"  // OneLine
#include "rules/exception_reader.h"

namespace netadmit {

namespace {

using Days = std::chrono::days;

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;

// The fields of one exception, for the strict map check.
const std::set<std::string_view> kExceptionFields = {"name",    "rules", "match",
                                                     "expires", "owner", "reason"};
const std::set<std::string_view> kMatchFields = {"namespaces", "kinds", "names", "labelSelector"};

// Reads `count` decimal digits at `pos` of `text` into `value`.
bool Digits(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) {
    return false;
  }
  const char* begin = text.data() + pos;
  if (!std::all_of(begin, begin + count, [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::from_chars(begin, begin + count, value).ec == std::errc();
}

Error BadExpiry(std::string_view text, const std::string& why) {
  Error error;
  // The text echoed is cut, and kept on one line.
  error.message = "invalid expiry \"" + OneLine(text, 40) + "\": " + std::string(why) +
                  " — write a date (2027-03-31, which holds through that day, UTC) or an RFC 3339 "
                  "time (2027-03-31T18:00:00Z)";
  return error;
}

std::string Plural(int count, std::string_view word) {
  return std::to_string(count) + " " + std::string(word) + (count == 1 ? "" : "s");
}

// A scalar with something in it besides blanks.
bool Blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// A list of scalars at `key` of `map`, each read by `read(item, item_path)`; absent: empty.
template <typename Read>
void ReadList(DocumentReader& reader, const YAML::Node& map, std::string_view key,
              std::string_view path, std::string_view what, Read read) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) {
    return;
  }
  const std::string list_path = Field(path, key);
  if (!node.IsSequence()) {
    reader.Fail(node, list_path, "expected a list of " + std::string(what));
    return;
  }
  for (size_t i = 0; i < node.size() && !reader.error_; ++i) {
    const YAML::Node item = node[i];
    if (!item.IsScalar()) {
      reader.Fail(item, Indexed(list_path, i), "expected one of " + std::string(what));
      return;
    }
    read(item, Indexed(list_path, i));
  }
}

// A list of NamePatterns at `key` of `map`; `at`, when given, gets where each is written.
std::vector<NamePattern> ReadPatterns(DocumentReader& reader, const YAML::Node& map,
                                      std::string_view key, std::string_view path,
                                      std::string_view what, std::vector<Error>* at = nullptr) {
  std::vector<NamePattern> patterns;
  ReadList(reader, map, key, path, what, [&](const YAML::Node& item, const std::string& item_path) {
    auto pattern = NamePattern::Parse(item.Scalar());
    if (!pattern) {
      reader.Fail(item, item_path, pattern.error().message);
      return;
    }
    patterns.push_back(*std::move(pattern));
    if (at != nullptr) {
      at->push_back(ErrorAt(item, reader.file(), item_path, ""));
    }
  });
  return patterns;
}

void ReadMatch(DocumentReader& reader, const YAML::Node& exception, const std::string& path,
               const std::string& name, ExceptionMatch& match) {
  const YAML::Node node = exception["match"];
  const std::string match_path = Field(path, "match");
  if (!node.IsDefined() || node.IsNull()) {
    reader.Fail(exception, match_path,
                "exception \"" + name +
                    "\" has no match: waiving a rule everywhere is disabling it — change the rule "
                    "instead, or give match.namespaces (and kinds, names, labelSelector) for the "
                    "objects it is for");
    return;
  }
  if (!reader.Map(node, match_path, kMatchFields)) {
    return;
  }
  match.namespaces = reader.Namespaces(node, "namespaces", match_path);
  if (reader.error_) {
    return;
  }
  if (match.namespaces.empty()) {
    reader.Fail(node, Field(match_path, "namespaces"),
                "exception \"" + name +
                    "\" names no namespace — list the namespaces it is for in match.namespaces "
                    "(globs allowed)");
    return;
  }
  ReadList(reader, node, "kinds", match_path, "kinds (e.g. NetworkPolicy, Deployment)",
           [&](const YAML::Node& item, const std::string& item_path) {
             if (item.Scalar().empty() || Blank(item.Scalar())) {
               reader.Fail(item, item_path, "empty kind");
               return;
             }
             match.kinds.push_back(item.Scalar());
           });
  match.names = ReadPatterns(reader, node, "names", match_path, "object names or patterns");
  if (reader.error_) {
    return;
  }
  if (const YAML::Node selector = node["labelSelector"];
      selector.IsDefined() && !selector.IsNull()) {
    auto parsed = ParseLabelSelector(selector, reader.file(), Field(match_path, "labelSelector"));
    if (!parsed) {
      reader.Adopt(parsed.error());
      return;
    }
    match.label_selector = *std::move(parsed);
  }
}

// owner and reason: required, and not blank.
std::string Required(DocumentReader& reader, const YAML::Node& node, std::string_view key,
                     const std::string& path, const std::string& name, std::string_view hint) {
  const YAML::Node value = node[std::string(key)];
  if (!value.IsDefined() || value.IsNull() || (value.IsScalar() && Blank(value.Scalar()))) {
    reader.Fail(
        value.IsDefined() ? value : node, Field(path, key),
        "exception \"" + name + "\" has no " + std::string(key) + " — " + std::string(hint));
    return {};
  }
  return reader.String(node, key, path, true);
}

void ReadOne(DocumentReader& reader, const YAML::Node& node, const std::string& path,
             const LoadLimits& limits, std::vector<ReadException>& out) {
  if (!reader.Map(node, path, kExceptionFields)) {
    return;
  }
  ReadException read;
  RuleException& exception = read.exception;
  exception.name = reader.String(node, "name", path, true);
  if (reader.error_) {
    return;
  }
  read.name_at = ErrorAt(node["name"], reader.file(), Field(path, "name"), "");
  if (!ValidId(exception.name)) {
    reader.Fail(node["name"], Field(path, "name"),
                "exception name \"" + exception.name +
                    "\" must be 1-63 lowercase letters, digits, '-' or '.', starting and ending "
                    "with a letter or digit");
    return;
  }
  exception.source = reader.file() + ":" + std::to_string(node.Mark().line + 1);
  const YAML::Node rules = node["rules"];
  if (!rules.IsDefined() || rules.IsNull() || (rules.IsSequence() && rules.size() == 0)) {
    reader.Fail(rules.IsDefined() ? rules : node, Field(path, "rules"),
                "exception \"" + exception.name +
                    "\" names no rule — list the rule ids it waives (globs allowed)");
    return;
  }
  exception.rules =
      ReadPatterns(reader, node, "rules", path, "rule ids or patterns", &read.rules_at);
  if (reader.error_) {
    return;
  }
  ReadMatch(reader, node, path, exception.name, exception.match);
  if (reader.error_) {
    return;
  }
  const YAML::Node expires = node["expires"];
  if (!expires.IsDefined() || expires.IsNull()) {
    reader.Fail(node, Field(path, "expires"),
                "exception \"" + exception.name +
                    "\" has no expires — give the date it ends (at most " +
                    Plural(limits.max_exception_days, "day") + " ahead); renew it if need be");
    return;
  }
  exception.expires_text = reader.String(node, "expires", path, true);
  if (reader.error_) {
    return;
  }
  auto parsed = ParseExpiry(exception.expires_text);
  if (!parsed) {
    reader.Fail(expires, Field(path, "expires"), parsed.error().message);
    return;
  }
  exception.expires = *parsed;
  if (auto too_far = ExpiryTooFar(exception.expires, limits.now, limits.max_exception_days)) {
    reader.Fail(expires, Field(path, "expires"),
                "exception \"" + exception.name + "\" " + *too_far);
    return;
  }
  exception.owner = Required(reader, node, "owner", path, exception.name,
                             "name who answers for it (a team or an address)");
  if (reader.error_) {
    return;
  }
  exception.reason = Required(reader, node, "reason", path, exception.name,
                              "say why the rule cannot be met yet (and the ticket)");
  if (reader.error_) {
    return;
  }
  out.push_back(std::move(read));
}

}  // namespace

bool ExceptionMatch::Matches(const Object& object) const {
  if (!AnyMatches(namespaces, object.metadata.namespace_name)) {
    return false;
  }
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), object.kind) == kinds.end()) {
    return false;
  }
  if (!names.empty() && !AnyNameMatches(names, object.metadata.name)) {
    return false;
  }
  if (label_selector) {
    const PodTemplate* pod_template = object.pod_template();
    return label_selector->Matches(object.metadata.labels) ||
           (pod_template != nullptr && label_selector->Matches(pod_template->labels));
  }
  return true;
}

bool RuleException::Covers(std::string_view rule_id, const Object& object, TimePoint now) const {
  return !Expired(now) && NamesRule(rule_id) && match.Matches(object);
}

Result<TimePoint> ParseExpiry(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() < 10 || !Digits(text, 0, 4, year) || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day)) {
    return BadExpiry(text, "not a date");
  }
  // Far enough for any exception, and within what the clock's nanoseconds hold (to 2262).
  if (year < kMinYear || year > kMaxYear) {
    return BadExpiry(text, "the year is not between " + std::to_string(kMinYear) + " and " +
                               std::to_string(kMaxYear));
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return BadExpiry(text, "no such date");
  }
  const std::chrono::sys_days midnight(date);
  if (text.size() == 10) {
    // A date holds through its last second.
    return TimePoint(midnight + Days(1));
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  if ((text[10] != 'T' && text[10] != 't') || !Digits(text, 11, 2, hour) || text.size() < 19 ||
      text[13] != ':' || !Digits(text, 14, 2, minute) || text[16] != ':' ||
      !Digits(text, 17, 2, second) || hour > 23 || minute > 59 || second > 59) {
    return BadExpiry(text, "not an RFC 3339 time");
  }
  std::size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    const std::size_t digits_begin = pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
    }
    if (pos == digits_begin) {
      return BadExpiry(text, "no digits after the decimal point");
    }
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int offset_hours = 0;
    int offset_minutes = 0;
    if (!Digits(text, pos + 1, 2, offset_hours) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return BadExpiry(text, "invalid time zone offset");
    }
    offset = std::chrono::hours(offset_hours) + std::chrono::minutes(offset_minutes);
    if (text[pos] == '-') {
      offset = -offset;
    }
    pos += 6;
  } else {
    return BadExpiry(text, "no time zone (end it with Z or an offset such as +02:00)");
  }
  if (pos != text.size()) {
    return BadExpiry(text, "unexpected text after the time");
  }
  const auto local = midnight + std::chrono::hours(hour) + std::chrono::minutes(minute) +
                     std::chrono::seconds(second);
  return std::chrono::time_point_cast<TimePoint::duration>(local - offset + fraction);
}

const RuleException* CoveringException(std::span<const RuleException> exceptions,
                                       std::string_view rule_id, const Object& object,
                                       TimePoint now) {
  for (const RuleException& exception : exceptions) {
    if (exception.Covers(rule_id, object, now)) {
      return &exception;
    }
  }
  return nullptr;
}

const char* ExceptionStateName(ExceptionState state) {
  switch (state) {
    case ExceptionState::kActive:
      return "active";
    case ExceptionState::kExpiring:
      return "expiring";
    case ExceptionState::kExpired:
      return "expired";
  }
  return "expired";
}

ExceptionState StateAt(const RuleException& exception, TimePoint now, int warning_days) {
  if (exception.Expired(now)) {
    return ExceptionState::kExpired;
  }
  return exception.expires - now <= Days(warning_days) ? ExceptionState::kExpiring
                                                       : ExceptionState::kActive;
}

int DaysLeft(TimePoint expires, TimePoint now) {
  if (now >= expires) {
    return 0;
  }
  return static_cast<int>(std::chrono::ceil<Days>(expires - now).count());
}

std::string ExpiryWarning(const Exemption& exemption, TimePoint now) {
  return "exception " + exemption.exception + " (" + exemption.owner + ") expires in " +
         Plural(DaysLeft(exemption.expires, now), "day");
}

std::optional<std::string> ExpiryTooFar(TimePoint expires, TimePoint now, int max_days) {
  const auto today = std::chrono::floor<Days>(now);
  if (expires <= today + Days(max_days + 1)) {
    return std::nullopt;
  }
  return "expires " + Plural(DaysLeft(expires, now), "day") + " from now, past the limit of " +
         Plural(max_days, "day") +
         " (--max-exception-days) — set an earlier expiry, and renew it when it comes due";
}

void ReadExceptionList(DocumentReader& reader, const YAML::Node& node, const std::string& path,
                       const LoadLimits& limits, std::vector<ReadException>& out) {
  if (!node.IsDefined() || node.IsNull()) {
    return;
  }
  if (!node.IsSequence()) {
    reader.Fail(node, path, "expected a list of exceptions");
    return;
  }
  for (size_t i = 0; i < node.size() && !reader.error_; ++i) {
    ReadOne(reader, node[i], Indexed(path, i), limits, out);
  }
}

std::optional<Error> CheckExceptions(const std::vector<ReadException>& exceptions,
                                     const std::vector<CompiledRule>& rules) {
  std::map<std::string_view, const ReadException*> names;
  for (const ReadException& read : exceptions) {
    const RuleException& exception = read.exception;
    if (auto [previous, inserted] = names.emplace(exception.name, &read); !inserted) {
      Error error = read.name_at;
      error.message = "duplicate exception name \"" + exception.name + "\" (first defined at " +
                      previous->second->exception.source + ") — give each exception its own name";
      return error;
    }
    for (size_t i = 0; i < exception.rules.size(); ++i) {
      const NamePattern& pattern = exception.rules[i];
      const bool known = std::any_of(rules.begin(), rules.end(), [&](const CompiledRule& rule) {
        return pattern.Matches(rule.id);
      });
      if (!known) {
        Error error = read.rules_at[i];
        error.message = "exception \"" + exception.name + "\" names rule \"" + pattern.text() +
                        "\", which matches no loaded rule — use the id of a rule in the rule "
                        "sets (or a glob that matches one)";
        return error;
      }
    }
  }
  return std::nullopt;
}

}  // namespace netadmit
