#include "kube/leader_election.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <ctime>
#include <utility>

#include "netadmit/codec/decode.h"
#include "netadmit/codec/json.h"

namespace netadmit::kube {

namespace {

namespace http = boost::beast::http;

// A metav1.MicroTime for now: "2026-12-03T13:45:00.123456Z".
std::string MicroTimeNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          now.time_since_epoch() - std::chrono::seconds(seconds))
                          .count();
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[100];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long>(micros));
  return text;
}

std::string StringAt(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* value = JsonMember(object, key);
  return value != nullptr && value->IsString() ? value->GetString() : "";
}

}  // namespace

LeaderElector::LeaderElector(Watcher& api, LeaseOptions options)
    : api_(api), options_(std::move(options)) {}

LeaderElector::~LeaderElector() { Stop(); }

std::string LeaderElector::Path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + QueryEscape(options_.namespace_name) +
         "/leases";
}

std::string LeaderElector::LeaseJson(const Record& record, const std::string& holder,
                                     int duration_seconds, const std::string& renew_time,
                                     const std::string& acquire_time, int transitions) const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("apiVersion");
  writer.String("coordination.k8s.io/v1");
  writer.Key("kind");
  writer.String("Lease");
  writer.Key("metadata");
  writer.StartObject();
  writer.Key("name");
  WriteJsonString(writer, options_.name);
  writer.Key("namespace");
  WriteJsonString(writer, options_.namespace_name);
  if (!record.resource_version.empty()) {
    // Optimistic concurrency: the update fails with 409 when someone wrote in between.
    writer.Key("resourceVersion");
    WriteJsonString(writer, record.resource_version);
  }
  writer.EndObject();
  writer.Key("spec");
  writer.StartObject();
  writer.Key("holderIdentity");
  WriteJsonString(writer, holder);
  writer.Key("leaseDurationSeconds");
  writer.Int(duration_seconds);
  writer.Key("acquireTime");
  WriteJsonString(writer, acquire_time);
  writer.Key("renewTime");
  WriteJsonString(writer, renew_time);
  writer.Key("leaseTransitions");
  writer.Int(transitions);
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

LeaseAttempt LeaderElector::TryAcquireOrRenew() {
  const auto now = options_.now();
  const int duration_seconds =
      static_cast<int>(std::ceil(std::chrono::duration<double>(options_.lease_duration).count()));
  const std::string self = Path() + "/" + QueryEscape(options_.name);
  auto current = api_.SendNow(ApiWrite{http::verb::get, "", ""}, self, options_.request_timeout);
  if (!current) {
    return LeaseAttempt::kFailed;
  }
  const std::string stamp = MicroTimeNow();
  if (current->status == 404) {
    const std::string body =
        LeaseJson(Record{}, options_.identity, duration_seconds, stamp, stamp, 0);
    auto created = api_.SendNow(ApiWrite{http::verb::post, body}, Path(), options_.request_timeout);
    if (!created) {
      return LeaseAttempt::kFailed;
    }
    if (created->status == 201 || created->status == 200) {
      observed_ = options_.identity + "@" + stamp;
      observed_at_ = now;
      return LeaseAttempt::kLeading;
    }
    return created->status == 409 ? LeaseAttempt::kHeldByOther : LeaseAttempt::kFailed;
  }
  if (current->status != 200) {
    return LeaseAttempt::kFailed;
  }
  rapidjson::Document lease;
  lease.Parse<rapidjson::kParseIterativeFlag>(current->body.data(), current->body.size());
  if (lease.HasParseError() || !lease.IsObject()) {
    return LeaseAttempt::kFailed;
  }
  Record record;
  if (const rapidjson::Value* metadata = JsonMember(lease, "metadata")) {
    record.resource_version = StringAt(*metadata, "resourceVersion");
  }
  std::chrono::milliseconds holder_duration = options_.lease_duration;
  if (const rapidjson::Value* spec = JsonMember(lease, "spec")) {
    record.holder = StringAt(*spec, "holderIdentity");
    record.renew_time = StringAt(*spec, "renewTime");
    record.acquire_time = StringAt(*spec, "acquireTime");
    if (const rapidjson::Value* transitions = JsonMember(*spec, "leaseTransitions");
        transitions != nullptr && transitions->IsInt()) {
      record.transitions = transitions->GetInt();
    }
    if (const rapidjson::Value* duration = JsonMember(*spec, "leaseDurationSeconds");
        duration != nullptr && duration->IsInt()) {
      holder_duration = std::chrono::seconds(duration->GetInt());
    }
  }
  const std::string seen = record.holder + "@" + record.renew_time;
  if (seen != observed_) {
    observed_ = seen;
    observed_at_ = now;
  }
  const bool mine = record.holder == options_.identity;
  if (!mine && !record.holder.empty() && now < observed_at_ + holder_duration) {
    return LeaseAttempt::kHeldByOther;
  }
  const std::string body =
      LeaseJson(record, options_.identity, duration_seconds, stamp,
                mine ? record.acquire_time : stamp, record.transitions + (mine ? 0 : 1));
  auto updated = api_.SendNow(ApiWrite{http::verb::put, body}, self, options_.request_timeout);
  if (!updated) {
    return LeaseAttempt::kFailed;
  }
  if (updated->status == 200) {
    observed_ = options_.identity + "@" + stamp;
    observed_at_ = now;
    return LeaseAttempt::kLeading;
  }
  return updated->status == 409 ? LeaseAttempt::kHeldByOther : LeaseAttempt::kFailed;
}

void LeaderElector::Release() {
  const std::string self = Path() + "/" + QueryEscape(options_.name);
  auto current = api_.SendNow(ApiWrite{http::verb::get, "", ""}, self, options_.request_timeout);
  if (!current || current->status != 200) {
    return;
  }
  rapidjson::Document lease;
  lease.Parse<rapidjson::kParseIterativeFlag>(current->body.data(), current->body.size());
  if (lease.HasParseError() || !lease.IsObject()) {
    return;
  }
  Record record;
  if (const rapidjson::Value* metadata = JsonMember(lease, "metadata")) {
    record.resource_version = StringAt(*metadata, "resourceVersion");
  }
  const rapidjson::Value* spec = JsonMember(lease, "spec");
  if (spec == nullptr || StringAt(*spec, "holderIdentity") != options_.identity) {
    return;  // not ours to give up
  }
  const std::string stamp = MicroTimeNow();
  // An empty holder with a one-second lease: the next candidate takes it over at once. Should
  // this fail, the others wait out the lease as for a crashed holder.
  (void)api_.SendNow(
      ApiWrite{http::verb::put, LeaseJson(record, "", 1, stamp, StringAt(*spec, "acquireTime"),
                                          [&] {
                                            const rapidjson::Value* t =
                                                JsonMember(*spec, "leaseTransitions");
                                            return t != nullptr && t->IsInt() ? t->GetInt() : 0;
                                          }())},
      self, options_.request_timeout);
}

bool LeaderElector::Leading() const {
  const std::lock_guard lock(mutex_);
  return leading_;
}

void LeaderElector::SetLeading(bool leading) {
  {
    const std::lock_guard lock(mutex_);
    if (leading_ == leading) {
      return;
    }
    leading_ = leading;
  }
  if (options_.on_change) {
    options_.on_change(leading);
  }
}

void LeaderElector::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const LeaseAttempt attempt = TryAcquireOrRenew();
    const auto now = options_.now();
    if (attempt == LeaseAttempt::kLeading) {
      last_renewed_ = now;
      SetLeading(true);
    } else if (attempt == LeaseAttempt::kHeldByOther ||
               now - last_renewed_ > options_.renew_deadline) {
      // Another holder, or no renewal for the renew deadline: the others may take over soon,
      // so stop at once rather than act as a second leader.
      SetLeading(false);
    }
    lock.lock();
    wake_.wait_for(lock, options_.retry_period, [this] { return stopping_; });
  }
}

void LeaderElector::Start() {
  const std::lock_guard lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (Leading()) {
    Release();
    SetLeading(false);
  }
}

}  // namespace netadmit::kube
