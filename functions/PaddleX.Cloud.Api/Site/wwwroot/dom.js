// DOM helpers: elements are built with textContent only (never innerHTML), so names and messages
// coming from the server cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key in element && typeof value !== "string") element[key] = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let fieldCounter = 0;

/** A labelled form control. */
export function field(label, control, check = false) {
  control.id ||= `f${++fieldCounter}`;
  return check
    ? h("div", { class: "field check" }, control, h("label", { for: control.id }, label))
    : h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

export function select(name, options, value) {
  return h("select", { name }, options.map((o) => h("option", { value: o, selected: o === value }, o)));
}

export function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", {}, caption ? h("caption", { class: "muted" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}

export function toast(message, bad = false) {
  const item = h("div", { class: bad ? "bad" : "" }, message);
  document.getElementById("toast").append(item);
  setTimeout(() => item.remove(), bad ? 8000 : 4000);
}

/** Runs an action from a button: disables it meanwhile, reports failures. */
export async function act(button, action) {
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    toast(error.message, true);
  } finally {
    button.disabled = false;
  }
}
