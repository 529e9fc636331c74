// The list/watch protocol of a Kubernetes API server, as v1.28 speaks it (see
// tests/fixtures/apiserver-v1.28-watch/README.md): LIST items carry no kind, watch objects do;
// every error is a Status; a watch that is too old answers 200 and one ERROR event.

#include "kube/protocol.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "netadmit/codec/decode.h"
#include "netadmit/model/cluster_policy.h"

namespace netadmit::kube {

namespace {

using rapidjson::Value;

std::string StringOf(const Value* value) {
  if (value == nullptr || !value->IsString()) {
    return {};
  }
  return std::string(value->GetString(), value->GetStringLength());
}

bool Parse(rapidjson::Document& doc, std::string_view text) {
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !doc.HasParseError();
}

std::string ApiPrefix(ClusterKind kind, std::string_view version) {
  if (kind == ClusterKind::kNetworkPolicy) {
    return "/apis/networking.k8s.io/v1";
  }
  if (const auto& versions = PolicyVersions(kind); !versions.empty()) {
    return "/apis/" + std::string(kPolicyApiGroup) + "/" +
           std::string(version.empty() ? versions.front() : version);
  }
  return "/api/v1";
}

std::string CollectionPath(ClusterKind kind, std::string_view namespace_name,
                           std::string_view version = {}) {
  std::string path = ApiPrefix(kind, version);
  if (!namespace_name.empty() && kind != ClusterKind::kNamespace) {
    path += "/namespaces/";
    path += namespace_name;
  }
  path += '/';
  path += ClusterKindName(kind);
  return path;
}

std::optional<ApiStatus> StatusOf(const Value& json) {
  if (!json.IsObject() || StringOf(JsonMember(json, "kind")) != "Status") {
    return std::nullopt;
  }
  ApiStatus status;
  if (const Value* code = JsonMember(json, "code"); code != nullptr && code->IsInt()) {
    status.code = code->GetInt();
  }
  status.reason = StringOf(JsonMember(json, "reason"));
  status.message = StringOf(JsonMember(json, "message"));
  return status;
}

}  // namespace

std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

const std::vector<std::string_view>& PolicyVersions(ClusterKind kind) {
  static const std::vector<std::string_view> kV1alpha1 = {"v1alpha1"};
  static const std::vector<std::string_view> kClusterNetworkPolicy = {"v1beta1", "v1alpha2"};
  static const std::vector<std::string_view> kNone;
  switch (kind) {
    case ClusterKind::kAdminNetworkPolicy:
    case ClusterKind::kBaselineAdminNetworkPolicy:
      return kV1alpha1;
    case ClusterKind::kClusterNetworkPolicy:
      return kClusterNetworkPolicy;
    default:
      return kNone;
  }
}

std::string ListTarget(const Resource& resource, int limit, std::string_view continue_token) {
  std::string target = CollectionPath(resource.kind, resource.namespace_name, resource.version);
  char separator = '?';
  auto add = [&](std::string_view key, std::string_view value) {
    target += separator;
    target += key;
    target += '=';
    target += QueryEscape(value);
    separator = '&';
  };
  if (!resource.label_selector.empty()) {
    add("labelSelector", resource.label_selector);
  }
  if (limit > 0) {
    add("limit", std::to_string(limit));
  }
  if (!continue_token.empty()) {
    add("continue", continue_token);
  }
  return target;
}

std::string WatchTarget(const Resource& resource, std::string_view resource_version,
                        int timeout_seconds) {
  std::string target = CollectionPath(resource.kind, resource.namespace_name, resource.version);
  if (!resource.label_selector.empty()) {
    target += "?labelSelector=" + QueryEscape(resource.label_selector) + "&watch=1";
  } else {
    target += "?watch=1";
  }
  target += "&resourceVersion=" + QueryEscape(resource_version) + "&allowWatchBookmarks=true";
  if (timeout_seconds > 0) {
    target += "&timeoutSeconds=" + std::to_string(timeout_seconds);
  }
  return target;
}

std::string NamespacedListTarget(ClusterKind kind, std::string_view namespace_name) {
  return CollectionPath(kind, namespace_name);
}

std::optional<ApiStatus> ParseStatus(std::string_view body) {
  rapidjson::Document doc;
  if (!Parse(doc, body)) {
    return std::nullopt;
  }
  return StatusOf(doc);
}

Result<ListPage> ParseListPage(ClusterKind kind, std::string_view body) {
  rapidjson::Document doc;
  if (!Parse(doc, body)) {
    return Error{"", 0, 0, "", "the LIST response is not JSON"};
  }
  if (!doc.IsObject()) {
    return Error{"", 0, 0, "", "the LIST response is not an object"};
  }
  if (auto status = StatusOf(doc)) {
    return Error{"", 0, 0, "", "Status " + std::to_string(status->code) + ": " + status->message};
  }
  ListPage page;
  const Value* metadata = JsonMember(doc, "metadata");
  if (metadata == nullptr || !metadata->IsObject()) {
    return Error{"", 0, 0, "metadata", "expected an object"};
  }
  const Value* rv = JsonMember(*metadata, "resourceVersion");
  if (rv == nullptr || !rv->IsString() || rv->GetStringLength() == 0) {
    return Error{"", 0, 0, "metadata.resourceVersion", "expected a non-empty string"};
  }
  page.resource_version = StringOf(rv);
  if (const Value* token = JsonMember(*metadata, "continue");
      token != nullptr && !token->IsString()) {
    return Error{"", 0, 0, "metadata.continue", "expected a string"};
  }
  page.continue_token = StringOf(JsonMember(*metadata, "continue"));
  const Value* items = JsonMember(doc, "items");
  if (items == nullptr) {
    return page;  // an empty list may come as "items":null
  }
  if (!items->IsArray()) {
    return Error{"", 0, 0, "items", "expected a list"};
  }
  page.items.reserve(items->Size());
  for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
    auto object = DecodeClusterObject(kind, (*items)[i]);
    if (!object.ok()) {
      Error error = object.error();
      const std::string prefix = "items[" + std::to_string(i) + "]";
      error.path = error.path.empty() ? prefix : prefix + "." + error.path;
      return error;
    }
    page.items.push_back(std::move(*object));
  }
  return page;
}

Result<WatchEvent> ParseWatchEvent(ClusterKind kind, std::string_view line) {
  rapidjson::Document doc;
  if (!Parse(doc, line)) {
    return Error{"", 0, 0, "", "the watch event is not JSON"};
  }
  const Value* type = JsonMember(doc, "type");
  const Value* object = JsonMember(doc, "object");
  if (type == nullptr || !type->IsString()) {
    return Error{"", 0, 0, "type", "expected a string"};
  }
  if (object == nullptr || !object->IsObject()) {
    return Error{"", 0, 0, "object", "expected an object"};
  }
  const std::string type_name = StringOf(type);
  WatchEvent event;
  if (type_name == "ERROR") {
    event.type = WatchEventType::kError;
    if (auto status = StatusOf(*object)) {
      event.status = std::move(*status);
    }
    return event;
  }
  if (type_name == "BOOKMARK") {
    event.type = WatchEventType::kBookmark;
    const Value* metadata = JsonMember(*object, "metadata");
    event.resource_version =
        metadata != nullptr ? StringOf(JsonMember(*metadata, "resourceVersion")) : std::string();
    if (event.resource_version.empty()) {
      return Error{"", 0, 0, "object.metadata.resourceVersion", "missing in a BOOKMARK"};
    }
    return event;
  }
  if (type_name == "ADDED") {
    event.type = WatchEventType::kAdded;
  } else if (type_name == "MODIFIED") {
    event.type = WatchEventType::kModified;
  } else if (type_name == "DELETED") {
    event.type = WatchEventType::kDeleted;
  } else {
    return Error{"", 0, 0, "type", "unknown watch event type \"" + type_name + "\""};
  }
  auto decoded = DecodeClusterObject(kind, *object);
  if (!decoded.ok()) {
    Error error = decoded.error();
    error.path = error.path.empty() ? "object" : "object." + error.path;
    return error;
  }
  event.resource_version = decoded->resource_version;
  event.object = std::move(*decoded);
  return event;
}

bool LineSplitter::Feed(std::string_view bytes,
                        const std::function<void(std::string_view)>& on_line) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      pending_.append(bytes);
      return pending_.size() <= max_line_;
    }
    std::string_view line = bytes.substr(0, newline);
    bytes.remove_prefix(newline + 1);
    if (!pending_.empty()) {
      pending_.append(line);
      if (pending_.size() > max_line_) {
        return false;
      }
      const std::string whole = std::move(pending_);
      pending_.clear();
      on_line(whole);
    } else if (!line.empty()) {
      if (line.size() > max_line_) {
        return false;
      }
      on_line(line);
    }
  }
  return true;
}

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                 std::function<double()> random)
    : initial_(initial), max_(max), random_(std::move(random)) {}

std::chrono::milliseconds Backoff::Next() {
  // Doubling stops at the cap; the exponent is bounded so the shift cannot overflow.
  const int exponent = std::min(attempt_, 30);
  ++attempt_;
  const double base = std::min(static_cast<double>(initial_.count()) * std::ldexp(1.0, exponent),
                               static_cast<double>(max_.count()));
  const double factor = 0.5 + 0.5 * std::clamp(random_(), 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(base * factor));
}

std::chrono::seconds ParseRetryAfter(std::string_view value) {
  // Into an unsigned type, from_chars takes digits only: no sign, no space, no fraction.
  uint32_t seconds = 0;
  const char* end = value.data() + value.size();
  if (value.empty() || value.size() > 9 || std::from_chars(value.data(), end, seconds).ptr != end) {
    return std::chrono::seconds(0);
  }
  return std::min(std::chrono::seconds(seconds), kMaxRetryAfter);
}

}  // namespace netadmit::kube
