#include "server/cluster_link.h"

#include <cstdlib>
#include <iterator>
#include <variant>

namespace netadmit::server {

namespace {

constexpr std::size_t Index(ClusterKind kind) { return static_cast<std::size_t>(kind); }

// Every kind the cache may hold: those every cluster serves, and the cluster-scoped policies
// (their series read 0 while their CRDs are not installed).
std::vector<ClusterKind> AllKinds() {
  std::vector<ClusterKind> kinds(kClusterKinds.begin(), kClusterKinds.end());
  kinds.insert(kinds.end(), kClusterPolicyKinds.begin(), kClusterPolicyKinds.end());
  return kinds;
}

}  // namespace

ClusterLink::ClusterLink(Logger& logger, prometheus::Registry& registry)
    : logger_(logger),
      active_(prometheus::BuildGauge()
                  .Name("netadmit_stateful_rules_active")
                  .Help("1 when a cluster connection feeds the stateful rules, 0 when they are "
                        "inactive (no --kubeconfig and no in-cluster environment)")
                  .Register(registry)
                  .Add({})),
      synced_(prometheus::BuildGauge()
                  .Name("netadmit_cluster_synced")
                  .Help("1 once every watched kind has been listed")
                  .Register(registry)
                  .Add({})) {
  auto& objects = prometheus::BuildGauge()
                      .Name("netadmit_cluster_objects")
                      .Help("Objects in the cluster cache, by kind")
                      .Register(registry);
  auto& generation = prometheus::BuildGauge()
                         .Name("netadmit_cluster_generation")
                         .Help(
                             "Changes applied to the cache, by kind (for configmaps: the "
                             "generation of the rule-set ConfigMaps)")
                         .Register(registry);
  auto& restarts = prometheus::BuildCounter()
                       .Name("netadmit_cluster_watch_restarts_total")
                       .Help("Watches that ended and were started again, by kind")
                       .Register(registry);
  auto& relists = prometheus::BuildCounter()
                      .Name("netadmit_cluster_relists_total")
                      .Help("Full lists after the first (a 410 or an expired version), by kind")
                      .Register(registry);
  for (const ClusterKind kind : AllKinds()) {
    const prometheus::Labels labels = {{"kind", ClusterKindName(kind)}};
    objects_[Index(kind)] = &objects.Add(labels);
    generation_[Index(kind)] = &generation.Add(labels);
    restarts_[Index(kind)] = &restarts.Add(labels);
    relists_[Index(kind)] = &relists.Add(labels);
  }
}

ClusterLink::~ClusterLink() { Stop(); }

Result<std::unique_ptr<ClusterLink>> ClusterLink::Create(ClusterOptions options, Logger& logger,
                                                         prometheus::Registry& registry) {
  std::unique_ptr<ClusterLink> link(new ClusterLink(logger, registry));
  const kube::GetEnv getenv =
      options.getenv ? options.getenv : [](const char* name) { return std::getenv(name); };
  std::optional<kube::ClusterConfig> config;
  if (!options.kubeconfig.empty()) {
    auto loaded = kube::LoadKubeconfig(options.kubeconfig, options.context);
    if (!loaded.ok()) {
      return loaded.error();
    }
    config = std::move(*loaded);
  } else if (options.in_cluster && kube::InClusterEnvironment(getenv)) {
    auto loaded = kube::InClusterConfig(getenv, options.service_account_dir);
    if (!loaded.ok()) {
      return loaded.error();
    }
    config = std::move(*loaded);
  }
  if (!config) {
    return link;
  }
  link->own_namespace_ = options.own_namespace;
  if (link->own_namespace_.empty()) {
    const char* pod_namespace = getenv("POD_NAMESPACE");
    link->own_namespace_ =
        pod_namespace != nullptr && *pod_namespace != '\0' ? pod_namespace : config->namespace_name;
  }
  kube::WatchOptions watch;
  watch.config = std::move(*config);
  watch.resources = kube::DefaultResources(link->own_namespace_);
  std::vector<ClusterKind> kinds;
  for (const auto& resource : watch.resources) {
    kinds.push_back(resource.kind);
  }
  Logger* log = &logger;
  watch.log = [log](const kube::LogEntry& entry) {
    auto write = [&](std::initializer_list<LogField> fields) {
      switch (entry.level) {
        case kube::LogLevel::kInfo:
          log->Info(entry.event, fields);
          break;
        case kube::LogLevel::kWarn:
          log->Warn(entry.event, fields);
          break;
        case kube::LogLevel::kError:
          log->Error(entry.event, fields);
          break;
      }
    };
    if (entry.kind) {
      write({{"kind", ClusterKindName(*entry.kind)}, {"message", entry.message}});
    } else {
      write({{"message", entry.message}});  // discovery: about no one kind
    }
  };
  // The cluster-scoped policies, while their CRDs are installed; the watcher then also decides
  // which of them readiness waits for.
  watch.discover_cluster_policies = true;
  watch.discovery_interval = options.discovery_interval;
  if (options.adjust) {
    options.adjust(watch);
  }
  link->cache_.SetWatched(std::move(kinds));
  link->watcher_ = std::make_unique<kube::Watcher>(std::move(watch), link->cache_);
  return link;
}

Status ClusterLink::Start() {
  if (!watcher_) {
    active_.Set(0);
    logger_.Warn(
        "stateful_rules_inactive",
        {{"reason", "no cluster connection: neither --kubeconfig nor the in-cluster environment"}});
    return Ok{};
  }
  active_.Set(1);
  logger_.Info("cluster_watch_starting", {{"namespace", own_namespace_}});
  return watcher_->Start();
}

void ClusterLink::Stop() {
  if (watcher_) {
    watcher_->Stop();
  }
}

bool ClusterLink::Ready() const { return !watcher_ || cache_.Synced(); }

Result<FreshPolicies::ByNamespace> ClusterLink::ReadPolicies(
    const std::vector<std::string>& namespaces, std::chrono::milliseconds timeout) const {
  if (!watcher_) {
    return Error{"", 0, 0, "", "no cluster connection"};
  }
  FreshPolicies::ByNamespace fresh;
  for (const auto& namespace_name : namespaces) {
    auto listed = watcher_->ListNow(ClusterKind::kNetworkPolicy, namespace_name, timeout);
    if (!listed) {
      return listed.error();
    }
    auto& policies = fresh[namespace_name];
    for (auto& object : *listed) {
      if (auto* policy = std::get_if<CachedPolicy>(&object.value)) {
        policies.push_back(std::make_shared<const CachedPolicy>(std::move(*policy)));
      }
    }
  }
  return fresh;
}

std::vector<RuleSource> ClusterLink::RuleSetSources() const {
  std::vector<RuleSource> sources;
  for (const auto& config_map : cache_.ConfigMaps(own_namespace_)) {
    if (HoldsRuleSets(config_map->labels)) {
      auto own = RuleSourcesOf(config_map->name, config_map->data);
      sources.insert(sources.end(), std::make_move_iterator(own.begin()),
                     std::make_move_iterator(own.end()));
    }
  }
  return sources;
}

void ClusterLink::UpdateMetrics() {
  std::lock_guard lock(mutex_);
  synced_.Set(watcher_ && cache_.Synced() ? 1 : 0);
  for (const ClusterKind kind : AllKinds()) {
    const std::size_t i = Index(kind);
    objects_[i]->Set(static_cast<double>(cache_.Count(kind)));
    generation_[i]->Set(static_cast<double>(cache_.Generation(kind)));
    if (watcher_) {
      const uint64_t restarts = watcher_->WatchRestarts(kind);
      const uint64_t relists = watcher_->Relists(kind);
      restarts_[i]->Increment(static_cast<double>(restarts - seen_restarts_[i]));
      relists_[i]->Increment(static_cast<double>(relists - seen_relists_[i]));
      seen_restarts_[i] = restarts;
      seen_relists_[i] = relists;
    }
  }
}

}  // namespace netadmit::server
