#pragma once

// Structured logs: one JSON object per line. Decisions go to the decision stream (stdout), errors
// and lifecycle events to the event stream (stderr). Lines are written whole, under a lock, so
// threads never interleave. Request bodies and secrets are never logged.
//
// Decision lines are gathered and written together, every kDecisionFlushInterval or once
// kDecisionBufferBytes gather, and before any event line: one write per decision cost a busy
// server about 5% of its CPU. Nothing is held back longer than the interval, and everything is
// written when the Logger is destroyed (the server's normal exit, SIGTERM included).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>

#include "netadmit/rules/review.h"

namespace netadmit::server {

enum class LogStream { kDecision, kEvent };

// One key/value pair of an event line.
class LogField {
 public:
  LogField(std::string_view key, std::string_view value) : key_(key), value_(value) {}
  LogField(std::string_view key, const char* value) : key_(key), value_(std::string_view(value)) {}
  LogField(std::string_view key, const std::string& value)
      : key_(key), value_(std::string_view(value)) {}
  LogField(std::string_view key, int64_t value) : key_(key), value_(value) {}
  LogField(std::string_view key, int value) : key_(key), value_(static_cast<int64_t>(value)) {}
  LogField(std::string_view key, uint64_t value) : key_(key), value_(static_cast<int64_t>(value)) {}
  LogField(std::string_view key, bool value) : key_(key), value_(value) {}

  std::string_view key() const { return key_; }
  const std::variant<std::string_view, int64_t, bool>& value() const { return value_; }

 private:
  std::string_view key_;
  std::variant<std::string_view, int64_t, bool> value_;
};

// The JSON line for one admission decision: time, uid, kind, namespace, name, operation, user,
// dry_run, decision, outcome (pass, fail, warn, error, skip), the rules with findings and their
// actions (and the exception that waived one), and the microseconds taken.
std::string FormatDecision(const AdmissionRequest& request, const ReviewResult& result,
                           std::chrono::microseconds took,
                           std::chrono::system_clock::time_point now);

// The JSON line for an event: {"time", "level", "event", fields...}.
std::string FormatEvent(std::string_view level, std::string_view event,
                        std::initializer_list<LogField> fields,
                        std::chrono::system_clock::time_point now);

// RFC 3339 UTC time with microseconds: "2026-11-26T04:31:37.420009Z".
std::string FormatTime(std::chrono::system_clock::time_point time);

inline constexpr std::chrono::milliseconds kDecisionFlushInterval{100};
inline constexpr size_t kDecisionBufferBytes = 64 * 1024;

class Logger {
 public:
  using Sink = std::function<void(LogStream stream, std::string_view line)>;

  // Writes decisions to stdout (gathered, see above) and events to stderr.
  Logger();
  // Hands every line (without its newline) to `sink` at once; used by tests. With
  // `gather_decisions`, decision lines come to the sink together instead, as one piece of
  // lines each ending in '\n'.
  explicit Logger(Sink sink, bool gather_decisions = false);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void Decision(const AdmissionRequest& request, const ReviewResult& result,
                std::chrono::microseconds took);
  void Info(std::string_view event, std::initializer_list<LogField> fields = {});
  void Warn(std::string_view event, std::initializer_list<LogField> fields = {});
  void Error(std::string_view event, std::initializer_list<LogField> fields = {});

 private:
  void Write(LogStream stream, std::string_view line);
  // Hands the gathered decision lines to the sink as one piece; needs mutex_.
  void FlushDecisionsLocked();
  void FlushPeriodically(std::stop_token stop);

  Sink sink_;
  std::mutex mutex_;
  // Never notified: the flusher waits on it for the interval, and request_stop wakes it early.
  std::condition_variable_any wake_;
  // Decision lines not yet written, each ending in '\n' (only when gathering).
  std::string pending_decisions_;
  bool gather_decisions_ = false;
  std::jthread flusher_;  // last: it stops, and joins, before the members it uses go
};

}  // namespace netadmit::server
