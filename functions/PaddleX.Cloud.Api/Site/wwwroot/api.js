// The console's only way to the server: the public API, as any client uses it. GET sends its
// arguments as a query string, the other methods as a JSON body. When the server answers 401 the
// user is asked for the key, which then travels as the X-Api-Key header (kept for this tab only).
// Every call names its path as a string literal, so a test can check each one against /openapi.json.

const base = new URL("./", document.baseURI);
const keyName = "paddlex.apiKey";

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

function url(path, args) {
  const target = new URL(path.replace(/^\//, ""), base);
  for (const [key, value] of Object.entries(args ?? {})) {
    if (value !== undefined && value !== null) {
      target.searchParams.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    }
  }
  return target;
}

function headers(json) {
  const result = {};
  const key = sessionStorage.getItem(keyName);
  if (key) result["X-Api-Key"] = key;
  if (json) result["Content-Type"] = "application/json";
  return result;
}

let asking = null;
function askKey() {
  asking ??= new Promise((resolve) => {
    const dialog = document.getElementById("key-dialog");
    const input = document.getElementById("key-input");
    input.value = "";
    dialog.addEventListener("close", () => {
      sessionStorage.setItem(keyName, input.value);
      asking = null;
      resolve();
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
  return asking;
}

async function send(method, path, args, options = {}) {
  const init = { method, headers: headers(method !== "GET") };
  const target = method === "GET" ? url(path, args) : url(path);
  if (method !== "GET") init.body = JSON.stringify(args ?? {});
  const response = await fetch(target, init);
  if (response.status === 401) {
    await askKey();
    return send(method, path, args, options);
  }
  const body = await response.json().catch(() => ({ status: -1, message: `HTTP ${response.status} ${response.statusText}`, code: "http" }));
  if (body.status !== 1 && !options.raw) throw new ApiError(body.message ?? `HTTP ${response.status}`, body.code);
  return body;
}

export const api = {
  get: (path, args, options) => send("GET", path, args, options),
  post: (path, args, options) => send("POST", path, args, options),
  put: (path, args, options) => send("PUT", path, args, options),
  del: (path, args, options) => send("DELETE", path, args, options),

  /** An address for a link or picture (GET); carries the key as api_key when one is set. */
  href(path, args) {
    const key = sessionStorage.getItem(keyName);
    return url(path, key ? { ...args, api_key: key } : args).toString();
  },

  /** POST multipart with upload progress (fetch cannot report it). */
  upload(path, form, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", url(path));
      const key = sessionStorage.getItem(keyName);
      if (key) request.setRequestHeader("X-Api-Key", key);
      request.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      request.onerror = () => reject(new ApiError("upload failed", "network"));
      request.onload = async () => {
        if (request.status === 401) {
          await askKey();
          resolve(api.upload(path, form, onProgress));
          return;
        }
        const body = JSON.parse(request.responseText);
        body.status === 1 ? resolve(body) : reject(new ApiError(body.message, body.code));
      };
      request.send(form);
    });
  },

  /** The OpenAPI document: what this server offers (optional features are shown only when listed). */
  async document() {
    const response = await fetch(url("/openapi.json"));
    return response.json();
  },
};
