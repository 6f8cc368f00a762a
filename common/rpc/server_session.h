#pragma once

// The server half of HTTP/2, shared by the gRPC server's connections
// (server_connection.h) and the gateway's h2c listener: one nghttp2 server
// session over SessionIo, its request streams (created on HEADERS, their
// header fields counted against a limit, their DATA handed over, their end
// and close reported), and each stream's answer (headers, a body drained
// from a queue as flow control allows, trailers). The two differ in what a
// request means (a gRPC call, an HTTP exchange), not in how a stream lives.
//
// `Connection` derives from ServerSession<Connection, Stream>, where Stream
// derives from ServerStream, and implements:
//   void OnHeaderField(Stream&, absl::string_view key, std::string value);
//       a request header field, while the stream's fields stay within
//       max_header_bytes() (past that they are counted and dropped; the
//       Connection answers the stream when its HEADERS frame is done);
//   void OnHeadersDone(int32_t id, Stream&);      a HEADERS frame is whole
//   void OnRequestData(int32_t id, Stream&, absl::string_view data);
//   void OnRequestEnd(int32_t id, Stream&);       the client's END_STREAM
//   void OnStreamClosed(Stream&);                 before the stream is forgotten
//   size_t max_header_bytes() const;
//   const KeepaliveOptions& keepalive() const;
// and may hide these hooks, which do nothing here:
//   void OnBodyTaken(Stream&, size_t bytes);      nghttp2 took answer bytes
//   void OnAnswerEnded(int32_t id, Stream&);      END_STREAM was sent
// Each "On" hook may answer or reset its stream; the stream may be gone
// when it returns (look it up again with Find). Everything runs on the
// connection's loop.

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/rpc/byte_queue.h"
#include "common/rpc/session_io.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What every server stream has: the size of its request's header fields
// and the answer's body and trailers on their way out.
struct ServerStream {
  size_t header_bytes = 0;
  // Answer bytes nghttp2 has not taken yet; `body_done` once that is all.
  ByteQueue body;
  bool body_done = false;
  HeaderList trailers;  // sent after the body when not empty
};

struct ServerSessionSettings {
  uint32_t max_concurrent_streams = 100;
  uint32_t max_header_bytes = 16 * 1024;
  // 0: HTTP/2's defaults (64 KiB).
  uint32_t stream_window_bytes = 0;
  int32_t connection_window_bytes = 0;
};

template <typename Connection, typename Stream>
class ServerSession : public SessionIo<Connection> {
 protected:
  using SessionIo<Connection>::SessionIo;
  using SessionIo<Connection>::session_;

  // Creates the session and queues its SETTINGS (sent by the first flush).
  void StartSession(const ServerSessionSettings& settings) {
    nghttp2_session_server_new(&session_, Callbacks(), static_cast<Connection*>(this));
    std::vector<nghttp2_settings_entry> entries = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_bytes}};
    if (settings.stream_window_bytes > 0) {
      entries.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.stream_window_bytes});
    }
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries.data(), entries.size());
    if (settings.connection_window_bytes > 0) {
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                            settings.connection_window_bytes);
    }
  }

  Stream* Find(int32_t id) {
    auto found = streams_.find(id);
    return found == streams_.end() ? nullptr : found->second.get();
  }

  // The answer's headers; with `body`, a body follows from the stream's
  // queue (QueueBody, EndBody; filled before this call, it goes at once),
  // else the headers end the stream.
  void SubmitAnswer(int32_t id, const HeaderList& headers, bool body) {
    std::vector<nghttp2_nv> fields;
    fields.reserve(headers.size());
    for (const auto& [name, value] : headers) fields.push_back(HeaderField(name, value));
    nghttp2_data_provider provider;
    provider.source.ptr = nullptr;
    provider.read_callback = ReadBody;
    nghttp2_submit_response(session_, id, fields.data(), fields.size(), body ? &provider : nullptr);
  }

  // More of an answer's body; the caller flushes.
  void QueueBody(int32_t id, Stream& stream, absl::string_view bytes) {
    stream.body.Append(bytes);
    nghttp2_session_resume_data(session_, id);
  }

  // The end of an answer's body, with `trailers` after it when not empty;
  // the caller flushes.
  void EndBody(int32_t id, Stream& stream, HeaderList trailers = {}) {
    stream.body_done = true;
    stream.trailers = std::move(trailers);
    nghttp2_session_resume_data(session_, id);
  }

  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;

 private:
  static nghttp2_session_callbacks* Callbacks() {
    static nghttp2_session_callbacks* const callbacks = [] {
      nghttp2_session_callbacks* made = nullptr;
      nghttp2_session_callbacks_new(&made);
      nghttp2_session_callbacks_set_on_begin_headers_callback(made, OnBeginHeaders);
      nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(made, OnData);
      nghttp2_session_callbacks_set_on_frame_recv_callback(made, OnFrame);
      nghttp2_session_callbacks_set_on_stream_close_callback(made, OnClose);
      nghttp2_session_callbacks_set_on_frame_send_callback(made, OnFrameSent);
      return made;
    }();
    return callbacks;
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    auto& connection = *static_cast<Connection*>(self);
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      connection.streams_[frame->hd.stream_id] = std::make_unique<Stream>();
    }
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* self) {
    auto& connection = *static_cast<Connection*>(self);
    Stream* stream = connection.Find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    // RFC 7541's size of a header field: name, value and 32.
    stream->header_bytes += name_length + value_length + 32;
    if (stream->header_bytes > connection.max_header_bytes()) return 0;
    connection.OnHeaderField(*stream,
                             absl::string_view(reinterpret_cast<const char*>(name), name_length),
                             std::string(reinterpret_cast<const char*>(value), value_length));
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length,
                    void* self) {
    auto& connection = *static_cast<Connection*>(self);
    if (Stream* stream = connection.Find(id)) {
      connection.OnRequestData(id, *stream,
                               absl::string_view(reinterpret_cast<const char*>(data), length));
    }
    return 0;
  }

  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    auto& connection = *static_cast<Connection*>(self);
    if (frame->hd.type == NGHTTP2_PING) {
      // The answer to a shutdown's PING lets the second GOAWAY go.
      connection.OnPing((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0, !connection.streams_.empty(),
                        connection.keepalive());
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    const int32_t id = frame->hd.stream_id;
    Stream* stream = connection.Find(id);
    if (stream == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS) {
      connection.OnHeadersDone(id, *stream);
      stream = connection.Find(id);
      if (stream == nullptr) return 0;
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) connection.OnRequestEnd(id, *stream);
    return 0;
  }

  static int OnClose(nghttp2_session*, int32_t id, uint32_t, void* self) {
    auto& connection = *static_cast<Connection*>(self);
    auto found = connection.streams_.find(id);
    if (found == connection.streams_.end()) return 0;
    std::unique_ptr<Stream> stream = std::move(found->second);
    connection.streams_.erase(found);
    connection.OnStreamClosed(*stream);
    return 0;
  }

  static int OnFrameSent(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    auto& connection = *static_cast<Connection*>(self);
    if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
      connection.ResetPingStrikes();
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      if (Stream* stream = connection.Find(frame->hd.stream_id)) {
        connection.OnAnswerEnded(frame->hd.stream_id, *stream);
      }
    }
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t id, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* self) {
    auto& connection = *static_cast<Connection*>(self);
    Stream* stream = connection.Find(id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (stream->body.empty() && !stream->body_done) return NGHTTP2_ERR_DEFERRED;
    const size_t n = std::min(length, stream->body.size());
    std::copy_n(stream->body.Front().data(), n, buffer);
    stream->body.Consume(n);
    if (n > 0) connection.OnBodyTaken(*stream, n);
    if (stream->body.empty() && stream->body_done) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!stream->trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> fields;
        fields.reserve(stream->trailers.size());
        for (const auto& [name, value] : stream->trailers) {
          fields.push_back(HeaderField(name, value));
        }
        nghttp2_submit_trailer(session, id, fields.data(), fields.size());
      }
    }
    return static_cast<ssize_t>(n);
  }

 protected:
  // Default hooks (a Connection may hide them).
  void OnBodyTaken(Stream&, size_t) {}
  void OnAnswerEnded(int32_t, Stream&) {}
};

}  // namespace todo::common::rpc
