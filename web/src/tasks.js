// The task list: status tabs (with overdue and due today), search, filters,
// sort and paging; complete/reopen, edit, and delete with undo.
import { api } from "./api.js";
import { describeDue, endOfDay, isOverdue, startOfDay } from "./dates.js";
import { html, useCallback, useEffect, useState } from "./html.js";
import { TaskDialog } from "./task_dialog.js";
import { notify } from "./toasts.js";

const TABS = [
  ["all", "All"], ["pending", "Pending"], ["in_progress", "In progress"],
  ["completed", "Completed"], ["overdue", "Overdue"], ["today", "Due today"],
];
const SORTS = [
  ["created_at desc", "Newest"], ["due_date", "Due date"], ["priority desc", "Priority"],
  ["title", "Title"], ["updated_at desc", "Recently changed"],
];
const PAGE_SIZE = 20;
const UNDO_SECONDS = 5;

function query(tab, filters, pageToken) {
  const params = new URLSearchParams({ page_size: String(PAGE_SIZE), order_by: filters.sort });
  if (tab === "overdue") {
    params.set("status", "pending");
    params.set("due_before", new Date().toISOString());
  } else if (tab === "today") {
    params.set("status", "all");
    params.set("due_after", startOfDay().toISOString());
    params.set("due_before", endOfDay().toISOString());
  } else {
    params.set("status", tab);
  }
  if (filters.q.trim()) params.set("q", filters.q.trim());
  if (filters.priority) params.set("priority", filters.priority);
  if (filters.tag.trim()) params.append("tag", filters.tag.trim());
  if (filters.category.trim()) params.set("category", filters.category.trim());
  if (filters.dueFrom) params.set("due_after", new Date(filters.dueFrom).toISOString());
  if (filters.dueTo) params.set("due_before", endOfDay(new Date(filters.dueTo)).toISOString());
  if (pageToken) params.set("page_token", pageToken);
  // Spaces as %20: like Envoy's transcoder, the gateway reads "+" as "+"
  // unless configured otherwise (URLSearchParams would write "+").
  const encoded = [...params].map(([key, value]) =>
    `${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  return `/v1/tasks?${encoded.join("&")}`;
}

function TaskRow({ task, onToggle, onEdit, onDelete }) {
  const done = task.status === "completed";
  const overdue = isOverdue(task);
  return html`<li class=${`task ${done ? "done" : ""} ${overdue ? "overdue" : ""}`} data-task-id=${task.id}>
    <input type="checkbox" checked=${done} onChange=${() => onToggle(task)}
      aria-label=${`${done ? "Reopen" : "Complete"} ${task.title}`} />
    <div class="task-main">
      <span class="task-title">${task.title}</span>
      <span class="task-meta">
        ${task.priority && task.priority !== "medium" && html`<span class=${`badge ${task.priority}`}>${task.priority}</span>`}
        ${task.due_date && html`<span class="due">${overdue ? "Overdue · " : ""}${describeDue(task.due_date)}</span>`}
        ${task.recurrence && task.recurrence !== "none" && html`<span class="badge">${task.recurrence}</span>`}
        ${task.category && html`<span class="category">${task.category}</span>`}
        ${(task.tags || []).map((tag) => html`<span class="tag">#${tag}</span>`)}
      </span>
    </div>
    <button type="button" class="icon" onClick=${() => onEdit(task)} aria-label=${`Edit ${task.title}`}>✎</button>
    <button type="button" class="icon" onClick=${() => onDelete(task)} aria-label=${`Delete ${task.title}`}>×</button>
  </li>`;
}

export function TaskList({ refreshKey }) {
  const [tab, setTab] = useState("all");
  const [filters, setFilters] = useState({ q: "", priority: "", tag: "", category: "", dueFrom: "", dueTo: "", sort: "created_at desc" });
  const [pages, setPages] = useState([""]);  // page tokens: the current page is the last
  const [listing, setListing] = useState({ tasks: [], next_page_token: "", total_size: 0 });
  const [editing, setEditing] = useState(null);
  const [hidden, setHidden] = useState(new Set());  // deleted, still undoable
  const [error, setError] = useState("");

  const load = useCallback(async () => {
    try {
      setListing(await api("GET", query(tab, filters, pages[pages.length - 1])));
      setError("");
    } catch (failure) {
      setError(failure.message);
    }
  }, [tab, filters, pages]);
  useEffect(() => { load(); }, [load, refreshKey]);

  const setFilter = (name) => (event) => {
    setFilters({ ...filters, [name]: event.currentTarget.value });
    setPages([""]);
  };

  async function toggle(task) {
    const action = task.status === "completed" ? "reopen" : "complete";
    try {
      await api("POST", `/v1/tasks/${task.id}:${action}`, {});
      if (action === "complete" && task.recurrence && task.recurrence !== "none") {
        notify(`Done. The next "${task.title}" is on your list.`);
      }
      load();
    } catch (failure) {
      notify(failure.message, { kind: "error" });
    }
  }

  function remove(task) {
    setHidden((now) => new Set(now).add(task.id));
    let undone = false;
    const timer = setTimeout(async () => {
      if (undone) return;
      try {
        await api("DELETE", `/v1/tasks/${task.id}`, undefined, { keepalive: true });
      } catch (failure) {
        notify(failure.message, { kind: "error" });
      }
      load();
    }, UNDO_SECONDS * 1000);
    notify(`Deleted "${task.title}".`, {
      timeout: UNDO_SECONDS * 1000,
      actions: [{ label: "Undo", run: () => {
        undone = true;
        clearTimeout(timer);
        setHidden((now) => { const next = new Set(now); next.delete(task.id); return next; });
      } }],
    });
  }

  const shown = listing.tasks.filter((task) => !hidden.has(task.id));
  return html`<section class="tasks" aria-labelledby="tasks-title">
    <div class="tasks-head">
      <h2 id="tasks-title">Tasks</h2>
      <button type="button" class="primary" onClick=${() => setEditing({})}>+ New task</button>
    </div>
    <div class="tabs" role="tablist" aria-label="Which tasks">
      ${TABS.map(([key, label]) => html`<button type="button" role="tab" aria-selected=${tab === key}
          class=${tab === key ? "tab selected" : "tab"} onClick=${() => { setTab(key); setPages([""]); }}>${label}</button>`)}
    </div>
    <form class="filters" role="search" onSubmit=${(event) => event.preventDefault()}>
      <input type="search" placeholder="Search tasks" aria-label="Search tasks" value=${filters.q} onInput=${setFilter("q")} />
      <select aria-label="Priority" value=${filters.priority} onChange=${setFilter("priority")}>
        <option value="">Any priority</option><option value="high">High</option>
        <option value="medium">Medium</option><option value="low">Low</option>
      </select>
      <input placeholder="Tag" aria-label="Tag" value=${filters.tag} onChange=${setFilter("tag")} />
      <input placeholder="Category" aria-label="Category" value=${filters.category} onChange=${setFilter("category")} />
      <label class="compact">From <input type="date" value=${filters.dueFrom} onChange=${setFilter("dueFrom")} /></label>
      <label class="compact">To <input type="date" value=${filters.dueTo} onChange=${setFilter("dueTo")} /></label>
      <select aria-label="Sort by" value=${filters.sort} onChange=${setFilter("sort")}>
        ${SORTS.map(([key, label]) => html`<option value=${key}>${label}</option>`)}
      </select>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${shown.length === 0 && !error && html`<p class="empty">Nothing here. Add a task, or ask the assistant.</p>`}
    <ul class="task-list">
      ${shown.map((task) => html`<${TaskRow} key=${task.id} task=${task} onToggle=${toggle}
          onEdit=${setEditing} onDelete=${remove} />`)}
    </ul>
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${pages.length === 1} onClick=${() => setPages(pages.slice(0, -1))}>Previous</button>
      <span>${listing.total_size} task${listing.total_size === 1 ? "" : "s"}</span>
      <button type="button" disabled=${!listing.next_page_token}
        onClick=${() => setPages([...pages, listing.next_page_token])}>Next</button>
    </nav>
    ${editing && html`<${TaskDialog} task=${editing} onClose=${() => setEditing(null)}
        onSaved=${() => { setEditing(null); load(); }} />`}
  </section>`;
}
