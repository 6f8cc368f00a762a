"""The whole suite as a frontend meets it, through the gateway only.

The real todo-auth, todo-tasks, todo-chat and todo-gateway on a throwaway
Postgres (tests/attack/stack.py). One user's life: sign-up, task CRUD,
filters and search, recurrence, the reminders stream, a chat that changes
tasks, the conversation's history, and account deletion that leaves no row
of the user in any schema. Beside it, a second user who never sees the
first one's data on any route.
"""
import datetime
import json
import os
import socket
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "attack"))
from stack import Stack, free_port, json_request, sign_up  # noqa: E402  (the one stack helper)


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class GatewayEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.metrics_ports = {name: free_port() for name in ("auth", "tasks", "chat", "gateway")}
        extra_env = {name: {"METRICS_PORT": str(port)} for name, port in cls.metrics_ports.items()}
        # Debug lines: each backend writes one per call (rpc_finished), which
        # the trace test follows.
        for backend in ("auth", "tasks", "chat"):
            extra_env[backend]["LOG_LEVEL"] = "debug"
        cls.stack = Stack(with_chat=True, extra_env=extra_env)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def call(self, method, path, body=None, token=None, expect=200, headers=None):
        status, _, parsed = json_request(self.stack, method, path, body, token, headers)
        self.assertEqual(status, expect, f"{method} {path}: {parsed}")
        return parsed

    def titles(self, token, query=""):
        listed = self.call("GET", f"/v1/tasks{query}", token=token)
        return sorted(task["title"] for task in listed.get("tasks", []))

    def first_reminder(self, token, timeout=15):
        """Opens the reminders stream and reads until one reminder arrives."""
        with socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=timeout) as sock:
            sock.sendall((f"GET /v1/tasks:streamReminders HTTP/1.1\r\nHost: e2e\r\n"
                          f"Authorization: Bearer {token}\r\n\r\n").encode())
            received = b""
            while b'"taskId"' not in received and b'"task_id"' not in received:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        self.assertIn(b"200", received.split(b"\r\n", 1)[0], received)
        return received.decode(errors="replace")

    def test_a_users_life_and_a_neighbour_who_sees_none_of_it(self):
        ada, ada_id, _ = sign_up(self.stack)
        bob, bob_id, _ = sign_up(self.stack)
        me = self.call("GET", "/v1/auth/me", token=ada)
        self.assertEqual(me["id"], ada_id)

        # Task CRUD.
        now = datetime.datetime.now(datetime.timezone.utc)
        created = self.call("POST", "/v1/tasks", {"title": "Write report", "priority": "high",
                                                  "tags": ["Work"], "category": "office",
                                                  "due_date": iso(now + datetime.timedelta(days=1))},
                            ada)
        task_id = created["id"]
        self.assertEqual(created["tags"], ["work"])
        fetched = self.call("GET", f"/v1/tasks/{task_id}", token=ada)
        self.assertEqual(fetched["title"], "Write report")
        updated = self.call("PATCH", f"/v1/tasks/{task_id}?update_mask=description",
                            {"description": "quarterly numbers"}, ada)
        self.assertEqual(updated["description"], "quarterly numbers")
        self.assertEqual(updated["priority"], "high")
        self.call("POST", "/v1/tasks", {"title": "Buy groceries", "tags": ["home"]}, ada)
        self.call("POST", "/v1/tasks", {"title": "50% off sale", "priority": "low"}, ada)
        throwaway = self.call("POST", "/v1/tasks", {"title": "Temporary"}, ada)
        self.call("DELETE", f"/v1/tasks/{throwaway['id']}", token=ada)
        self.call("GET", f"/v1/tasks/{throwaway['id']}", token=ada, expect=404)

        # Filters and search, the literal kind included.
        self.assertEqual(self.titles(ada, "?priority=high"), ["Write report"])
        self.assertEqual(self.titles(ada, "?tag=home"), ["Buy groceries"])
        self.assertEqual(self.titles(ada, "?q=quarterly"), ["Write report"])
        self.assertEqual(self.titles(ada, "?q=" + urllib.parse.quote("%")), ["50% off sale"])
        due_before = urllib.parse.quote(iso(now + datetime.timedelta(days=2)))
        self.assertEqual(self.titles(ada, f"?due_before={due_before}"), ["Write report"])
        self.call("POST", f"/v1/tasks/{task_id}:complete", token=ada)
        self.assertEqual(self.titles(ada, "?status=completed"), ["Write report"])
        self.call("POST", f"/v1/tasks/{task_id}:reopen", token=ada)
        self.assertEqual(self.titles(ada, "?status=completed"), [])

        # Recurrence: completing a daily task makes the next one, a day later.
        due = now + datetime.timedelta(hours=3)
        daily = self.call("POST", "/v1/tasks", {"title": "Stretch", "recurrence": "daily",
                                                "due_date": iso(due)}, ada)
        self.call("POST", f"/v1/tasks/{daily['id']}:complete", token=ada)
        pending = self.call("GET", "/v1/tasks?status=pending&q=stretch", token=ada)["tasks"]
        self.assertEqual(len(pending), 1, pending)
        next_due = datetime.datetime.fromisoformat(pending[0]["due_date"].replace("Z", "+00:00"))
        self.assertEqual(next_due - due.replace(microsecond=0), datetime.timedelta(days=1))

        # Reminders: one that is due arrives on the stream.
        reminded = self.call("POST", "/v1/tasks", {"title": "Call the dentist",
                                                   "remind_at": iso(now - datetime.timedelta(seconds=1))},
                             ada)
        self.assertIn(str(reminded["id"]), self.first_reminder(ada))

        # A chat that changes tasks, and its history.
        turn = self.call("POST", "/v1/chat", {"message": "add pay rent tomorrow at 9am"}, ada)
        self.assertEqual(turn["tool_calls"][0]["tool"], "add_task", turn)
        conversation = turn["conversation_id"]
        self.assertIn("Pay rent", self.titles(ada, "?q=rent"))
        turn = self.call("POST", "/v1/chat", {"conversation_id": conversation,
                                              "message": "mark pay rent as done"}, ada)
        self.assertEqual(turn["tool_calls"][-1]["tool"], "complete_task", turn)
        self.assertEqual(self.titles(ada, "?status=completed&q=rent"), ["Pay rent"])
        conversations = self.call("GET", "/v1/conversations", token=ada)["conversations"]
        self.assertEqual([c["id"] for c in conversations], [conversation])
        messages = self.call("GET", f"/v1/conversations/{conversation}/messages", token=ada)
        self.assertEqual([m["role"] for m in messages["messages"]],
                         ["user", "assistant", "user", "assistant"])

        # The neighbour: nothing of Ada's on any route, each answered as missing.
        self.assertEqual(self.titles(bob), [])
        self.assertEqual(self.titles(bob, "?q=rent"), [])
        self.call("GET", f"/v1/tasks/{task_id}", token=bob, expect=404)
        self.call("PATCH", f"/v1/tasks/{task_id}", {"title": "mine"}, bob, expect=404)
        self.call("POST", f"/v1/tasks/{task_id}:complete", token=bob, expect=404)
        self.call("POST", f"/v1/tasks/{task_id}:reopen", token=bob, expect=404)
        self.call("DELETE", f"/v1/tasks/{task_id}", token=bob, expect=404)
        self.call("GET", f"/api/{ada_id}/tasks", token=bob, expect=404)
        self.call("GET", f"/api/{ada_id}/tasks/{task_id}", token=bob, expect=404)
        self.call("POST", f"/api/{ada_id}/chat", {"message": "list my tasks"}, bob, expect=404)
        self.call("GET", f"/v1/conversations/{conversation}", token=bob, expect=404)
        self.call("GET", f"/v1/conversations/{conversation}/messages", token=bob, expect=404)
        self.call("POST", "/v1/chat", {"conversation_id": conversation, "message": "hello"}, bob,
                  expect=404)
        self.call("DELETE", f"/v1/conversations/{conversation}", token=bob, expect=404)
        self.assertEqual(self.call("GET", "/v1/conversations", token=bob).get("conversations", []),
                         [])
        bobs_turn = self.call("POST", "/v1/chat", {"message": "show my tasks"}, bob)
        self.assertNotIn("rent", json.dumps(bobs_turn).lower())
        self.assertNotIn("report", json.dumps(bobs_turn).lower())
        self.assertEqual(self.titles(ada, "?q=report"), ["Write report"])  # untouched

        # Delete-me: no row of Ada's in any schema; Bob keeps his.
        self.call("DELETE", "/v1/auth/me", token=ada)
        self.call("GET", "/v1/tasks", token=ada, expect=401)
        for table in self.tables_with_user_rows():
            self.assertEqual(self.rows_of(table, ada_id), 0, f"{table} still holds Ada's rows")
        self.assertGreater(self.rows_of("chat.conversations", bob_id), 0)

    def test_every_process_serves_its_metrics(self):
        token, _, _ = sign_up(self.stack)
        self.call("POST", "/v1/tasks", {"title": "Counted"}, token)
        self.call("GET", "/v1/tasks/999999", token=token, expect=404)
        self.call("GET", "/nowhere", expect=404)
        scraped = {}
        for name, port in self.metrics_ports.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                scraped[name] = answer.read().decode()
            self.assertIn(f'todo_build_info{{service="todo-{name}"', scraped[name])
        gateway = scraped["gateway"]
        self.assertIn('http_server_requests_total{code="200",'
                      'route="todo.tasks.v1.TasksService/CreateTask"}', gateway)
        self.assertIn('http_server_requests_total{code="404",'
                      'route="todo.tasks.v1.TasksService/GetTask"}', gateway)
        self.assertIn('http_server_requests_total{code="404",route="unmatched"}', gateway)
        self.assertNotIn("nowhere", gateway)
        self.assertIn('grpc_server_handled_total{grpc_code="NOT_FOUND",grpc_method="GetTask",'
                      'grpc_service="todo.tasks.v1.TasksService"}', scraped["tasks"])
        self.assertIn('grpc_server_handled_total{grpc_code="OK",grpc_method="SignUp",'
                      'grpc_service="todo.auth.v1.AuthService"}', scraped["auth"])
        self.assertIn('todo_health_serving{health_service="todo.chat.v1.ChatService"} 1',
                      scraped["chat"])
        for name in ("auth", "tasks", "chat"):
            self.assertRegex(scraped[name], r'todo_db_pool_connections\{state="open"\} [1-9]')
        # tasks' event loops each hold a pipelined connection, all up.
        self.assertRegex(scraped["tasks"], r'todo_db_pipeline_connections\{state="up"\} [1-9]')
        self.assertIn('todo_db_pipeline_connections{state="down"} 0', scraped["tasks"])
        self.assertRegex(scraped["tasks"], r'\ntodo_db_pipeline_statements \d+')

    def log_lines(self, service, trace_id):
        """The JSON log lines of `service` that name `trace_id`."""
        lines = [json.loads(line) for line in self.stack.services[service].log_text().splitlines()
                 if line.startswith("{") and trace_id in line]
        return [line for line in lines if line.get("trace_id") == trace_id]

    def test_a_trace_reaches_every_service_and_the_log_lines_of_its_request(self):
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        parent = f"00-{trace_id}-00f067aa0ba902b7-01"
        status, headers, body = json_request(
            self.stack, "POST", "/v1/auth/sign-up",
            {"email": "traced@example.com", "password": "correct horse battery", "name": "T"},
            headers={"traceparent": parent, "tracestate": "vendor=abc"})
        self.assertEqual(status, 200, body)
        token = body["access_token"]
        # The gateway answers in a span of its own within the caller's trace.
        answered = dict((k.lower(), v) for k, v in headers.items())["traceresponse"]
        self.assertRegex(answered, rf"^00-{trace_id}-[0-9a-f]{{16}}-01$")
        self.assertNotIn("00f067aa0ba902b7", answered)

        chat_trace = "0af7651916cd43dd8448eb211c80319c"
        status, headers, body = json_request(
            self.stack, "POST", "/v1/chat", {"message": "add water the plants tomorrow"}, token,
            headers={"traceparent": f"00-{chat_trace}-b7ad6b7169203331-01"})
        self.assertEqual(status, 200, body)
        # A request without one gets a new trace, named in its answer.
        status, headers, _ = json_request(self.stack, "GET", "/v1/tasks", token=token)
        self.assertEqual(status, 200)
        new_trace = dict((k.lower(), v) for k, v in headers.items())["traceresponse"].split("-")[1]
        self.assertNotIn(new_trace, (trace_id, chat_trace))

        deadline = time.time() + 5  # the gateway flushes its access log in batches
        while time.time() < deadline and not self.log_lines("gateway", new_trace):
            time.sleep(0.1)
        self.assertTrue(self.log_lines("gateway", trace_id), "the gateway's access log")
        self.assertTrue(self.log_lines("gateway", chat_trace))
        self.assertTrue(self.log_lines("gateway", new_trace))
        signed_up = self.log_lines("auth", trace_id)
        self.assertIn("/todo.auth.v1.AuthService/SignUp", [line.get("method") for line in signed_up])
        # The turn in chat, and the task its tool created in tasks, one trace.
        chat_methods = [line.get("method") for line in self.log_lines("chat", chat_trace)]
        self.assertIn("/todo.chat.v1.ChatService/SendMessage", chat_methods)
        task_methods = [line.get("method") for line in self.log_lines("tasks", chat_trace)]
        self.assertIn("/todo.tasks.v1.TasksService/CreateTask", task_methods)
        listed = [line.get("method") for line in self.log_lines("tasks", new_trace)]
        self.assertIn("/todo.tasks.v1.TasksService/ListTasks", listed)
        # Every span is its own: the caller's span id never repeats as a
        # service's.
        for service in ("auth", "chat", "tasks"):
            for line in self.log_lines(service, trace_id) + self.log_lines(service, chat_trace):
                self.assertRegex(line["span_id"], "^[0-9a-f]{16}$")
                self.assertNotIn(line["span_id"], ("00f067aa0ba902b7", "b7ad6b7169203331"))

    def tables_with_user_rows(self):
        """Every table of the three schemas with a user id column, tombstones aside."""
        listed = self.stack.pg.psql(
            "SELECT table_schema || '.' || table_name FROM information_schema.columns "
            "WHERE table_schema IN ('auth', 'tasks', 'chat') AND column_name IN ('user_id', 'id') "
            "AND table_name NOT IN ('deleted_users', 'schema_migrations') "
            "AND data_type IN ('text', 'uuid') ORDER BY 1", database="todo")
        tables = listed.split()
        self.assertIn("auth.users", tables)
        self.assertIn("tasks.tasks", tables)
        self.assertIn("chat.messages", tables)
        return tables

    def rows_of(self, table, user_id):
        column = "id" if table == "auth.users" else "user_id"
        return int(self.stack.pg.psql(f"SELECT count(*) FROM {table} WHERE {column}::text = '{user_id}'",
                                      database="todo"))


if __name__ == "__main__":
    unittest.main()
