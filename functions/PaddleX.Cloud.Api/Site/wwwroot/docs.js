// The interactive API reference: renders /openapi.json (no third-party viewer, no CDN) with a form
// per operation that sends the request and shows the answer.
import { h, field } from "./dom.js";

const base = new URL("./", document.baseURI);
const keyInput = document.getElementById("docs-key");
keyInput.value = sessionStorage.getItem("paddlex.apiKey") ?? "";
keyInput.addEventListener("change", () => sessionStorage.setItem("paddlex.apiKey", keyInput.value));

function control(name, schema) {
  if (schema.enum) return h("select", { name }, h("option", { value: "" }, ""), schema.enum.map((v) => h("option", { value: v }, v)));
  if (schema.type === "boolean") return h("select", { name }, h("option", { value: "" }, ""), h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
  if (schema.contentMediaType) return h("input", { type: "file", name });
  return h("input", { name, placeholder: schema.type === "array" || schema.type === "object" ? `${schema.type} as JSON` : schema.type });
}

function value(input, schema) {
  const text = input.value;
  if (text === "") return undefined;
  if (schema.type === "integer" || schema.type === "number") return Number(text);
  if (schema.type === "boolean") return text === "true";
  if (schema.type === "array" || schema.type === "object") return JSON.parse(text);
  return text;
}

function operation(path, method, op) {
  const query = op.parameters ?? [];
  const content = op.requestBody?.content ?? {};
  const [mediaType, media] = Object.entries(content)[0] ?? [];
  const props = media?.schema?.properties ?? {};
  const required = new Set([...(media?.schema?.required ?? []), ...query.filter((p) => p.required).map((p) => p.name)]);
  const args = [...query.map((p) => [p.name, p.schema]), ...Object.entries(props)];
  const inputs = args.map(([name, schema]) => [name, schema, control(name, schema)]);
  const output = h("pre", { class: "muted", "aria-label": "Answer" });
  const form = h("form", { class: "inline", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const target = new URL(path.slice(1), base);
      const init = { method: method.toUpperCase(), headers: {} };
      if (keyInput.value) init.headers["X-Api-Key"] = keyInput.value;
      if (method === "get") {
        for (const [name, schema, input] of inputs) {
          const v = value(input, schema);
          if (v !== undefined) target.searchParams.set(name, typeof v === "object" ? JSON.stringify(v) : String(v));
        }
      } else if (mediaType === "multipart/form-data") {
        const body = new FormData();
        for (const [name, , input] of inputs) {
          if (input.type === "file") { if (input.files.length) body.append(name, input.files[0]); } else if (input.value) body.append(name, input.value);
        }
        init.body = body;
      } else {
        const body = {};
        for (const [name, schema, input] of inputs) {
          const v = value(input, schema);
          if (v !== undefined) body[name] = v;
        }
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      const response = await fetch(target, init);
      const text = await response.text();
      output.textContent = `HTTP ${response.status}\n${text.length > 20000 ? text.slice(0, 20000) + "…" : text}`;
    } catch (error) {
      output.textContent = String(error);
    }
  } }, inputs.map(([name, , input]) => field(`${name}${required.has(name) ? " *" : ""}`, input)), h("button", { type: "submit" }, "Send"));
  return h("section", { class: "card", id: op.operationId },
    h("h3", {}, h("code", {}, `${method.toUpperCase()} ${path}`), " — ", op.summary ?? ""), form, output);
}

const doc = await (await fetch(new URL("openapi.json", base))).json();
const list = document.getElementById("operations");
list.replaceChildren(
  h("p", {}, `${doc.info.title} ${doc.info.version} · OpenAPI ${doc.openapi} · ${Object.keys(doc.paths).length} paths`),
  ...Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => operation(path, method, op))));
