// Sign-in and sign-up: one form, two modes.
import { api, session } from "./api.js";
import { html, useState } from "./html.js";

export function AuthScreen() {
  const [mode, setMode] = useState("sign-in");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const signingUp = mode === "sign-up";

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError("");
    try {
      const body = { email: form.get("email"), password: form.get("password") };
      if (signingUp) body.name = form.get("name");
      const answer = await api("POST", `/v1/auth/${mode}`, body);
      session.start(answer.access_token);
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  }

  return html`<main class="auth" id="main">
    <h1>Todo</h1>
    <p class="muted">Your tasks, and an assistant that manages them when you ask.</p>
    <form onSubmit=${submit} aria-labelledby="auth-title">
      <h2 id="auth-title">${signingUp ? "Create your account" : "Sign in"}</h2>
      ${signingUp && html`<label>Name <input name="name" autocomplete="name" required maxlength="100" /></label>`}
      <label>Email <input name="email" type="email" autocomplete="email" required /></label>
      <label>Password <input name="password" type="password" required minlength="8"
        autocomplete=${signingUp ? "new-password" : "current-password"} /></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>${signingUp ? "Sign up" : "Sign in"}</button>
    </form>
    <button type="button" class="link" onClick=${() => { setMode(signingUp ? "sign-in" : "sign-up"); setError(""); }}>
      ${signingUp ? "I have an account: sign in" : "New here? Create an account"}
    </button>
  </main>`;
}
