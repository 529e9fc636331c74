#include "kube/list_pages.h"

#include <chrono>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kube/discovery.h"
#include "kube/protocol.h"
#include "netadmit/codec/decode.h"

namespace netadmit::kube {

namespace {

constexpr int kAttempts = 3;
constexpr std::chrono::milliseconds kRequestTimeout{30'000};

// `attempt()` (a Result) up to kAttempts times, a second, then two, apart.
template <typename Attempt>
auto WithRetries(const Attempt& attempt) -> decltype(attempt()) {
  std::optional<Error> last;
  for (int tried = 0; tried < kAttempts; ++tried) {
    if (tried > 0) {
      std::this_thread::sleep_for(std::chrono::seconds(tried));
    }
    auto answer = attempt();
    if (answer) {
      return answer;
    }
    last = answer.error();
  }
  return *last;
}

Result<std::string> GetWithRetries(Watcher& api, const std::string& target,
                                   const std::string& what) {
  return WithRetries([&] { return api.GetNow(target, what, kRequestTimeout); });
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

Result<std::vector<Resource>> DiscoverClusterPolicies(Watcher& api) {
  return WithRetries([&] { return api.DiscoverNow(kRequestTimeout); });
}

Status ForEachAuditedKind(Watcher& api, const std::function<Status(const AuditedKind&)>& list) {
  // Asked only once a cluster-scoped kind comes: an API server that cannot be read fails on the
  // first list, which says so more plainly than discovery would.
  std::optional<std::vector<Resource>> cluster_policies;
  for (const AuditedKind& kind : AuditedKinds()) {
    if (kind.cluster_policy && !cluster_policies) {
      auto found = DiscoverClusterPolicies(api);
      if (!found) {
        return found.error();
      }
      cluster_policies = std::move(*found);
    }
    if (!AuditLists(kind, cluster_policies.value_or(std::vector<Resource>{}))) {
      continue;
    }
    if (Status listed = list(kind); !listed) {
      return listed;
    }
  }
  return Ok{};
}

Status ListIntoCache(Watcher& api, ClusterCache& cache, int page_limit) {
  auto list = [&](const Resource& resource) -> Status {
    const ClusterKind kind = resource.kind;
    std::vector<ClusterObject> objects;
    std::string token;
    const std::string what = std::string("list of ") + ClusterKindName(kind);
    do {
      auto body = GetWithRetries(api, ListTarget(resource, page_limit, token), what);
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
    return Ok{};
  };
  for (const ClusterKind kind :
       {ClusterKind::kNamespace, ClusterKind::kNetworkPolicy, ClusterKind::kPod}) {
    if (Status listed = list(Resource{kind, "", ""}); !listed) {
      return listed;
    }
  }
  // Discovery after the kinds every cluster serves, for the reason ForEachAuditedKind gives.
  auto cluster_policies = DiscoverClusterPolicies(api);
  if (!cluster_policies) {
    return cluster_policies.error();
  }
  for (const Resource& resource : *cluster_policies) {
    if (Status listed = list(resource); !listed) {
      return listed;
    }
  }
  return Ok{};
}

}  // namespace netadmit::kube
