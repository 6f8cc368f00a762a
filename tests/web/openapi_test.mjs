// /openapi.json against the gateway that serves it: valid OpenAPI 3.1
// (@seriousme/openapi-schema-validator, pinned in package.json), and true:
// every operation it lists is called, answers 2xx, and its body validates
// against the documented schema (Ajv, JSON Schema 2020-12 as OpenAPI 3.1
// uses it). Env: BASE_URL, TOKEN and USER_ID of a signed-up user.
import assert from "node:assert/strict";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";

const base = process.env.BASE_URL;
const token = process.env.TOKEN;
const userId = process.env.USER_ID;

const document = await (await fetch(`${base}/openapi.json`)).json();
const validator = new Validator();
const validity = await validator.validate(structuredClone(document));
assert.ok(validity.valid, JSON.stringify(validity.errors));
assert.equal(validator.version, "3.1");

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: "openapi.json", components: document.components });
const validate = (schema) =>
  ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')));

async function call(method, path, body, { auth = true, accept } = {}) {
  const headers = {};
  if (auth) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (accept) headers.accept = accept;
  return fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function newTask(title) {
  const answer = await call("POST", "/v1/tasks", { title });
  assert.equal(answer.status, 200);
  return (await answer.json()).id;
}

const chat = await (await call("POST", "/v1/chat", { message: "add water plants tomorrow" })).json();
const conversationId = chat.conversation_id;
const email = `openapi-${Date.now()}@example.com`;

// What each operation is sent: path values, a body.
function plan(operationId, path) {
  const taskId = newTask(`for ${operationId}`);
  const values = async (name) => {
    if (name === "user_id") return userId;
    if (name === "conversation_id") return conversationId;
    if (name === "id") return path.startsWith("/v1/conversations") ? conversationId : taskId;
    throw new Error(`no value for {${name}} in ${path}`);
  };
  const bodies = {
    AuthService_SignUp: { email, password: "correct horse battery", name: "OpenAPI" },
    AuthService_SignIn: { email, password: "correct horse battery" },
    TasksService_CreateTask: { title: "created through the document" },
    TasksService_CreateTask_2: { title: "created through the compatibility path" },
    TasksService_UpdateTask: { title: "renamed" },
    TasksService_ReplaceTask: { title: "replaced" },
    ChatService_SendMessage: { message: "show my tasks" },
    ChatService_SendMessage_2: { message: "show my tasks" },
    ChatService_StreamMessage: { message: "hello" },
  };
  return { values, body: bodies[operationId] ?? {} };
}

const operations = [];
for (const [path, methods] of Object.entries(document.paths)) {
  for (const [method, operation] of Object.entries(methods)) operations.push({ path, method, operation });
}
// Deleting comes last, and deleting the account last of all.
const rank = ({ method, path }) => (method === "delete" ? (path === "/v1/auth/me" ? 2 : 1) : 0);
operations.sort((a, b) => rank(a) - rank(b) || (a.operation.operationId === "AuthService_SignUp" ? -1 : 0));

// The error body of every route is the documented one.
const failed = await call("GET", "/v1/tasks/999999999");
assert.equal(failed.status, 404);
const checkError = validate({ $ref: "#/components/schemas/Error" });
assert.ok(checkError(await failed.json()), JSON.stringify(checkError.errors));

let called = 0;
for (const { path, method, operation } of operations) {
  const { values, body } = plan(operation.operationId, path);
  let url = path;
  for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
    url = url.replace(`{${name}}`, encodeURIComponent(await values(name)));
  }
  const anonymous = Array.isArray(operation.security) && operation.security.length === 0;
  const sendsBody = operation.requestBody !== undefined;
  const streaming = operation.responses["200"].content["text/event-stream"] !== undefined;
  const what = `${method.toUpperCase()} ${path} (${operation.operationId})`;
  const answer = await call(method.toUpperCase(), url, sendsBody ? body : undefined, { auth: !anonymous });
  if (answer.status < 200 || answer.status >= 300) {
    assert.fail(`${what}: ${answer.status} ${await answer.text()}`);
  }
  if (streaming && operation.operationId.includes("Reminders")) {
    // An open stream: its head is what can be checked.
    assert.match(answer.headers.get("content-type"), /application\/json/);
    await answer.body.cancel();
  } else {
    const schema = operation.responses["200"].content["application/json"].schema;
    const check = validate(schema);
    const parsed = await answer.json();
    assert.ok(check(parsed), `${what}: ${JSON.stringify(check.errors)} in ${JSON.stringify(parsed).slice(0, 500)}`);
  }
  called++;
}

console.log(`openapi: valid OpenAPI ${validator.version}; ${called} operations on ` +
            `${Object.keys(document.paths).length} paths called, each 2xx with a body of its documented schema`);
