// The gateway's REST API as the app uses it: JSON in and out, the session's
// bearer token on every call, errors as ApiError with the server's message.

const TOKEN_KEY = "todo-grpc.token";
const listeners = new Set();

export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  start(token) {
    localStorage.setItem(TOKEN_KEY, token);
    listeners.forEach((listener) => listener(token));
  },
  end() {
    localStorage.removeItem(TOKEN_KEY);
    listeners.forEach((listener) => listener(null));
  },
  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(extra = {}, hasBody = false) {
  const all = { ...extra };
  if (hasBody) all["content-type"] = "application/json";
  if (session.token) all.authorization = `Bearer ${session.token}`;
  return all;
}

async function failure(response) {
  const text = await response.text();
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    message = JSON.parse(text).message || message;
  } catch {
    if (text) message = text;
  }
  // A token the services no longer take (expired, or the account is gone).
  if (response.status === 401 && session.token) session.end();
  return new ApiError(response.status, message);
}

export async function api(method, path, body, options = {}) {
  const response = await fetch(path, {
    method,
    headers: headers(options.headers, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: options.signal,
    keepalive: options.keepalive,
  });
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

// A server-sent-events answer (the gateway sends one JSON message per
// `data:` line): calls onEvent with each, until the stream ends or `signal`
// aborts it.
export async function streamEvents(method, path, body, { signal, onEvent }) {
  const response = await fetch(path, {
    method,
    headers: headers({ accept: "text/event-stream" }, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      for (const line of event.split("\n")) {
        if (line.startsWith("data:")) onEvent(JSON.parse(line.slice(5)));
      }
    }
  }
}

export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
