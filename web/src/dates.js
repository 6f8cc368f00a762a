// Dates as the user sees and types them (the browser's zone), and as the
// API takes them (RFC 3339).

const day = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric" });
const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

export function describeDue(iso, now = new Date()) {
  if (!iso) return "";
  const due = new Date(iso);
  const sameDay = due.toDateString() === now.toDateString();
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  const label = sameDay ? "Today" : due.toDateString() === tomorrow.toDateString() ? "Tomorrow"
                                                                                     : day.format(due);
  return `${label} ${time.format(due)}`;
}

export function isOverdue(task, now = new Date()) {
  return task.status !== "completed" && task.due_date && new Date(task.due_date) < now;
}

// <input type="datetime-local"> value <-> RFC 3339.
export function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(
    date.getHours())}:${pad(date.getMinutes())}`;
}

export function fromLocalInput(value) {
  return value ? new Date(value).toISOString() : undefined;
}

export function startOfDay(now = new Date()) {
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  return start;
}

export function endOfDay(now = new Date()) {
  const end = startOfDay(now);
  end.setDate(end.getDate() + 1);
  return end;
}
