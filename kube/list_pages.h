#pragma once

// One-off LISTs, page by page, for work that reads the whole cluster once (the audit) rather
// than keeping a cache current (the watcher). Each page is asked for with `limit` and the
// previous page's `continue` token, and retried up to three times (a second, then two) when it
// gets no answer or an error: 429, 5xx, a dropped connection. A list that expired (410) fails
// after its retries; the caller lists again from the start.

#include <rapidjson/document.h>

#include <functional>
#include <string_view>

#include "kube/watcher.h"
#include "netadmit/cluster/cluster.h"
#include "netadmit/model/result.h"

namespace netadmit::kube {

inline constexpr int kListPageLimit = 500;

// Lists the collection at `path` ("/apis/apps/v1/deployments"), handing each item to `on_item`;
// only one page is in memory at a time. `what` names the list in errors ("list of
// Deployments").
Status ListItems(Watcher& api, std::string_view path, std::string_view what,
                 const std::function<void(const rapidjson::Value& item)>& on_item,
                 int page_limit = kListPageLimit);

// Lists every Namespace, NetworkPolicy and Pod into `cache`, replacing what it held of each.
Status ListIntoCache(Watcher& api, ClusterCache& cache, int page_limit = kListPageLimit);

}  // namespace netadmit::kube
