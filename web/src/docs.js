// /docs: the API as /openapi.json describes it, every route with its
// parameters and bodies.
import { api } from "./api.js";
import { html, useEffect, useState } from "./html.js";

function schemaName(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.type === "array") return `${schemaName(schema.items)}[]`;
  return schema.format ? `${schema.type} (${schema.format})` : schema.type || "any";
}

function Operation({ method, path, operation }) {
  const body = operation.requestBody?.content?.["application/json"]?.schema;
  const answer = operation.responses?.["200"]?.content?.["application/json"]?.schema;
  return html`<details class="operation">
    <summary><span class=${`verb ${method}`}>${method.toUpperCase()}</span> <code>${path}</code>
      <span class="muted">${operation.summary}</span></summary>
    ${operation.description && html`<p>${operation.description}</p>`}
    ${operation.security && operation.security.length === 0 && html`<p class="muted">No token needed.</p>`}
    ${(operation.parameters || []).length > 0 && html`<table>
      <thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>About</th></tr></thead>
      <tbody>${operation.parameters.map((p) => html`<tr>
        <td><code>${p.name}</code>${p.required ? " *" : ""}</td><td>${p.in}</td>
        <td>${schemaName(p.schema)}</td><td>${p.description || ""}</td></tr>`)}</tbody></table>`}
    ${body && html`<p>Body: <code>${schemaName(body)}</code></p>`}
    ${answer && html`<p>Answer: <code>${schemaName(answer)}</code></p>`}
  </details>`;
}

export function Docs() {
  const [document, setDocument] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api("GET", "/openapi.json").then(setDocument, (failure) => setError(failure.message));
  }, []);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!document) return html`<p class="muted">Loading the API description…</p>`;
  return html`<main class="docs" id="main">
    <h1>${document.info.title} <small class="muted">${document.info.version}</small></h1>
    <p>${document.info.description}</p>
    <p><a href="/openapi.json">openapi.json</a> (OpenAPI ${document.openapi}) · <a href="/">Back to the app</a></p>
    ${Object.entries(document.paths).map(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) =>
        html`<${Operation} method=${method} path=${path} operation=${operation} />`))}
  </main>`;
}
