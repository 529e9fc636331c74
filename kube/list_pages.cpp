#include "kube/list_pages.h"

#include <chrono>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kube/protocol.h"
#include "netadmit/codec/decode.h"

namespace netadmit::kube {

namespace {

constexpr int kAttempts = 3;
constexpr std::chrono::milliseconds kRequestTimeout{30'000};

Result<std::string> GetWithRetries(Watcher& api, const std::string& target,
                                   const std::string& what) {
  std::optional<Error> last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::seconds(attempt));
    }
    auto body = api.GetNow(target, what, kRequestTimeout);
    if (body) {
      return body;
    }
    last = body.error();
  }
  return *last;
}

}  // namespace

Status ListItems(Watcher& api, std::string_view path, std::string_view what,
                 const std::function<void(const rapidjson::Value& item)>& on_item, int page_limit) {
  std::string token;
  do {
    std::string target = std::string(path) +
                         (path.find('?') == std::string_view::npos ? "?" : "&") +
                         "limit=" + std::to_string(page_limit);
    if (!token.empty()) {
      target += "&continue=" + QueryEscape(token);
    }
    auto body = GetWithRetries(api, target, std::string(what));
    if (!body) {
      return body.error();
    }
    rapidjson::Document page;
    page.Parse<rapidjson::kParseIterativeFlag>(body->data(), body->size());
    const rapidjson::Value* items = page.HasParseError() ? nullptr : JsonMember(page, "items");
    if (items == nullptr || !items->IsArray()) {
      return Error{"", 0, 0, "", std::string(what) + ": the answer is not a list"};
    }
    for (const rapidjson::Value& item : items->GetArray()) {
      on_item(item);
    }
    const rapidjson::Value* metadata = JsonMember(page, "metadata");
    const rapidjson::Value* next =
        metadata != nullptr ? JsonMember(*metadata, "continue") : nullptr;
    token = next != nullptr && next->IsString() ? next->GetString() : "";
  } while (!token.empty());
  return Ok{};
}

Status ListIntoCache(Watcher& api, ClusterCache& cache, int page_limit) {
  for (const ClusterKind kind :
       {ClusterKind::kNamespace, ClusterKind::kNetworkPolicy, ClusterKind::kPod}) {
    std::vector<ClusterObject> objects;
    std::string token;
    const std::string what = std::string("list of ") + ClusterKindName(kind);
    do {
      auto body = GetWithRetries(api, ListTarget(Resource{kind, "", ""}, page_limit, token), what);
      if (!body) {
        return body.error();
      }
      auto page = ParseListPage(kind, *body);
      if (!page) {
        return Error{"", 0, 0, "", what + ": " + page.error().ToString()};
      }
      std::move(page->items.begin(), page->items.end(), std::back_inserter(objects));
      token = page->continue_token;
    } while (!token.empty());
    cache.Replace(kind, std::move(objects));
  }
  return Ok{};
}

}  // namespace netadmit::kube
