// In-page notifications (reminders, undo, errors): a polite live region, so
// screen readers announce them, each with optional actions.
import { html, useEffect, useState } from "./html.js";

let push = () => {};

export function notify(message, { actions = [], timeout = 6000, kind = "info" } = {}) {
  push({ id: Math.random().toString(36).slice(2), message, actions, timeout, kind });
}

export function Toasts() {
  const [toasts, setToasts] = useState([]);
  useEffect(() => {
    push = (toast) => {
      setToasts((shown) => [...shown.slice(-3), toast]);
      if (toast.timeout) {
        setTimeout(() => setToasts((shown) => shown.filter((t) => t.id !== toast.id)),
                   toast.timeout);
      }
    };
    return () => { push = () => {}; };
  }, []);
  const dismiss = (id) => setToasts((shown) => shown.filter((t) => t.id !== id));
  return html`<div class="toasts" role="status" aria-live="polite">
    ${toasts.map((toast) => html`<div class=${`toast toast-${toast.kind}`} key=${toast.id}>
      <span>${toast.message}</span>
      ${toast.actions.map((action) => html`<button type="button" class="link"
          onClick=${() => { action.run(); dismiss(toast.id); }}>${action.label}</button>`)}
      <button type="button" class="icon" aria-label="Dismiss" onClick=${() => dismiss(toast.id)}>×</button>
    </div>`)}
  </div>`;
}
