#pragma once

// One-off LISTs, page by page, for work that reads the whole cluster once (the audit) rather
// than keeping a cache current (the watcher). Each page is asked for with `limit` and the
// previous page's `continue` token, and retried up to three times (a second, then two) when it
// gets no answer or an error: 429, 5xx, a dropped connection. A list that expired (410) fails
// after its retries; the caller lists again from the start. The cluster-scoped policies are
// listed only where discovery finds them served (discovery.h).

#include <rapidjson/document.h>

#include <functional>
#include <string_view>
#include <vector>

#include "kube/watcher.h"
#include "netadmit/cluster/cluster.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/audit.h"

namespace netadmit::kube {

inline constexpr int kListPageLimit = 500;

// Lists the collection at `path` ("/apis/apps/v1/deployments"), handing each item to `on_item`;
// only one page is in memory at a time. `what` names the list in errors ("list of
// Deployments").
Status ListItems(Watcher& api, std::string_view path, std::string_view what,
                 const std::function<void(const rapidjson::Value& item)>& on_item,
                 int page_limit = kListPageLimit);

// Asks discovery which cluster-scoped policy kinds are served (Watcher::DiscoverNow), with the
// same retries as a page.
Result<std::vector<Resource>> DiscoverClusterPolicies(Watcher& api);

// Calls `list` for each kind of AuditedKinds(), in its order; the cluster-scoped policies, which
// come last, only where discovery (asked once, when the first of them comes) finds them served.
// Stops at the first Error, of discovery or of `list`.
Status ForEachAuditedKind(Watcher& api, const std::function<Status(const AuditedKind&)>& list);

// Lists every Namespace, NetworkPolicy and Pod into `cache`, then the cluster-scoped policies
// discovery finds served, replacing what it held of each.
Status ListIntoCache(Watcher& api, ClusterCache& cache, int page_limit = kListPageLimit);

}  // namespace netadmit::kube
