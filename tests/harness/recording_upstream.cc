#include "tests/harness/recording_upstream.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace todo::testing {
namespace {

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return bytes;
}

}  // namespace

RecordingUpstream::RecordingUpstream(int port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterAsyncGenericService(&service_);
  queue_ = builder.AddCompletionQueue();
  server_ = builder.BuildAndStart();
  // One call at a time: enough for table tests, and simple.
  thread_ = std::thread([this] { ServeCalls(); });
}

RecordingUpstream::~RecordingUpstream() {
  {
    absl::MutexLock lock(&request_mutex_);
    shutting_down_ = true;
  }
  // The server first: calls in progress are cancelled and their operations
  // complete, so the serving thread finishes what it started and returns.
  // Only then may the queue shut down (no operation may start after that).
  server_->Shutdown();
  thread_.join();
  queue_->Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue_->Next(&tag, &ok)) {
  }
}

std::string RecordingUpstream::target() const { return absl::StrCat("127.0.0.1:", port_); }

void RecordingUpstream::SetReply(Reply reply) {
  absl::MutexLock lock(&mutex_);
  reply_ = std::move(reply);
}

std::vector<RecordingUpstream::Seen> RecordingUpstream::seen() const {
  absl::MutexLock lock(&mutex_);
  return seen_;
}

void RecordingUpstream::ServeCalls() {
  while (true) {
    grpc::GenericServerContext context;
    grpc::GenericServerAsyncReaderWriter stream(&context);
    void* tag = nullptr;
    bool ok = false;
    {
      absl::MutexLock lock(&request_mutex_);
      if (shutting_down_) return;
      service_.RequestCall(&context, &stream, queue_.get(), queue_.get(),
                           reinterpret_cast<void*>(1));
    }
    if (!queue_->Next(&tag, &ok) || !ok) return;
    Seen seen;
    seen.method = context.method();
    for (const auto& [key, value] : context.client_metadata()) {
      seen.metadata.emplace(std::string(key.data(), key.size()),
                            std::string(value.data(), value.size()));
    }
    grpc::ByteBuffer request;
    stream.Read(&request, reinterpret_cast<void*>(2));
    if (queue_->Next(&tag, &ok) && ok) seen.message = Bytes(request);
    Reply reply;
    {
      absl::MutexLock lock(&mutex_);
      seen_.push_back(seen);
      reply = reply_;
    }
    for (const std::string& message : reply.messages) {
      grpc::Slice slice(message);
      stream.Write(grpc::ByteBuffer(&slice, 1), reinterpret_cast<void*>(3));
      if (!queue_->Next(&tag, &ok)) return;
      if (!ok) break;  // the client went away (or the server is stopping)
    }
    stream.Finish(
        grpc::Status(static_cast<grpc::StatusCode>(reply.code), reply.message, reply.details_bin),
        reinterpret_cast<void*>(4));
    if (!queue_->Next(&tag, &ok)) return;
  }
}

}  // namespace todo::testing
