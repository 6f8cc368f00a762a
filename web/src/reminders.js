// Reminders as in-page notifications, from the server's reminders stream
// (server-sent events), reopened after a drop with a growing delay.
import { streamEvents } from "./api.js";
import { useEffect } from "./html.js";
import { notify } from "./toasts.js";

export function useReminders(token) {
  useEffect(() => {
    if (!token) return undefined;
    const stop = new AbortController();
    let delay = 1000;
    (async () => {
      while (!stop.signal.aborted) {
        try {
          await streamEvents("GET", "/v1/tasks:streamReminders", undefined, {
            signal: stop.signal,
            onEvent: (reminder) => {
              delay = 1000;
              notify(`Reminder: ${reminder.title || "a task"}`, { timeout: 15000 });
            },
          });
        } catch (failure) {
          if (stop.signal.aborted || failure.status === 401) return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 30000);
      }
    })();
    return () => stop.abort();
  }, [token]);
}
