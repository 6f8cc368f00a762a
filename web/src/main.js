// The web app: sign-in, the task list beside the assistant, the API docs.
import { api, session } from "./api.js";
import { AuthScreen } from "./auth.js";
import { ChatPanel } from "./chat.js";
import { Docs } from "./docs.js";
import { html, render, useEffect, useState } from "./html.js";
import { useReminders } from "./reminders.js";
import { TaskList } from "./tasks.js";
import { notify, Toasts } from "./toasts.js";

function Account({ user }) {
  async function deleteAccount() {
    if (!window.confirm("Delete your account, every task and every conversation? This cannot be undone.")) return;
    try {
      await api("DELETE", "/v1/auth/me");
      session.end();
    } catch (failure) {
      notify(failure.message, { kind: "error" });
    }
  }
  return html`<div class="account">
    <span class="muted">${user ? user.name || user.email : ""}</span>
    <a href="/docs">API</a>
    <button type="button" onClick=${() => session.end()}>Sign out</button>
    <button type="button" class="danger" onClick=${deleteAccount}>Delete account</button>
  </div>`;
}

function Home({ token }) {
  const [user, setUser] = useState(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [view, setView] = useState("tasks");  // on a phone: one panel at a time
  useReminders(token);
  useEffect(() => {
    api("GET", "/v1/auth/me").then(setUser, () => {});
  }, [token]);
  return html`<div class=${`home show-${view}`}>
    <header>
      <h1>Todo</h1>
      <nav class="switch" aria-label="Panels">
        <button type="button" aria-pressed=${view === "tasks"} onClick=${() => setView("tasks")}>Tasks</button>
        <button type="button" aria-pressed=${view === "chat"} onClick=${() => setView("chat")}>Assistant</button>
      </nav>
      <${Account} user=${user} />
    </header>
    <main id="main" class="panels">
      <${TaskList} refreshKey=${refreshKey} />
      <${ChatPanel} onTasksChanged=${() => setRefreshKey((key) => key + 1)} />
    </main>
  </div>`;
}

function App() {
  const [token, setToken] = useState(session.token);
  const [path, setPath] = useState(location.pathname);
  useEffect(() => session.onChange(setToken), []);
  useEffect(() => {
    const follow = () => setPath(location.pathname);
    addEventListener("popstate", follow);
    return () => removeEventListener("popstate", follow);
  }, []);
  return html`<a class="skip" href="#main">Skip to content</a>
    ${path === "/docs" ? html`<${Docs} />` : token ? html`<${Home} token=${token} />` : html`<${AuthScreen} />`}
    <${Toasts} />`;
}

render(html`<${App} />`, document.getElementById("app"));
