#include "server/server.h"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <charconv>
#include <csignal>
#include <exception>
#include <utility>

namespace netadmit::server {

namespace {

namespace net = boost::asio;
using net::ip::tcp;

// After a failed accept (out of file descriptors, say), wait before the next try rather than
// spin on the same error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::string EndpointText(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  return (endpoint.address().is_v6() ? "[" + address + "]" : address) + ":" +
         std::to_string(endpoint.port());
}

std::string Join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    joined += (joined.empty() ? "" : ",") + name;
  }
  return joined;
}

int DefaultThreads(int requested) {
  if (requested > 0) {
    return requested;
  }
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

// The files a TLS context is built from, watched together: a change to any rebuilds it.
std::vector<std::string> TlsFiles(const ServerOptions& options) {
  std::vector<std::string> files = {options.tls_cert, options.tls_key};
  if (!options.client_ca.empty()) {
    files.push_back(options.client_ca);
  }
  return files;
}

}  // namespace

Result<tcp::endpoint> ParseListenAddress(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Error{"", 0, 0, "",
                 "invalid listen address \"" + std::string(text) + "\": " + std::string(why)};
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail("expected HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("write an IPv6 address in brackets, as in [::]:8443");
  }
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return fail("the port must be a number from 0 to 65535");
  }
  net::ip::address address;
  if (host.empty()) {
    address = net::ip::address_v4::any();
  } else if (host == "localhost") {
    address = net::ip::address_v4::loopback();
  } else {
    boost::system::error_code ec;
    address = net::ip::make_address(std::string(host), ec);
    if (ec) {
      return fail("the host must be an IP address");
    }
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options, Logger& logger) {
  if (options.tls_cert.empty() || options.tls_key.empty()) {
    return Error{"", 0, 0, "", "a certificate and a key are required (--tls-cert, --tls-key)"};
  }
  options.threads = DefaultThreads(options.threads);
  std::unique_ptr<Server> server(new Server(std::move(options), logger));
  if (auto status = server->LoadCertificate(); !status) {
    return status.error();
  }
  if (auto status = server->LoadRules(); !status) {
    return status.error();
  }
  auto cluster = ClusterLink::Create(server->options_.cluster, logger, server->metrics_.registry());
  if (!cluster) {
    return cluster.error();
  }
  server->cluster_ = std::move(cluster.value());
  if (server->options_.rules_configmaps && !server->cluster_->active()) {
    return Error{"", 0, 0, "",
                 "--rules-configmaps needs a cluster connection (--kubeconfig, or the in-cluster "
                 "environment)"};
  }
  if (server->cluster_->active()) {
    const ClusterLink* link = server->cluster_.get();
    const auto timeout = server->options_.fresh_read_timeout;
    server->handler_.SetCluster(
        ClusterAccess{link->view(), link->own_namespace(),
                      [link, timeout](const std::vector<std::string>& namespaces) {
                        return link->ReadPolicies(namespaces, timeout);
                      },
                      server->options_.allow_unconfirmed});
  }
  if (auto status = server->Listen(); !status) {
    return status.error();
  }
  return server;
}

// The file watches take their first look here, before the first load, so that a change made
// while loading is seen by the next look.
Server::Server(ServerOptions options, Logger& logger)
    : options_(std::move(options)),
      logger_(logger),
      rules_(options_.rules, options_.rules_configmaps),
      handler_(rules_, options_.on_error, metrics_, logger_, [this] { return Ready(); }),
      hub_(handler_, metrics_, logger_, options_.session),
      certificate_watch_(TlsFiles(options_)),
      io_context_(options_.threads),
      control_(net::make_strand(io_context_)),
      acceptor_(control_),
      reload_timer_(control_),
      accept_retry_timer_(control_),
      drain_timer_(control_),
      signals_(control_) {
  handler_.SetExceptions(options_.exceptions);
  if (!options_.rules.empty()) {
    rules_watch_.emplace(std::vector<std::string>{options_.rules});
  }
  if (options_.handle_signals) {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
  }
}

Server::~Server() {
  hub_.ClearOnEmpty();
  if (!workers_.empty()) {
    io_context_.stop();
    Wait();
  }
  // Fresh reads still under way post their answers to the io_context: let them finish first.
  hub_.JoinBlockingWork();
}

Status Server::LoadCertificate() {
  auto identity = LoadTlsIdentity(options_.tls_cert, options_.tls_key, options_.client_ca);
  metrics_.RecordCertificateLoad(identity.ok());
  if (!identity) {
    return identity.error();
  }
  tls_context_.store(identity->context);
  logger_.Info("certificate_loaded", {{"certificate", options_.tls_cert},
                                      {"serial", identity->serial},
                                      {"subject", identity->subject},
                                      {"not_after", identity->not_after},
                                      {"client_ca", options_.client_ca},
                                      {"client_cas", static_cast<uint64_t>(identity->client_cas)}});
  return Ok{};
}

Status Server::LoadRules(const std::vector<RuleSource>& config_map_sources) {
  Status status = rules_.Load(
      config_map_sources, LoadLimits{options_.exceptions.clock(), options_.exceptions.max_days});
  if (!status) {
    metrics_.RecordRuleSetLoad(false, 0);
    return status;
  }
  const auto rules = rules_.Current();
  metrics_.RecordRuleSetLoad(true, rules->rules().size());
  logger_.Info("rules_loaded", {{"source", rules_.SourceName()},
                                {"rule_sets", Join(rules->names())},
                                {"rules", rules->rules().size()},
                                {"exceptions", rules->exceptions().size()}});
  UpdateExceptions();
  return Ok{};
}

void Server::UpdateExceptions() {
  const auto rules = rules_.Current();
  if (rules == nullptr) {
    return;
  }
  const TimePoint now = options_.exceptions.clock();
  std::array<std::size_t, 3> by_state{};  // active, expiring, expired
  const std::lock_guard lock(expired_logged_mutex_);
  for (const RuleException& exception : rules->exceptions()) {
    const ExceptionState state = StateAt(exception, now, options_.exceptions.warning_days);
    ++by_state[static_cast<std::size_t>(state)];
    if (state == ExceptionState::kExpired &&
        expired_logged_.emplace(exception.name, exception.expires).second) {
      std::vector<std::string> rule_patterns;
      for (const NamePattern& pattern : exception.rules) {
        rule_patterns.push_back(pattern.text());
      }
      // Its findings deny and warn again from now on: say so where operators look.
      logger_.Warn("exception_expired", {{"exception", exception.name},
                                         {"owner", exception.owner},
                                         {"expires", exception.expires_text},
                                         {"rules", Join(rule_patterns)},
                                         {"source", exception.source}});
    }
  }
  metrics_.RecordExceptions(by_state[0], by_state[1], by_state[2]);
}

Status Server::Listen() {
  auto endpoint = ParseListenAddress(options_.listen);
  if (!endpoint) {
    return endpoint.error();
  }
  auto fail = [&](const boost::system::error_code& ec) {
    return Error{"", 0, 0, "", "cannot listen on " + options_.listen + ": " + ec.message()};
  };
  boost::system::error_code ec;
  acceptor_.open(endpoint->protocol(), ec);
  if (ec) {
    return fail(ec);
  }
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec && endpoint->address().is_v6()) {
    // [::] takes IPv4 clients too, where the system allows.
    acceptor_.set_option(net::ip::v6_only(false), ec);
  }
  if (ec) {
    return fail(ec);
  }
  acceptor_.bind(*endpoint, ec);
  if (ec) {
    return fail(ec);
  }
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(ec);
  }
  endpoint_ = acceptor_.local_endpoint(ec);
  if (ec) {
    return fail(ec);
  }
  return Ok{};
}

void Server::Start() {
  if (auto started = cluster_->Start(); !started) {
    logger_.Error("cluster_watch_failed", {{"error", started.error().ToString()}});
  }
  if (!cluster_->active()) {
    std::vector<std::string> inactive;
    for (const auto& rule : rules_.Current()->rules()) {
      if (rule.kind->needs_cluster) {
        inactive.push_back(rule.id);
      }
    }
    if (!inactive.empty()) {
      logger_.Warn("rules_inactive",
                   {{"rules", Join(inactive)}, {"reason", "they need the cluster view"}});
    }
  }
  if (cluster_->active() && options_.audit.interval.count() > 0) {
    audit_ = std::make_unique<AuditLoop>(
        options_.audit, *cluster_->api(), cluster_->cache(), [this] { return cluster_->Ready(); },
        rules_, cluster_->own_namespace(), logger_, metrics_.registry());
    audit_->Start();
  }
  accepting_ = true;
  net::post(control_, [this] {
    DoAccept();
    DoReloadWait();
    if (options_.handle_signals) {
      DoSignalWait();
    }
  });
  logger_.Info("listening",
               {{"address", EndpointText(endpoint_)},
                {"port", static_cast<int>(endpoint_.port())},
                {"threads", options_.threads},
                {"max_connections", static_cast<uint64_t>(options_.max_connections)},
                {"on_error", options_.on_error == ErrorPolicy::kDeny ? "deny" : "allow"}});
  workers_.reserve(static_cast<std::size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) {
    workers_.emplace_back([this] { RunWorker(); });
  }
}

void Server::Shutdown() {
  net::post(control_, [this] { BeginShutdown("requested"); });
}

void Server::Wait() {
  for (auto& worker : workers_) {
    if (worker.joinable()) {
      worker.join();
    }
  }
  workers_.clear();
  if (audit_) {
    audit_->Stop();  // releases the audit's Lease for the next replica
  }
}

bool Server::Ready() const {
  return accepting_.load() && !shutting_down_.load() && rules_.Current() != nullptr &&
         cluster_->Ready() && (!options_.rules_configmaps || config_maps_applied_.load());
}

void Server::RunWorker() {
  // Handlers catch what they can; this keeps a worker alive should anything slip through.
  for (;;) {
    try {
      io_context_.run();
      return;
    } catch (const std::exception& e) {
      logger_.Error("worker_exception", {{"error", e.what()}});
    }
  }
}

void Server::DoAccept() {
  // Each connection gets its own strand: its handlers never run concurrently, with no locks.
  // With one worker thread nothing runs concurrently anyway, and a strand would only add a queue
  // to every handler.
  const net::any_io_executor executor = options_.threads == 1
                                            ? net::any_io_executor(io_context_.get_executor())
                                            : net::any_io_executor(net::make_strand(io_context_));
  acceptor_.async_accept(executor, [this](boost::system::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void Server::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
    return;
  }
  if (ec) {
    logger_.Error("accept_failed", {{"error", ec.message()}});
    accept_retry_timer_.expires_after(kAcceptRetryDelay);
    accept_retry_timer_.async_wait([this](boost::system::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) {
        DoAccept();
      }
    });
    return;
  }
  if (hub_.Count() >= options_.max_connections) {
    // Past the cap a connection is closed at once, before any TLS work is spent on it.
    metrics_.RecordRefusedConnection();
    boost::system::error_code ignored;
    socket.close(ignored);
  } else {
    // An answer goes out as soon as it is written: with Nagle's algorithm a TLS record written
    // after another waits for the client's delayed ACK, 40 ms on Linux, on every such answer.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    try {
      std::make_shared<Session>(std::move(socket), tls_context_.load(), hub_)->Run();
    } catch (const std::exception& e) {
      logger_.Error("session_failed", {{"error", e.what()}});
    }
  }
  DoAccept();
}

void Server::DoReloadWait() {
  reload_timer_.expires_after(options_.reload_interval);
  reload_timer_.async_wait([this](boost::system::error_code ec) { OnReloadTimer(ec); });
}

void Server::OnReloadTimer(boost::system::error_code ec) {
  if (ec || shutting_down_) {
    return;
  }
  try {
    cluster_->UpdateMetrics();
    ReloadCertificate();
    ReloadRules();
    UpdateExceptions();
  } catch (const std::exception& e) {
    logger_.Error("reload_failed", {{"error", e.what()}});
  }
  DoReloadWait();
}

void Server::ReloadCertificate() {
  if (!certificate_watch_.Changed()) {
    return;
  }
  // New connections get the new context; connections already open keep theirs.
  if (Status status = LoadCertificate(); !status) {
    logger_.Error("certificate_reload_failed",
                  {{"error", status.error().ToString()}, {"kept", "previous certificate"}});
  }
}

std::optional<std::vector<RuleSource>> Server::ConfigMapSources() const {
  if (!options_.rules_configmaps || !cluster_->cache().Listed(ClusterKind::kConfigMap)) {
    return std::nullopt;
  }
  return cluster_->RuleSetSources();
}

void Server::ReloadRules() {
  const bool files_changed = rules_watch_ && rules_watch_->Changed();
  // The generation is read before the sources: an event between the two then only makes the
  // next look load again, instead of loading old sources under the new generation and missing
  // the change. Offset by one so that 0 means "not built from the ConfigMaps yet".
  const uint64_t generation = cluster_->cache().Generation(ClusterKind::kConfigMap) + 1;
  const auto config_maps = ConfigMapSources();
  const bool config_maps_changed = config_maps && generation != config_map_generation_;
  if (!files_changed && !config_maps_changed) {
    return;
  }
  // Remembered whether or not the load succeeds: a broken ConfigMap is reported once, and tried
  // again when it changes.
  if (config_maps) {
    config_map_generation_ = generation;
  }
  if (Status status = LoadRules(config_maps.value_or(std::vector<RuleSource>{})); !status) {
    const auto kept = rules_.Current();
    logger_.Error("rules_reload_failed",
                  {{"source", rules_.SourceName()},
                   {"error", status.error().ToString()},
                   {"kept_rules", kept ? kept->rules().size() : std::size_t{0}}});
    return;
  }
  if (config_maps) {
    config_maps_applied_ = true;
  }
}

void Server::DoSignalWait() {
  signals_.async_wait(
      [this](boost::system::error_code ec, int signal_number) { OnSignal(ec, signal_number); });
}

void Server::OnSignal(boost::system::error_code ec, int signal_number) {
  if (ec) {
    return;
  }
  const char* name = signal_number == SIGTERM ? "SIGTERM" : "SIGINT";
  if (shutting_down_) {
    logger_.Warn("stopping_now", {{"signal", name}});
    io_context_.stop();
    return;
  }
  BeginShutdown(name);
  // A second signal stops at once, without waiting for the drain.
  DoSignalWait();
}

void Server::BeginShutdown(std::string_view reason) {
  if (shutting_down_.exchange(true)) {
    return;
  }
  accepting_ = false;
  logger_.Info("shutting_down",
               {{"reason", reason}, {"connections", static_cast<uint64_t>(hub_.Count())}});
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  reload_timer_.cancel();
  accept_retry_timer_.cancel();
  drain_timer_.expires_after(options_.drain_timeout);
  drain_timer_.async_wait([this](boost::system::error_code ec) { OnDrainTimeout(ec); });
  hub_.BeginDrain([this] { net::post(control_, [this] { FinishShutdown(); }); });
}

void Server::FinishShutdown() {
  if (finished_) {
    return;
  }
  finished_ = true;
  drain_timer_.cancel();
  // The signals stay registered (a late SIGTERM must not kill the process now); only the wait
  // ends, and with it the last work of the io_context.
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  logger_.Info("stopped", {});
}

void Server::OnDrainTimeout(boost::system::error_code ec) {
  if (ec || finished_) {
    return;
  }
  finished_ = true;
  logger_.Warn("drain_timeout", {{"connections", static_cast<uint64_t>(hub_.Count())}});
  io_context_.stop();
}

}  // namespace netadmit::server
