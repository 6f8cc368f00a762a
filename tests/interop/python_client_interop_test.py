"""gRPC's interoperability cases run by Python grpcio (Debian's python3-grpcio)
against our server (common/rpc) serving the grpc.testing.TestService fixture
(interop-server). Message classes come from the build's descriptor set of
Debian's grpc-proto protos; calls go through grpcio's generic callables."""

import os
import subprocess
import unittest

import grpc
from google.protobuf import descriptor_pb2, message_factory

SERVICE = "/grpc.testing.TestService/"
INITIAL = "x-grpc-test-echo-initial"
TRAILING = "x-grpc-test-echo-trailing-bin"


def load_messages():
    files = descriptor_pb2.FileDescriptorSet()
    with open(os.environ["TODO_INTEROP_DESCRIPTORS"], "rb") as f:
        files.ParseFromString(f.read())
    return message_factory.GetMessages(files.file)


M = load_messages()
Empty = M["grpc.testing.Empty"]
SimpleRequest = M["grpc.testing.SimpleRequest"]
SimpleResponse = M["grpc.testing.SimpleResponse"]
InputRequest = M["grpc.testing.StreamingInputCallRequest"]
InputResponse = M["grpc.testing.StreamingInputCallResponse"]
OutputRequest = M["grpc.testing.StreamingOutputCallRequest"]
OutputResponse = M["grpc.testing.StreamingOutputCallResponse"]


def zeros(n):
    return b"\0" * n


class PythonInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen([os.environ["TODO_INTEROP_SERVER"], "0"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = cls.server.stdout.readline()
        assert line.startswith("port "), line
        cls.target = "127.0.0.1:" + line.split()[1]
        cls.channel = grpc.insecure_channel(cls.target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.terminate()
        cls.server.wait(timeout=10)

    def unary(self, method, response_type):
        return self.channel.unary_unary(SERVICE + method, request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=response_type.FromString)

    def client_stream(self):
        return self.channel.stream_unary(SERVICE + "StreamingInputCall",
                                         request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=InputResponse.FromString)

    def server_stream(self):
        return self.channel.unary_stream(SERVICE + "StreamingOutputCall",
                                         request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=OutputResponse.FromString)

    def duplex(self, method="FullDuplexCall"):
        return self.channel.stream_stream(SERVICE + method,
                                          request_serializer=lambda m: m.SerializeToString(),
                                          response_deserializer=OutputResponse.FromString)

    def test_empty_unary(self):
        self.assertEqual(self.unary("EmptyCall", Empty)(Empty(), timeout=10), Empty())

    def test_large_unary(self):
        response = self.unary("UnaryCall", SimpleResponse)(
            SimpleRequest(response_size=314159, payload={"body": zeros(271828)}), timeout=10)
        self.assertEqual(response.payload.body, zeros(314159))

    def test_client_compressed_unary(self):
        call = self.unary("UnaryCall", SimpleResponse)
        probe = SimpleRequest(response_size=314159, payload={"body": zeros(271828)},
                              expect_compressed={"value": True})
        with self.assertRaises(grpc.RpcError) as refused:
            call(probe, timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        for compressed in (True, False):
            request = SimpleRequest(response_size=314159, payload={"body": zeros(271828)},
                                    expect_compressed={"value": compressed})
            response = call(request, timeout=10,
                            compression=grpc.Compression.Gzip if compressed else grpc.Compression.NoCompression)
            self.assertEqual(len(response.payload.body), 314159)

    def test_server_compressed_unary(self):
        for compressed in (True, False):
            response = self.unary("UnaryCall", SimpleResponse)(
                SimpleRequest(response_size=314159, payload={"body": zeros(271828)},
                              response_compressed={"value": compressed}), timeout=10)
            self.assertEqual(response.payload.body, zeros(314159))

    def test_client_streaming(self):
        requests = [InputRequest(payload={"body": zeros(n)}) for n in (27182, 8, 1828, 45904)]
        self.assertEqual(self.client_stream()(iter(requests), timeout=10).aggregated_payload_size, 74922)

    def test_client_compressed_streaming(self):
        with self.assertRaises(grpc.RpcError) as refused:
            self.client_stream()(iter([InputRequest(payload={"body": zeros(27182)},
                                                    expect_compressed={"value": True})]), timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        requests = [InputRequest(payload={"body": zeros(27182)}, expect_compressed={"value": True}),
                    InputRequest(payload={"body": zeros(45904)}, expect_compressed={"value": True})]
        response = self.client_stream()(iter(requests), timeout=10, compression=grpc.Compression.Gzip)
        self.assertEqual(response.aggregated_payload_size, 73086)

    def test_server_streaming(self):
        request = OutputRequest(response_parameters=[{"size": n} for n in (31415, 9, 2653, 58979)])
        sizes = [len(r.payload.body) for r in self.server_stream()(request, timeout=10)]
        self.assertEqual(sizes, [31415, 9, 2653, 58979])

    def test_server_compressed_streaming(self):
        request = OutputRequest(response_parameters=[{"size": 31415, "compressed": {"value": True}},
                                                     {"size": 92653, "compressed": {"value": False}}])
        sizes = [len(r.payload.body) for r in self.server_stream()(request, timeout=10)]
        self.assertEqual(sizes, [31415, 92653])

    def test_ping_pong(self):
        import queue
        outgoing = queue.Queue()
        responses = self.duplex()(iter(outgoing.get, None), timeout=10)
        for request_size, response_size in ((27182, 31415), (8, 9), (1828, 2653), (45904, 58979)):
            outgoing.put(OutputRequest(response_parameters=[{"size": response_size}],
                                       payload={"body": zeros(request_size)}))
            self.assertEqual(len(next(responses).payload.body), response_size)
        outgoing.put(None)
        self.assertEqual(list(responses), [])
        self.assertEqual(responses.code(), grpc.StatusCode.OK)

    def test_empty_stream(self):
        responses = self.duplex()(iter([]), timeout=10)
        self.assertEqual(list(responses), [])
        self.assertEqual(responses.code(), grpc.StatusCode.OK)

    def test_cancel_after_begin(self):
        import threading
        never = threading.Event()

        def wait_forever():
            never.wait(5)
            return
            yield  # a generator that sends nothing

        future = self.client_stream().future(wait_forever(), timeout=10)
        future.cancel()
        self.assertTrue(future.cancelled())
        never.set()

    def test_cancel_after_first_response(self):
        import queue
        outgoing = queue.Queue()
        responses = self.duplex()(iter(outgoing.get, None), timeout=10)
        outgoing.put(OutputRequest(response_parameters=[{"size": 31415}], payload={"body": zeros(27182)}))
        self.assertEqual(len(next(responses).payload.body), 31415)
        responses.cancel()
        self.assertEqual(responses.code(), grpc.StatusCode.CANCELLED)
        outgoing.put(None)

    def test_timeout_on_sleeping_server(self):
        import queue
        outgoing = queue.Queue()
        outgoing.put(OutputRequest(payload={"body": zeros(27182)}))
        responses = self.duplex()(iter(outgoing.get, None), timeout=0.001)
        with self.assertRaises(grpc.RpcError) as ended:
            list(responses)
        self.assertEqual(ended.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        outgoing.put(None)

    def test_custom_metadata(self):
        metadata = ((INITIAL, "test_initial_metadata_value"), (TRAILING, b"\xab\xab\xab"))
        _, call = self.unary("UnaryCall", SimpleResponse).with_call(
            SimpleRequest(response_size=314159, payload={"body": zeros(271828)}), timeout=10,
            metadata=metadata)
        self.assertIn((INITIAL, "test_initial_metadata_value"), call.initial_metadata())
        self.assertIn((TRAILING, b"\xab\xab\xab"), call.trailing_metadata())
        responses = self.duplex()(iter([OutputRequest(response_parameters=[{"size": 314159}],
                                                      payload={"body": zeros(271828)})]),
                                  timeout=10, metadata=metadata)
        self.assertEqual(len(list(responses)), 1)
        self.assertIn((INITIAL, "test_initial_metadata_value"), responses.initial_metadata())
        self.assertIn((TRAILING, b"\xab\xab\xab"), responses.trailing_metadata())

    def test_status_code_and_message(self):
        for message in ("test status message",
                        "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"):
            with self.assertRaises(grpc.RpcError) as failed:
                self.unary("UnaryCall", SimpleResponse)(
                    SimpleRequest(response_status={"code": 2, "message": message}), timeout=10)
            self.assertEqual(failed.exception.code(), grpc.StatusCode.UNKNOWN)
            self.assertEqual(failed.exception.details(), message)
            responses = self.duplex()(iter([OutputRequest(response_status={"code": 2, "message": message})]),
                                      timeout=10)
            with self.assertRaises(grpc.RpcError) as failed:
                list(responses)
            self.assertEqual(failed.exception.code(), grpc.StatusCode.UNKNOWN)
            self.assertEqual(failed.exception.details(), message)

    def test_unimplemented_method(self):
        with self.assertRaises(grpc.RpcError) as failed:
            self.unary("UnimplementedCall", Empty)(Empty(), timeout=10)
        self.assertEqual(failed.exception.code(), grpc.StatusCode.UNIMPLEMENTED)

    def test_unimplemented_service(self):
        call = self.channel.unary_unary("/grpc.testing.UnimplementedService/UnimplementedCall",
                                        request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=Empty.FromString)
        with self.assertRaises(grpc.RpcError) as failed:
            call(Empty(), timeout=10)
        self.assertEqual(failed.exception.code(), grpc.StatusCode.UNIMPLEMENTED)


if __name__ == "__main__":
    unittest.main()
