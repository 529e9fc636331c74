#include "server/log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <ctime>

#include "netadmit/codec/json.h"

namespace netadmit::server {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteMember(JsonWriter& writer, std::string_view key, std::string_view value) {
  WriteJsonString(writer, key);
  WriteJsonString(writer, value);
}

void WriteField(JsonWriter& writer, const LogField& field) {
  WriteJsonString(writer, field.key());
  if (const auto* text = std::get_if<std::string_view>(&field.value())) {
    WriteJsonString(writer, *text);
  } else if (const auto* number = std::get_if<int64_t>(&field.value())) {
    writer.Int64(*number);
  } else {
    writer.Bool(std::get<bool>(field.value()));
  }
}

std::string Finish(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string FormatTime(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds);
  // Every decision line carries the time; the calendar part changes once a second, so each
  // thread keeps the last one it formatted.
  thread_local std::time_t cached_second = -1;
  thread_local char cached_text[32] = {};
  thread_local int cached_length = 0;
  const std::time_t whole = static_cast<std::time_t>(seconds.count());
  if (whole != cached_second) {
    std::tm utc{};
    gmtime_r(&whole, &utc);
    const int written = std::snprintf(
        cached_text, sizeof(cached_text), "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900,
        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    cached_length = written > 0 ? written : 0;
    cached_second = whole;
  }
  std::string text(cached_text, static_cast<size_t>(cached_length));
  char fraction[8] = {'.', '0', '0', '0', '0', '0', '0', 'Z'};
  auto digits = static_cast<long long>(micros.count());
  for (int i = 6; i >= 1 && digits > 0; --i, digits /= 10) {
    fraction[i] = static_cast<char>('0' + digits % 10);
  }
  text.append(fraction, sizeof(fraction));
  return text;
}

std::string FormatDecision(const AdmissionRequest& request, const ReviewResult& result,
                           std::chrono::microseconds took,
                           std::chrono::system_clock::time_point now) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  WriteMember(writer, "time", FormatTime(now));
  WriteMember(writer, "level", "info");
  WriteMember(writer, "event", "admission");
  WriteMember(writer, "uid", request.uid);
  WriteMember(writer, "kind", request.kind.kind);
  WriteMember(writer, "namespace", request.namespace_name);
  WriteMember(writer, "name", request.name);
  WriteMember(writer, "operation", OperationName(request.operation));
  WriteMember(writer, "user", request.user.username);
  writer.Key("dry_run");
  writer.Bool(request.dry_run);
  WriteMember(writer, "decision", result.response.allowed ? "allowed" : "denied");
  WriteMember(writer, "outcome", OutcomeName(result.outcome));
  writer.Key("findings");
  writer.StartArray();
  for (const auto& finding : result.evaluation.findings) {
    writer.StartObject();
    WriteMember(writer, "rule", finding.rule_id);
    WriteMember(writer, "action", ActionName(finding.action));
    WriteMember(writer, "path", finding.violation.path);
    if (finding.exemption) {
      WriteMember(writer, "exception", finding.exemption->exception);
    }
    writer.EndObject();
  }
  writer.EndArray();
  if (!result.error.empty()) {
    WriteMember(writer, "error", result.error);
  }
  writer.Key("took_us");
  writer.Int64(took.count());
  writer.EndObject();
  return Finish(buffer);
}

std::string FormatEvent(std::string_view level, std::string_view event,
                        std::initializer_list<LogField> fields,
                        std::chrono::system_clock::time_point now) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  WriteMember(writer, "time", FormatTime(now));
  WriteMember(writer, "level", level);
  WriteMember(writer, "event", event);
  for (const auto& field : fields) {
    WriteField(writer, field);
  }
  writer.EndObject();
  return Finish(buffer);
}

Logger::Logger()
    : Logger(
          [](LogStream stream, std::string_view text) {
            std::FILE* out = stream == LogStream::kDecision ? stdout : stderr;
            std::fwrite(text.data(), 1, text.size(), out);
            if (stream == LogStream::kEvent) {  // decisions come gathered, newlines included
              std::fputc('\n', out);
            }
            std::fflush(out);
          },
          true) {}

Logger::Logger(Sink sink, bool gather_decisions)
    : sink_(std::move(sink)), gather_decisions_(gather_decisions) {
  if (gather_decisions_) {
    flusher_ = std::jthread([this](std::stop_token stop) { FlushPeriodically(std::move(stop)); });
  }
}

Logger::~Logger() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  const std::lock_guard lock(mutex_);
  FlushDecisionsLocked();
}

void Logger::FlushPeriodically(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, kDecisionFlushInterval, [] { return false; });
    FlushDecisionsLocked();
  }
}

void Logger::FlushDecisionsLocked() {
  if (pending_decisions_.empty()) {
    return;
  }
  sink_(LogStream::kDecision, pending_decisions_);
  pending_decisions_.clear();
}

void Logger::Decision(const AdmissionRequest& request, const ReviewResult& result,
                      std::chrono::microseconds took) {
  Write(LogStream::kDecision,
        FormatDecision(request, result, took, std::chrono::system_clock::now()));
}

void Logger::Info(std::string_view event, std::initializer_list<LogField> fields) {
  Write(LogStream::kEvent, FormatEvent("info", event, fields, std::chrono::system_clock::now()));
}

void Logger::Warn(std::string_view event, std::initializer_list<LogField> fields) {
  Write(LogStream::kEvent, FormatEvent("warn", event, fields, std::chrono::system_clock::now()));
}

void Logger::Error(std::string_view event, std::initializer_list<LogField> fields) {
  Write(LogStream::kEvent, FormatEvent("error", event, fields, std::chrono::system_clock::now()));
}

void Logger::Write(LogStream stream, std::string_view line) {
  const std::lock_guard lock(mutex_);
  if (!gather_decisions_) {
    sink_(stream, line);
    return;
  }
  if (stream == LogStream::kDecision) {
    pending_decisions_.append(line).push_back('\n');
    if (pending_decisions_.size() >= kDecisionBufferBytes) {
      FlushDecisionsLocked();
    }
    return;
  }
  // Decisions taken before an event are written before it.
  FlushDecisionsLocked();
  sink_(stream, line);
}

}  // namespace netadmit::server
