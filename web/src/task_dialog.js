// Creating and editing a task, every field: a native <dialog> (focus is
// kept inside, Escape closes it).
import { api } from "./api.js";
import { fromLocalInput, toLocalInput } from "./dates.js";
import { html, useEffect, useRef, useState } from "./html.js";

const FIELDS = ["title", "description", "status", "priority", "tags", "category", "due_date",
                "remind_at", "recurrence"];

function bodyOf(form) {
  const tags = form.get("tags").split(",").map((tag) => tag.trim()).filter(Boolean);
  return {
    title: form.get("title").trim(),
    description: form.get("description"),
    status: form.get("status"),
    priority: form.get("priority"),
    tags,
    category: form.get("category").trim(),
    due_date: fromLocalInput(form.get("due_date")),
    remind_at: fromLocalInput(form.get("remind_at")),
    recurrence: form.get("recurrence"),
  };
}

export function TaskDialog({ task, onClose, onSaved }) {
  const dialog = useRef(null);
  const [error, setError] = useState("");
  const editing = Boolean(task && task.id);
  useEffect(() => {
    dialog.current.showModal();
  }, []);

  async function save(event) {
    event.preventDefault();
    const body = bodyOf(new FormData(event.currentTarget));
    try {
      let saved;
      if (editing) {
        // Every field of the form, cleared ones included (the mask names them).
        const mask = FIELDS.join(",");
        saved = await api("PATCH", `/v1/tasks/${task.id}?update_mask=${mask}`, body);
      } else {
        for (const key of Object.keys(body)) if (body[key] === undefined || body[key] === "") delete body[key];
        saved = await api("POST", "/v1/tasks", body);
      }
      dialog.current.close();
      onSaved(saved);
    } catch (failure) {
      setError(failure.message);
    }
  }

  const value = (name, fallback = "") => (task && task[name] !== undefined ? task[name] : fallback);
  return html`<dialog ref=${dialog} class="task-dialog" onClose=${onClose} aria-labelledby="task-dialog-title">
    <form onSubmit=${save}>
      <h2 id="task-dialog-title">${editing ? "Edit task" : "New task"}</h2>
      <label>Title <input name="title" required maxlength="200" value=${value("title")} /></label>
      <label>Description <textarea name="description" maxlength="2000" rows="3">${value("description")}</textarea></label>
      <div class="row">
        <label>Priority <select name="priority" value=${value("priority", "medium")}>
          <option value="low">Low</option><option value="medium">Medium</option><option value="high">High</option>
        </select></label>
        <label>Status <select name="status" value=${value("status", "pending")}>
          <option value="pending">Pending</option><option value="in_progress">In progress</option>
          <option value="completed">Completed</option><option value="cancelled">Cancelled</option>
        </select></label>
      </div>
      <div class="row">
        <label>Due <input name="due_date" type="datetime-local" value=${toLocalInput(value("due_date"))} /></label>
        <label>Reminder <input name="remind_at" type="datetime-local" value=${toLocalInput(value("remind_at"))} /></label>
      </div>
      <div class="row">
        <label>Repeats <select name="recurrence" value=${value("recurrence", "none")}>
          <option value="none">Never</option><option value="daily">Daily</option>
          <option value="weekly">Weekly</option><option value="monthly">Monthly</option>
        </select></label>
        <label>Category <input name="category" maxlength="50" value=${value("category")} /></label>
      </div>
      <label>Tags <input name="tags" placeholder="home, errands" value=${(value("tags", []) || []).join(", ")} /></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="actions">
        <button type="button" onClick=${() => dialog.current.close()}>Cancel</button>
        <button type="submit" class="primary">${editing ? "Save" : "Add task"}</button>
      </div>
    </form>
  </dialog>`;
}
