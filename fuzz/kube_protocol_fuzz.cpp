// Feeds arbitrary bytes to the list/watch protocol decoders — what the API server, or anything
// between it and netadmit, sends — and puts whatever decodes into a cluster cache, which is then
// read the way rule kinds read it. None of it may crash, hang or leak.
//
// The first byte chooses the resource kind (its value mod 4, in kClusterKinds order) and the form
// (its value / 4 mod 4): a LIST page, a watch stream (arriving in pieces, split into lines), a
// Status body (also read as the discovery documents, APIGroup and APIResourceList, and chosen
// from as discovery does), or a Retry-After value. The rest is the body.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/discovery.h"
#include "kube/protocol.h"
#include "netadmit/cluster/cluster.h"

namespace {

using netadmit::ClusterCache;
using netadmit::ClusterKind;
using netadmit::ClusterObject;

// Reads every namespace an object named, as the rule kinds would.
void ReadBack(const ClusterCache& cache, const std::set<std::string>& namespaces) {
  netadmit::LabelSelector by_app;
  by_app.match_labels = {{"app", "web"}};
  for (const auto& ns : cache.Namespaces()) {
    (void)cache.Namespace(ns->name);
  }
  for (const std::string& name : namespaces) {
    (void)cache.Policies(name);
    (void)cache.Pods(name, netadmit::LabelSelector{});
    (void)cache.Pods(name, by_app);
    (void)cache.ConfigMaps(name);
  }
}

void RememberNamespace(const ClusterObject& object, std::set<std::string>& namespaces) {
  namespaces.insert(object.namespace_name());
  if (object.kind == ClusterKind::kNamespace) {
    namespaces.insert(object.name());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const ClusterKind kind = netadmit::kClusterKinds[data[0] % netadmit::kClusterKinds.size()];
  const int form = (data[0] / 4) % 4;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  ClusterCache cache;
  std::set<std::string> namespaces;
  switch (form) {
    case 0: {
      auto page = netadmit::kube::ParseListPage(kind, body);
      if (page) {
        for (const ClusterObject& object : page->items) {
          RememberNamespace(object, namespaces);
        }
        cache.Replace(kind, std::move(page->items));
      }
      break;
    }
    case 1: {
      netadmit::kube::LineSplitter splitter(64 * 1024);
      const auto on_line = [&](std::string_view line) {
        auto event = netadmit::kube::ParseWatchEvent(kind, line);
        if (!event || !event->object) {
          return;
        }
        RememberNamespace(*event->object, namespaces);
        using netadmit::kube::WatchEventType;
        const netadmit::EventType type =
            event->type == WatchEventType::kDeleted    ? netadmit::EventType::kDeleted
            : event->type == WatchEventType::kModified ? netadmit::EventType::kModified
                                                       : netadmit::EventType::kAdded;
        cache.Apply(type, *std::move(event->object));
      };
      // Pieces of uneven size, as TLS records and chunks cut a stream.
      for (std::size_t at = 0, piece = 1; at < body.size();
           at += piece, piece = piece * 3 % 97 + 1) {
        if (!splitter.Feed(body.substr(at, piece), on_line)) {
          break;
        }
      }
      break;
    }
    case 2: {
      (void)netadmit::kube::ParseStatus(body);
      (void)netadmit::kube::ParseApiGroupVersions(body);
      if (auto resources = netadmit::kube::ParseApiResources(body)) {
        netadmit::kube::ServedVersions served;
        served["v1alpha1"] = *resources;
        served["v1beta1"] = *std::move(resources);
        (void)netadmit::kube::ChooseClusterPolicyResources(served);
      }
      break;
    }
    default:
      (void)netadmit::kube::ParseRetryAfter(body);
      break;
  }
  ReadBack(cache, namespaces);
  return 0;
}
