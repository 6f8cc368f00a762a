// The assistant: past conversations, the one open, and a turn streamed as
// it happens (each tool call and its result, then the reply's text), sent
// with the browser's time zone. A turn that changed tasks refreshes the list.
import { api, streamEvents, timeZone } from "./api.js";
import { html, useEffect, useRef, useState } from "./html.js";

const MUTATING = new Set(["add_task", "complete_task", "reopen_task", "update_task", "delete_task"]);

function ToolCall({ call }) {
  const result = call.result;
  const failed = result && result.error;
  return html`<div class=${`tool-call ${result ? (failed ? "failed" : "done") : "running"}`}>
    <code>${call.tool}</code> <span class="muted">${JSON.stringify(call.args || {})}</span>
    ${result && html`<div class="tool-result">${failed ? result.error : JSON.stringify(result)}</div>`}
  </div>`;
}

function Message({ message }) {
  return html`<li class=${`message ${message.role}`}>
    ${(message.tool_calls || []).map((call) => html`<${ToolCall} call=${call} />`)}
    ${message.content && html`<p>${message.content}</p>`}
  </li>`;
}

export function ChatPanel({ onTasksChanged }) {
  const [conversations, setConversations] = useState([]);
  const [current, setCurrent] = useState(null);  // conversation id, null: a new one
  const [messages, setMessages] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const input = useRef(null);
  const end = useRef(null);

  const loadConversations = async () => {
    try {
      setConversations((await api("GET", "/v1/conversations?page_size=50")).conversations || []);
    } catch (failure) {
      setError(failure.message);
    }
  };
  useEffect(() => { loadConversations(); }, []);
  useEffect(() => { end.current?.scrollIntoView({ block: "end" }); }, [messages]);

  async function open(id) {
    setCurrent(id);
    setError("");
    if (id === null) return setMessages([]);
    try {
      const page = await api("GET", `/v1/conversations/${id}/messages?page_size=200`);
      setMessages(page.messages || []);
    } catch (failure) {
      setError(failure.message);
    }
  }

  async function send(event) {
    event.preventDefault();
    const text = input.current.value.trim();
    if (!text || busy) return;
    input.current.value = "";
    setBusy(true);
    setError("");
    const reply = { role: "assistant", content: "", tool_calls: [] };
    setMessages((shown) => [...shown, { role: "user", content: text }, reply]);
    const update = () => setMessages((shown) => [...shown.slice(0, -1), { ...reply }]);
    let changed = false;
    try {
      const body = { message: text, time_zone: timeZone() };
      if (current) body.conversation_id = current;
      await streamEvents("POST", "/v1/chat:stream", body, {
        onEvent: (event) => {
          if (event.tool_call) {
            reply.tool_calls = [...reply.tool_calls, { ...event.tool_call }];
          } else if (event.tool_result) {
            reply.tool_calls = reply.tool_calls.map((call, i) =>
              i === reply.tool_calls.length - 1 ? { ...event.tool_result } : call);
            if (MUTATING.has(event.tool_result.tool)) changed = true;
          } else if (event.text_delta !== undefined) {
            reply.content += event.text_delta;
          } else if (event.done) {
            reply.content = event.done.response;
            reply.tool_calls = event.done.tool_calls || reply.tool_calls;
            if (!current) setCurrent(event.done.conversation_id);
          }
          update();
        },
      });
      loadConversations();
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
      if (changed) onTasksChanged();
      input.current?.focus();
    }
  }

  return html`<section class="chat" aria-labelledby="chat-title">
    <div class="chat-head">
      <h2 id="chat-title">Assistant</h2>
      <label class="compact">Conversation
        <select value=${current ?? ""} onChange=${(event) => open(event.currentTarget.value || null)}>
          <option value="">New conversation</option>
          ${conversations.map((c) => html`<option value=${c.id}>${c.title}</option>`)}
        </select>
      </label>
    </div>
    <ul class="messages" aria-live="polite">
      ${messages.length === 0 && html`<li class="muted hint">Try "add call mom tomorrow at 5pm",
        "what's due this week?" or "complete the dentist task".</li>`}
      ${messages.map((message, i) => html`<${Message} key=${i} message=${message} />`)}
      <li ref=${end} aria-hidden="true"></li>
    </ul>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <form class="chat-input" onSubmit=${send}>
      <input ref=${input} placeholder="Ask the assistant" aria-label="Message to the assistant" maxlength="4000" />
      <button type="submit" class="primary" disabled=${busy}>${busy ? "…" : "Send"}</button>
    </form>
  </section>`;
}
