#pragma once

// The socket half of an HTTP/2 connection: an nghttp2 session fed from, and
// flushed to, a TCP socket on an Asio loop. Shared by the server's gRPC
// connections, the client's (channel.h) and the gateway's h2c connections,
// which differ in what their streams are, not in how bytes move.
//
// `Connection` derives from SessionIo<Connection> and from
// std::enable_shared_from_this<Connection>, creates `session_` with itself as
// user data, and has a Close() that calls CloseSocket() and then ends its
// streams. Everything runs on the connection's loop.

#include <nghttp2/nghttp2.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace todo::common::rpc {

// Keepalive and the ping policy of a server connection, with grpc-core's
// server defaults.
struct KeepaliveOptions {
  // A connection silent this long is sent a PING...
  absl::Duration time = absl::Hours(2);
  // ...and closed when the PING goes unanswered this long.
  absl::Duration timeout = absl::Seconds(20);
  // A client PING sooner than this after its previous one earns a strike
  // (with no call open, sooner than two hours); strikes reset whenever the
  // server sends headers or data. Past `max_ping_strikes` the client gets
  // GOAWAY ENHANCE_YOUR_CALM "too_many_pings".
  absl::Duration min_ping_interval = absl::Minutes(5);
  int max_ping_strikes = 2;
};

// `kReadBufferBytes`: what one read takes at most. Servers hold many
// connections and read small requests; a client's few connections carry
// many answers at once and read more per wake-up.
template <typename Connection, size_t kReadBufferBytes = 16 * 1024>
class SessionIo {
 public:
  SessionIo(const SessionIo&) = delete;
  SessionIo& operator=(const SessionIo&) = delete;

 protected:
  explicit SessionIo(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  // A socket not yet connected (a client connects it, then starts Read).
  explicit SessionIo(boost::asio::io_context& io) : socket_(io) {}
  ~SessionIo() {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  // Reads until the connection closes, feeding the session and sending what
  // it answers after each read. async_read_some tries the read at once and
  // only waits when the socket is empty, leaving the socket's wake-ups armed
  // (async_wait would re-arm them, a syscall, on every call).
  void Read() {
    socket_.async_read_some(
        boost::asio::buffer(read_buffer_),
        [self = Self().shared_from_this()](const boost::system::error_code& error, size_t length) {
          if (self->closed_) return;
          if (error) {
            self->CloseOn(error);
            return;
          }
          self->last_activity_ = absl::Now();
          self->in_receive_ = true;
          const ssize_t taken =
              nghttp2_session_mem_recv(self->session_, self->read_buffer_.data(), length);
          self->in_receive_ = false;
          if (taken < 0) {  // not HTTP/2, or a protocol error
            self->close_reason_ =
                std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(taken));
            self->Close();
            return;
          }
          self->Flush();
          if (!self->closed_) self->Read();
        });
  }

  // Sends everything the session has ready in one write, one write at a
  // time. Inside the session's receive callbacks it must not send: Read
  // flushes after them. Closes the connection once the session neither
  // reads nor writes any more (after GOAWAY).
  void Flush() {
    if (closed_ || session_ == nullptr || write_in_flight_ || in_receive_) return;
    writing_.clear();
    for (;;) {
      const uint8_t* bytes = nullptr;
      const ssize_t length = nghttp2_session_mem_send(session_, &bytes);
      if (length < 0) {
        close_reason_ = std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(length));
        Self().Close();
        return;
      }
      if (length == 0) break;
      writing_.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
    }
    if (writing_.empty()) {
      // Between the two GOAWAYs the session may look finished (nothing open)
      // while the second is still to be sent.
      const bool between_goaways = going_away_ && !final_goaway_sent_;
      if (terminating_ || (!between_goaways && !nghttp2_session_want_read(session_) &&
                           !nghttp2_session_want_write(session_))) {
        Self().Close();
      }
      return;
    }
    write_in_flight_ = true;
    write_started_ = absl::Now();
    boost::asio::async_write(
        socket_, boost::asio::buffer(writing_),
        [self = Self().shared_from_this()](const boost::system::error_code& error, size_t) {
          self->write_in_flight_ = false;
          if (self->closed_) return;
          if (error) {
            self->CloseOn(error);
            return;
          }
          self->last_activity_ = absl::Now();
          self->Flush();
        });
  }

  // Shuts the socket down; false when it already was.
  bool CloseSocket() {
    if (closed_) return false;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    return true;
  }

  // The idle sweep, for a connection with (`has_streams`) or without streams
  // open: closed when a write has waited for the client longer than
  // `timeout`; sent GOAWAY and closed when it had no stream and no traffic
  // for that long.
  void SweepIdle(absl::Time now, absl::Duration timeout, bool has_streams) {
    if (write_in_flight_ && now - write_started_ > timeout) {
      Self().Close();  // the client does not take what it is sent
    } else if (!has_streams && !write_in_flight_ && now - last_activity_ > timeout) {
      nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
      Flush();
      if (!write_in_flight_) Self().Close();
    }
  }

  // Shutdown's first step, taken once, in grpc-core's two phases: a GOAWAY
  // announcing the end (last stream id 2^31-1, so streams the client is
  // opening right now are not lost) with a PING; once the PING is answered
  // (or after a second), the GOAWAY naming the last stream that will be
  // served. Streams in progress may finish.
  void GoAway() {
    if (going_away_) return;
    going_away_ = true;
    nghttp2_submit_shutdown_notice(session_);
    SubmitPing();
    goaway_notice_sent_ = absl::Now();
  }

  // The client's PING (`ack`: the answer to ours), with whether a call is
  // open; false when the connection is to be closed for too many pings.
  bool OnPing(bool ack, bool has_streams, const KeepaliveOptions& keepalive) {
    const absl::Time now = absl::Now();
    if (ack) {
      ping_sent_ = absl::InfiniteFuture();
      if (going_away_ && !final_goaway_sent_) SendFinalGoAway();
      return true;
    }
    const absl::Duration allowed = has_streams ? keepalive.min_ping_interval : absl::Hours(2);
    if (now - last_client_ping_ < allowed && ++ping_strikes_ > keepalive.max_ping_strikes) {
      static constexpr char kTooManyPings[] = "too_many_pings";
      nghttp2_submit_goaway(
          session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
          NGHTTP2_ENHANCE_YOUR_CALM, reinterpret_cast<const uint8_t*>(kTooManyPings),
          sizeof(kTooManyPings) - 1);
      going_away_ = final_goaway_sent_ = terminating_ = true;
      return false;
    }
    last_client_ping_ = now;
    return true;
  }
  // The server sent headers or data: the client's pings are welcome again.
  void ResetPingStrikes() { ping_strikes_ = 0; }

  // Keepalive and the second GOAWAY, from the sweep: a PING after
  // `keepalive.time` of silence, closed when it goes unanswered.
  void KeepaliveTick(absl::Time now, const KeepaliveOptions& keepalive) {
    if (closed_) return;
    if (ping_sent_ != absl::InfiniteFuture() && now - ping_sent_ > keepalive.timeout) {
      Self().Close();  // the peer is gone without a word
      return;
    }
    if (going_away_ && !final_goaway_sent_ && now - goaway_notice_sent_ > absl::Seconds(1)) {
      SendFinalGoAway();
      Flush();
    }
    if (ping_sent_ == absl::InfiniteFuture() && now - last_activity_ > keepalive.time) {
      SubmitPing();
      Flush();
    }
  }

  // Sends what is left and closes once no stream is open and nothing is
  // being written.
  void CloseWhenDrained(bool has_streams) {
    Flush();
    if (!has_streams && !write_in_flight_ && final_goaway_sent_) Self().Close();
  }

  boost::asio::ip::tcp::socket socket_;
  nghttp2_session* session_ = nullptr;
  bool closed_ = false;
  bool in_receive_ = false;  // inside nghttp2_session_mem_recv
  bool write_in_flight_ = false;
  absl::Time last_activity_ = absl::Now();  // the last byte read or written
  std::string close_reason_;                // why the socket failed, for Close()

 private:
  // The socket failed: closed, with the reason for Close to read.
  void CloseOn(const boost::system::error_code& error) {
    close_reason_ = error == boost::asio::error::eof ? "Socket closed" : error.message();
    Self().Close();
  }
  void SubmitPing() {
    nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
    ping_sent_ = absl::Now();
  }
  void SendFinalGoAway() {
    final_goaway_sent_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                          nullptr, 0);
  }

  bool going_away_ = false;
  bool final_goaway_sent_ = false;
  bool terminating_ = false;  // closed once what is queued is written
  absl::Time goaway_notice_sent_ = absl::InfinitePast();
  absl::Time ping_sent_ = absl::InfiniteFuture();  // our PING awaiting its ACK
  absl::Time last_client_ping_ = absl::InfinitePast();
  int ping_strikes_ = 0;
  Connection& Self() { return static_cast<Connection&>(*this); }

  std::array<uint8_t, kReadBufferBytes> read_buffer_;
  std::string writing_;
  absl::Time write_started_;
};

}  // namespace todo::common::rpc
