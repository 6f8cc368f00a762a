#include "common/pg/loop_pipeline.h"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "common/logging/log.h"
#include "common/pg/connection.h"
#include "common/pg/pipeline_protocol.h"
#include "common/pg/sql_error.h"

namespace todo::common::pg {

namespace asio = boost::asio;

// One connection, owned by one loop: every member is used on that loop's
// thread only.
class LoopConnection : public std::enable_shared_from_this<LoopConnection> {
 public:
  LoopConnection(const PipelineOptions& options, int index, asio::io_context& io)
      : options_(options),
        index_(index),
        io_(io),
        timer_(io),
        delay_(options.min_reconnect_delay) {}

  asio::io_context& io() { return io_; }
  // Connected, as last seen from any thread.
  bool up() const { return up_.load(std::memory_order_relaxed); }
  // Statements taken and not answered yet, as last seen from any thread.
  int64_t unanswered() const {
    return taken_.load(std::memory_order_relaxed) - answered_.load(std::memory_order_relaxed);
  }
  // On its loop's thread: statements sent to it now are sent, or wait for
  // the attempt under way.
  bool taking_statements() const {
    return state_ == State::kConnected || state_ == State::kConnecting;
  }

  void Start() {
    asio::post(io_, [self = shared_from_this()] { self->BeginConnect(); });
  }

  void Submit(const Statement& statement, Params params, ResultCallback done) {
    switch (state_) {
      case State::kConnecting:
        // Held until the attempt under way ends, as a pool caller would wait
        // for its connection: sent if it succeeds, failed if not.
        waiting_.push_back({statement, std::move(params), std::move(done)});
        Took();
        return;
      case State::kConnected:
        break;
      default:
        std::move(done)(
            DatabaseUnavailable(absl::StrCat(statement.name, ": the database is not reachable")));
        return;
    }
    // Sent at the end of this turn of the loop with every other statement
    // its calls submitted, in one write: Postgres then runs them back to
    // back and its answers come back together too.
    this_turn_.push_back({statement, std::move(params), std::move(done)});
    Took();
    if (!send_posted_) {
      send_posted_ = true;
      asio::post(io_, [self = shared_from_this(), conn = protocol_.conn()] {
        self->send_posted_ = false;
        if (self->protocol_.conn() == conn) self->SendThisTurn();
      });
    }
  }

  void Stop() {
    state_ = State::kStopped;
    timer_.cancel();
    ReadyCallbacks failed = Close("the service is shutting down");
    Answer(failed);
  }

 private:
  enum class State { kConnecting, kConnected, kWaitingToRetry, kStopped };
  struct Waiting {
    Statement statement;
    Params params;
    ResultCallback done;
  };

  void BeginConnect() {
    if (state_ == State::kStopped) return;
    state_ = State::kConnecting;
    absl::StatusOr<pg_conn*> started = StartConnectLibpq(options_.connect);
    if (!started.ok()) {
      ConnectFailed(std::string(started.status().message()));
      return;
    }
    connecting_ = *started;
    // libpq does not time an attempt driven by PQconnectPoll itself.
    timer_.expires_after(
        absl::ToChronoNanoseconds(std::max(absl::Seconds(1), options_.connect.connect_timeout)));
    timer_.async_wait(
        [self = shared_from_this(), attempt = connecting_](const boost::system::error_code& error) {
          if (!error && self->connecting_ == attempt) {
            self->ConnectFailed("timed out connecting to the database");
          }
        });
    ContinueConnect(PGRES_POLLING_WRITING);
  }

  void ContinueConnect(PostgresPollingStatusType want) {
    if (want == PGRES_POLLING_OK) {
      Connected();
      return;
    }
    if (want == PGRES_POLLING_FAILED) {
      ConnectFailed(std::string(absl::StripTrailingAsciiWhitespace(PQerrorMessage(connecting_))));
      return;
    }
    // The socket may change between steps (another address of the host).
    WrapSocket(PQsocket(connecting_));
    socket_->async_wait(
        want == PGRES_POLLING_READING ? asio::posix::stream_descriptor::wait_read
                                      : asio::posix::stream_descriptor::wait_write,
        [self = shared_from_this(), attempt = connecting_](const boost::system::error_code& error) {
          if (error || self->connecting_ != attempt) return;  // closed, stopped or timed out
          self->ContinueConnect(PQconnectPoll(attempt));
        });
  }

  void Connected() {
    pg_conn* conn = std::exchange(connecting_, nullptr);
    timer_.cancel();
    if (PQenterPipelineMode(conn) != 1 || PQsetnonblocking(conn, 1) != 0) {
      const std::string error(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
      ReleaseSocket();
      PQfinish(conn);
      ConnectFailed(absl::StrCat("cannot enter pipeline mode: ", error));
      return;
    }
    QuietNotices(conn);
    WrapSocket(PQsocket(conn));
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    corkable_ = getsockname(PQsocket(conn), reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
                (address.ss_family == AF_INET || address.ss_family == AF_INET6);
    protocol_.Attach(conn);
    state_ = State::kConnected;
    up_.store(true, std::memory_order_relaxed);
    delay_ = options_.min_reconnect_delay;
    reported_down_ = false;
    logging::Debug("database_pipeline_connected", {{"connection", index_}});
    WatchRead();
    std::vector<Waiting> waiting = std::move(waiting_);
    waiting_.clear();
    // Taken already: Submit counts them again.
    taken_.fetch_sub(static_cast<int64_t>(waiting.size()), std::memory_order_relaxed);
    for (Waiting& each : waiting) {
      Submit(each.statement, std::move(each.params), std::move(each.done));
    }
  }

  void ConnectFailed(const std::string& error) {
    if (connecting_ != nullptr) {
      ReleaseSocket();
      PQfinish(std::exchange(connecting_, nullptr));
    }
    if (!reported_down_) {
      logging::Warning("database_pipeline_down", {{"connection", index_}, {"error", error}});
      reported_down_ = true;
    }
    state_ = State::kWaitingToRetry;
    ReadyCallbacks failed;
    for (Waiting& waiting : waiting_) {
      failed.emplace_back(std::move(waiting.done),
                          DatabaseUnavailable(absl::StrCat(waiting.statement.name,
                                                           ": the database is not reachable")));
    }
    waiting_.clear();
    timer_.expires_after(absl::ToChronoNanoseconds(delay_));
    delay_ = std::min(delay_ * 2, options_.max_reconnect_delay);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error && self->state_ == State::kWaitingToRetry) self->BeginConnect();
    });
    Answer(failed);
  }

  void Took() { taken_.fetch_add(1, std::memory_order_relaxed); }

  // Every taken statement's callback is called here, once (the count the
  // metrics read).
  void Answer(ReadyCallbacks& answers) {
    answered_.fetch_add(static_cast<int64_t>(answers.size()), std::memory_order_relaxed);
    Deliver(answers);
  }

  void WatchRead() { Watch(/*for_write=*/false); }
  void WatchWrite() { Watch(/*for_write=*/true); }

  // One wait at a time for each direction; OnReady when it comes.
  void Watch(bool for_write) {
    bool& watching = for_write ? writing_ : reading_;
    if (watching) return;
    watching = true;
    socket_->async_wait(for_write ? asio::posix::stream_descriptor::wait_write
                                  : asio::posix::stream_descriptor::wait_read,
                        [self = shared_from_this(), conn = protocol_.conn(),
                         for_write](const boost::system::error_code& error) {
                          (for_write ? self->writing_ : self->reading_) = false;
                          if (error || self->protocol_.conn() != conn) return;
                          self->OnReady(/*readable=*/!for_write, /*writable=*/for_write);
                        });
  }

  void SendThisTurn() {
    std::vector<Waiting> batch = std::exchange(this_turn_, {});
    // The batch's reads share one Sync; a write has one of its own, and libpq
    // 15 writes to the socket at every Sync (its PQpipelineSync flushes): a
    // corked TCP socket gathers those writes into one segment, sent when
    // uncorked.
    const bool cork = corkable_ && batch.size() > 1 &&
                      std::any_of(batch.begin(), batch.end(),
                                  [](const Waiting& each) { return each.statement.writes; });
    if (cork) SetCork(true);
    for (size_t i = 0; i < batch.size(); ++i) {
      absl::Status refused;
      if (!protocol_.Send(batch[i].statement, std::move(batch[i].params), batch[i].done, refused)) {
        ReadyCallbacks failed;
        if (!refused.ok()) failed.emplace_back(std::move(batch[i].done), std::move(refused));
        // The unsent rest is this turn's again, which Lost fails with the
        // statements already queued.
        this_turn_.insert(this_turn_.end(), std::make_move_iterator(batch.begin() + i + 1),
                          std::make_move_iterator(batch.end()));
        Lost();
        Answer(failed);
        return;
      }
    }
    const bool sent = protocol_.EndBatch();
    if (cork) SetCork(false);
    if (!sent) {
      Lost();
      return;
    }
    if (protocol_.want_write()) WatchWrite();
  }

  void SetCork(bool on) {
    const int value = on ? 1 : 0;
    setsockopt(PQsocket(protocol_.conn()), IPPROTO_TCP, TCP_CORK, &value, sizeof(value));
  }

  void OnReady(bool readable, bool writable) {
    pg_conn* const conn = protocol_.conn();
    ReadyCallbacks ready;
    // Bytes libpq leaves in the socket are not lost to the loop's
    // edge-triggered wake-ups: the next async_wait re-arms the descriptor,
    // which reports them at once.
    const bool alive = protocol_.OnSocketReady(readable, writable, ready);
    Answer(ready);                         // may submit more, on this connection
    if (protocol_.conn() != conn) return;  // closed or stopped meanwhile
    if (!alive) {
      Lost();
      return;
    }
    WatchRead();
    if (protocol_.want_write()) WatchWrite();
  }

  void Lost() {
    const bool stopping = state_ == State::kStopped;
    ReadyCallbacks failed = Close("the database connection was lost");
    if (!stopping) {
      // A lost link is retried at once, so new statements wait for that attempt.
      BeginConnect();
    }
    Answer(failed);
  }

  // Closes the connection (or the attempt) and takes every queued callback,
  // to be failed.
  ReadyCallbacks Close(absl::string_view why) {
    up_.store(false, std::memory_order_relaxed);
    pg_conn* conn = protocol_.conn();
    ReadyCallbacks failed = protocol_.Detach(why);
    for (std::vector<Waiting>* held : {&this_turn_, &waiting_}) {
      for (Waiting& waiting : *held) {
        failed.emplace_back(std::move(waiting.done),
                            DatabaseUnavailable(absl::StrCat(waiting.statement.name, ": ", why)));
      }
      held->clear();
    }
    corkable_ = false;
    ReleaseSocket();
    if (conn != nullptr) {
      if (state_ != State::kStopped) {
        logging::Warning("database_pipeline_lost",
                         {{"connection", index_},
                          {"error", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn))}});
      }
      PQfinish(conn);
    }
    if (connecting_ != nullptr) PQfinish(std::exchange(connecting_, nullptr));
    return failed;
  }

  // The loop watches libpq's socket; libpq keeps owning (and closes) it.
  void WrapSocket(int fd) {
    if (socket_.has_value() && socket_->native_handle() == fd) return;
    ReleaseSocket();
    socket_.emplace(io_, fd);
  }

  void ReleaseSocket() {
    if (!socket_.has_value()) return;
    boost::system::error_code ignored;
    socket_->cancel(ignored);
    socket_->release();
    socket_.reset();
    reading_ = false;
    writing_ = false;
  }

  const PipelineOptions options_;
  const int index_;
  asio::io_context& io_;
  asio::steady_timer timer_;  // the connect deadline, then the retry delay
  absl::Duration delay_;
  State state_ = State::kConnecting;
  std::atomic<bool> up_{false};
  // Written on the loop only; read by stats() from any thread.
  std::atomic<int64_t> taken_{0};
  std::atomic<int64_t> answered_{0};
  PipelineProtocol protocol_;
  pg_conn* connecting_ = nullptr;
  std::optional<asio::posix::stream_descriptor> socket_;
  bool reading_ = false;
  bool writing_ = false;
  bool send_posted_ = false;
  bool corkable_ = false;  // a TCP connection (not a Unix socket)
  bool reported_down_ = false;
  std::vector<Waiting> waiting_;    // for the connection attempt under way
  std::vector<Waiting> this_turn_;  // to be sent at the end of this turn
};

LoopPipeline::LoopPipeline(const PipelineOptions& options, event_loops::EventLoops* loops)
    : loops_(loops), choice_(options, static_cast<size_t>(loops->size())) {
  for (int i = 0; i < loops->size(); ++i) {
    connections_.push_back(std::make_shared<LoopConnection>(options, i, loops->loop(i)));
    connections_.back()->Start();
  }
}

LoopPipeline::~LoopPipeline() {
  absl::BlockingCounter stopped(static_cast<int>(connections_.size()));
  for (auto& connection : connections_) {
    asio::post(connection->io(), [&connection, &stopped] {
      connection->Stop();
      stopped.DecrementCount();
    });
  }
  stopped.Wait();
}

void LoopPipeline::Submit(const Statement& statement, Params params, ResultCallback done) {
  if (absl::Status sendable = params.CheckSendable(); !sendable.ok()) {
    std::move(done)(std::move(sendable));
    return;
  }
  const int current = event_loops::EventLoops::Current();
  if (current >= 0 && static_cast<size_t>(current) < choice_.Candidates(statement) &&
      &loops_->loop(current) == &connections_[current]->io() &&
      connections_[current]->taking_statements()) {
    connections_[current]->Submit(statement, std::move(params), std::move(done));
    return;
  }
  // Another loop's connection that takes it.
  std::shared_ptr<LoopConnection> target =
      connections_[choice_.Next(statement, [this](size_t i) { return connections_[i]->up(); })];
  asio::post(target->io(),
             [target, statement, params = std::move(params), done = std::move(done)]() mutable {
               target->Submit(statement, std::move(params), std::move(done));
             });
}

LoopPipelineStats LoopPipeline::stats() const {
  LoopPipelineStats stats;
  for (const auto& connection : connections_) {
    ++stats.connections;
    if (connection->up()) ++stats.up;
    stats.statements += std::max<int64_t>(0, connection->unanswered());
  }
  return stats;
}

}  // namespace todo::common::pg
