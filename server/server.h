#pragma once

// `netadmit serve`: the HTTPS webhook server. One io_context run by several threads; an
// acceptor that hands each connection its own strand; a once-a-second look at the certificate,
// key and rule files, which are reloaded when they change; and a graceful shutdown on SIGTERM or
// SIGINT (stop accepting, report not ready, finish requests under way, close idle connections).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "netadmit/model/result.h"
#include "netadmit/rules/review.h"
#include "server/audit_loop.h"
#include "server/cluster_link.h"
#include "server/file_watch.h"
#include "server/handler.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/rule_store.h"
#include "server/session.h"
#include "server/tls.h"

namespace netadmit::server {

struct ServerOptions {
  std::string listen = "0.0.0.0:8443";
  std::string tls_cert;
  std::string tls_key;
  // PEM bundle of the CAs whose client certificates are accepted (--client-ca); empty: clients
  // are not asked for a certificate. Reloaded with the certificate and key.
  std::string client_ca;
  std::string rules;  // file or directory; empty for the embedded default rule set
  ErrorPolicy on_error = ErrorPolicy::kDeny;
  int threads = 0;  // 0: one per core
  std::size_t max_connections = 1024;
  SessionOptions session;
  // How often the certificate, key and rule files are checked for changes.
  std::chrono::milliseconds reload_interval{1'000};
  // How long a shutdown waits for requests under way before it stops regardless.
  std::chrono::milliseconds drain_timeout{5'000};
  // Shut down on SIGTERM and SIGINT. Off for servers embedded in tests.
  bool handle_signals = true;
  // The cluster connection for stateful rules (--kubeconfig or in-cluster); none by default.
  ClusterOptions cluster;
  // Take rule sets from the rule-set ConfigMaps too (--rules-configmaps).
  bool rules_configmaps = false;
  // When the fresh read that confirms a denial fails: admit (true) or keep the denial.
  bool allow_unconfirmed = false;
  std::chrono::milliseconds fresh_read_timeout{2'000};
  // The audit of what exists, with a cluster connection (--audit-interval, --leader-elect,
  // --report-api, --audit-max-results).
  AuditOptions audit;
  // The clock and limits of rule exceptions (--exception-warning-days, --max-exception-days).
  ExceptionSettings exceptions;
};

// Parses "HOST:PORT", "[IPv6]:PORT" or ":PORT" (every IPv4 address). HOST is an IP address or
// "localhost".
Result<boost::asio::ip::tcp::endpoint> ParseListenAddress(std::string_view text);

class Server {
 public:
  // Loads the certificate and the rules, and binds the listening socket (port 0 picks a free
  // port). Fails naming what could not be loaded or bound.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options, Logger& logger);
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts accepting and runs the worker threads.
  void Start();
  // Begins the graceful shutdown; returns at once. Safe from any thread.
  void Shutdown();
  // Blocks until the shutdown has finished and every worker has returned.
  void Wait();

  uint16_t port() const { return endpoint_.port(); }
  // Ready for traffic: rules loaded (from the ConfigMaps too, when asked), the cluster listed,
  // accepting, not shutting down.
  bool Ready() const;
  Metrics& metrics() { return metrics_; }
  const ClusterLink& cluster() const { return *cluster_; }

 private:
  Server(ServerOptions options, Logger& logger);

  Status Listen();
  Status LoadCertificate();
  Status LoadRules(const std::vector<RuleSource>& config_map_sources = {});
  void RunWorker();
  void DoAccept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void DoReloadWait();
  void OnReloadTimer(boost::system::error_code ec);
  void ReloadCertificate();
  void ReloadRules();
  // Counts the exceptions in force by state (netadmit_exceptions) and logs each that has expired,
  // once.
  void UpdateExceptions();
  // The rule-set ConfigMaps' sources, once the cache has listed them; nullopt before.
  std::optional<std::vector<RuleSource>> ConfigMapSources() const;
  void DoSignalWait();
  void OnSignal(boost::system::error_code ec, int signal_number);
  void BeginShutdown(std::string_view reason);
  void FinishShutdown();
  void OnDrainTimeout(boost::system::error_code ec);

  // Everything sessions use is declared before the io_context, so it outlives the sessions that
  // the io_context's destruction releases.
  ServerOptions options_;
  Logger& logger_;
  Metrics metrics_;
  RuleStore rules_;
  std::unique_ptr<ClusterLink> cluster_;
  std::unique_ptr<AuditLoop> audit_;  // with a cluster connection and an audit interval
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> tls_context_;
  std::atomic<bool> accepting_{false};
  std::atomic<bool> shutting_down_{false};
  RequestHandler handler_;
  SessionHub hub_;
  FileWatch certificate_watch_;
  std::optional<FileWatch> rules_watch_;
  boost::asio::ip::tcp::endpoint endpoint_;
  bool finished_ = false;  // on the control strand
  // The ConfigMap generation the rules in force were built from; 0: not built from them yet.
  std::atomic<uint64_t> config_map_generation_{0};
  std::atomic<bool> config_maps_applied_{false};  // a ConfigMap rule set has loaded once
  // The exceptions whose expiry was logged, by name and expiry (a renewed one may expire again).
  std::mutex expired_logged_mutex_;
  std::set<std::pair<std::string, TimePoint>> expired_logged_;

  boost::asio::io_context io_context_;
  // Accepting, reloading, signals and the shutdown run here, one at a time.
  boost::asio::strand<boost::asio::io_context::executor_type> control_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer reload_timer_;
  boost::asio::steady_timer accept_retry_timer_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::signal_set signals_;
  std::vector<std::thread> workers_;
};

}  // namespace netadmit::server
