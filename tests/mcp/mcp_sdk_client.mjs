// The MCP tests' client: the official TypeScript SDK (pinned in package.json)
// against the running suite. mcp_test.py starts the suite and runs this with
// MCP_URL, TOKEN (a user), OTHER_TOKEN (another user); it prints one JSON
// line of what it saw and exits non-zero on the first failed check.
import assert from "node:assert/strict";

import Ajv from "ajv";
import addFormats from "ajv-formats";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(process.env.MCP_URL);

async function connect(token, headers = {}) {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}`, ...headers } },
  });
  const client = new Client({ name: "todo-grpc-tests", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

const seen = {};
const client = await connect(process.env.TOKEN);
seen.server = client.getServerVersion();
seen.protocol = client.transport.protocolVersion;  // sent as MCP-Protocol-Version since
assert.equal(seen.server.name, "todo-grpc");
assert.ok(client.getServerCapabilities().tools, "the server offers tools");
await client.ping();

// Every tool, with schemas that compile and the hints the issue asks for.
const { tools } = await client.listTools();
seen.tools = tools.map((tool) => tool.name).sort();
assert.deepEqual(seen.tools, ["add_task", "complete_task", "delete_task", "list_tasks",
                              "reopen_task", "update_task"]);
const ajv = new Ajv({ strict: false });
addFormats(ajv);
for (const tool of tools) {
  assert.ok(tool.title && tool.description, `${tool.name}: title and description`);
  assert.equal(tool.inputSchema.type, "object");
  assert.equal(tool.outputSchema.type, "object");
  ajv.compile(tool.inputSchema);
  ajv.compile(tool.outputSchema);
  for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint"]) {
    assert.equal(typeof tool.annotations[hint], "boolean", `${tool.name}: ${hint}`);
  }
}
const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
assert.equal(byName.list_tasks.annotations.readOnlyHint, true);
assert.equal(byName.delete_task.annotations.destructiveHint, true);
assert.equal(byName.add_task.annotations.readOnlyHint, false);

// Every tool called; the SDK checks each structuredContent against its
// outputSchema.
async function call(name, args, on = client) {
  const result = await on.callTool({ name, arguments: args });
  assert.equal(result.content[0].type, "text");
  if (!result.isError) assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
  return result;
}
const added = await call("add_task", { title: "Renew passport", priority: "high",
                                       tags: ["errands"], due_date: "2026-12-24T09:00:00+01:00" });
assert.equal(added.isError, false);
assert.equal(added.structuredContent.status, "created");
const id = added.structuredContent.task_id;
const listed = await call("list_tasks", { search: "passport" });
assert.equal(listed.structuredContent.count, 1);
assert.equal(listed.structuredContent.tasks[0].id, id);
assert.equal(listed.structuredContent.tasks[0].priority, "high");
assert.equal((await call("update_task", { task_id: id, title: "Renew passport today" }))
  .structuredContent.status, "updated");
assert.equal((await call("complete_task", { task_id: id })).structuredContent.status, "completed");
assert.equal((await call("reopen_task", { task_id: id })).structuredContent.status, "reopened");

// Failures a model can act on are results with isError, not protocol errors.
const missing = await call("complete_task", { task_id: 987654321 });
assert.equal(missing.isError, true);
assert.match(missing.content[0].text, /not found/);
const bad = await call("add_task", { title: "" });
assert.equal(bad.isError, true);
await assert.rejects(client.callTool({ name: "make_coffee", arguments: {} }),
                     (error) => error.code === -32602 && /Unknown tool/.test(error.message));

// Another user's task is "not found", on every tool that takes an id.
const other = await connect(process.env.OTHER_TOKEN);
for (const name of ["complete_task", "reopen_task", "delete_task"]) {
  const refused = await call(name, { task_id: id }, other);
  assert.equal(refused.isError, true, `${name} on another user's task`);
  assert.match(refused.content[0].text, /not found/);
}
const updated = await call("update_task", { task_id: id, title: "mine now" }, other);
assert.equal(updated.isError, true);
assert.equal((await call("list_tasks", {}, other)).structuredContent.count, 0);

// A call replayed with the same request id creates one task.
const requestId = `replay-${process.pid}-${Date.now()}`;
const replaying = await connect(process.env.TOKEN, { "X-Request-Id": requestId });
const first = await call("add_task", { title: "Only once" }, replaying);
const second = await call("add_task", { title: "Only once" }, replaying);
assert.equal(second.structuredContent.task_id, first.structuredContent.task_id);
assert.equal((await call("list_tasks", { search: "once" })).structuredContent.count, 1);

assert.equal((await call("delete_task", { task_id: id })).structuredContent.status, "deleted");
assert.equal((await call("list_tasks", { search: "passport" })).structuredContent.count, 0);

await client.close();
await other.close();
await replaying.close();
console.log(JSON.stringify(seen));
