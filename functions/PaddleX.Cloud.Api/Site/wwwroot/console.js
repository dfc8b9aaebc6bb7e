// The web console: datasets, projects and tasks, models, demos and machine information, over the
// public API only (see api.js). Plain modern JavaScript modules, no build step, no CDN.
import { api } from "./api.js";
import { h, field, select, table, toast, act } from "./dom.js";
import { lineChart, heatMap } from "./charts.js";

const TYPES = ["classification", "detection", "segmentation", "instance_segmentation", "remote_segmentation"];
const DATASET_STATUS = ["empty", "checking", "check failed", "copying", "imported", "copy failed", "split"];
const TASK_STATUS = ["XUNINIT", "XINIT", "XDOWNLOADING", "XTRAINING", "XTRAINDONE", "XEVALUATED", "XEXPORTING", "XEXPORTED", "XTRAINEXIT", "XDOWNLOADFAIL", "XTRAINFAIL", "XEVALUATING", "XEVALUATEFAIL", "XEXPORTFAIL", "XPRUNEING", "XPRUNETRAIN"];
const DOWNLOAD_STATUS = ["downloading", "download failed", "downloaded", "ready"];
// Operations the console offers only when the server's OpenAPI document lists them.
export const OPTIONAL = ["/project/task/prune"];

const main = document.getElementById("main");
let timers = [];
let documentPromise = null;

function every(ms, fn) {
  const tick = async () => {
    try { await fn(); } catch (error) { toast(error.message, true); }
  };
  tick();
  timers.push(setInterval(tick, ms));
}

function statusBadge(text, kind = "") {
  return h("span", { class: `status ${kind}`, role: "status" }, text);
}

function offers(path, property) {
  documentPromise ??= api.document();
  return documentPromise.then((doc) => {
    const item = doc.paths?.[path];
    if (!item) return false;
    if (!property) return true;
    const body = item.post?.requestBody?.content?.["application/json"]?.schema;
    return Boolean(body?.properties?.[property]);
  });
}

// ---- datasets ----

async function datasetsView() {
  const list = h("div", {}, "Loading…");
  const name = h("input", { name: "name", required: true, maxlength: "256" });
  const desc = h("input", { name: "desc" });
  const type = select("dataset_type", TYPES, "classification");
  const create = h("form", { class: "inline", onsubmit: async (e) => {
    e.preventDefault();
    await act(e.submitter, async () => {
      const reply = await api.post("/dataset", { name: name.value, desc: desc.value, dataset_type: type.value });
      location.hash = `#/dataset/${reply.did}`;
    });
  } }, field("Name", name), field("Description", desc), field("Type", type), h("button", { type: "submit" }, "Create dataset"));
  main.replaceChildren(h("h2", {}, "Datasets"), h("section", { class: "card" }, h("h3", {}, "New dataset"), create), h("section", { class: "card" }, list));
  const { datasets } = await api.get("/dataset");
  list.replaceChildren(datasets.length === 0 ? h("p", { class: "muted" }, "No datasets yet — try the demos.") : table(
    ["ID", "Name", "Type", "Status", "Created"],
    datasets.map((d) => [h("a", { href: `#/dataset/${d.id}` }, d.id), d.attr.name, d.attr.type, DATASET_STATUS[d.attr.dataset_status] ?? d.attr.dataset_status, d.attr.create_time])));
}

async function datasetView(did) {
  const head = h("div", {});
  const importCard = h("section", { class: "card" });
  const splitCard = h("section", { class: "card" });
  const detailsCard = h("section", { class: "card" }, h("h3", {}, "Details"), h("p", { class: "muted" }, "Shown once the dataset is imported."));
  main.replaceChildren(h("h2", {}, `Dataset ${did}`), head, importCard, splitCard, detailsCard);

  const path = h("input", { name: "path", required: true, placeholder: "/path/under/workspace/or/import/root" });
  const zip = h("input", { type: "file", name: "file", accept: ".zip,application/zip" });
  const bar = h("progress", { max: "1", value: "0", "aria-label": "Upload progress" });
  importCard.append(h("h3", {}, "Import"),
    h("form", { class: "inline", onsubmit: (e) => {
      e.preventDefault();
      act(e.submitter, async () => { await api.put("/dataset", { did, path: path.value }); toast("Import started"); });
    } }, field("Folder or .zip on the server", path), h("button", { type: "submit" }, "Import from server")),
    h("form", { class: "inline", onsubmit: (e) => {
      e.preventDefault();
      if (!zip.files.length) return toast("Choose a .zip first", true);
      const form = new FormData();
      form.append("did", did);
      form.append("file", zip.files[0]);
      act(e.submitter, async () => { await api.upload("/dataset/upload", form, (p) => { bar.value = p; }); toast("Upload done, importing"); });
    } }, field("Upload a .zip", zip), h("button", { type: "submit" }, "Upload"), field("Upload progress", bar)));

  const val = h("input", { type: "number", name: "val_split", min: "0", max: "0.9", step: "0.05", value: "0.2" });
  const test = h("input", { type: "number", name: "test_split", min: "0", max: "0.9", step: "0.05", value: "0.1" });
  splitCard.append(h("h3", {}, "Split"), h("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    act(e.submitter, async () => { await api.put("/dataset/split", { did, val_split: +val.value, test_split: +test.value }); toast("Split done"); shown = null; });
  } }, field("Validation share", val), field("Test share", test), h("button", { type: "submit" }, "Split")));

  let shown = null;
  every(1500, async () => {
    const reply = await api.get("/dataset", { did });
    const status = reply.dataset_status;
    const ready = status === 4 || status === 6;
    const failed = status === 2 || status === 5;
    let progress = "";
    try { progress = status === 3 ? ` ${JSON.parse(reply.message).percent}%` : ""; } catch { progress = ""; }
    head.replaceChildren(h("p", {}, `${reply.attr.name} · ${reply.attr.type} · `, statusBadge(DATASET_STATUS[status] + progress, ready ? "ok" : failed ? "bad" : ""), " ",
      failed ? h("span", { class: "muted" }, reply.message) : "", h("br"), h("span", { class: "muted" }, reply.attr.desc)));
    if (ready && shown !== status) {
      shown = status;
      await showDetails(did, reply.attr.path, detailsCard);
    }
  });
}

async function showDetails(did, root, card) {
  const { details } = await api.get("/dataset/details", { did });
  if (!details) return;
  const counts = (list) => (list ?? []).length;
  const labelRows = details.labels.map((l) => [l, counts(details.label_info?.[l])]);
  const previews = h("div", { class: "previews" });
  card.replaceChildren(h("h3", {}, "Details"),
    h("p", {}, `${Object.keys(details.file_info).length} pictures · train ${counts(details.train_files)} · validation ${counts(details.val_files)} · test ${counts(details.test_files)}`),
    table(["Label", "Pictures"], labelRows, "Pictures per label"), h("h3", {}, "Annotated previews"), previews);
  const sample = Object.keys(details.file_info).slice(0, 8);
  for (const file of sample) {
    const { img_data } = await api.get("/file", { path: `${root}/${file}`, did });
    previews.append(h("figure", {}, h("img", { src: `data:image/png;base64,${img_data}`, alt: `${file} (${details.file_info[file]})` }), h("figcaption", {}, file)));
  }
}

// ---- projects and tasks ----

async function projectsView() {
  const list = h("div", {}, "Loading…");
  const { datasets } = await api.get("/dataset");
  const name = h("input", { name: "name", required: true });
  const desc = h("input", { name: "desc" });
  const type = select("project_type", TYPES, "classification");
  const dataset = h("select", { name: "did" }, h("option", { value: "" }, "(none)"), datasets.map((d) => h("option", { value: d.id }, `${d.id} ${d.attr.name} (${d.attr.type})`)));
  const create = h("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    act(e.submitter, async () => {
      const { pid } = await api.post("/project", { name: name.value, desc: desc.value, project_type: type.value });
      if (dataset.value) await api.put("/workspace", { struct: "project", id: pid, attr_dict: { did: dataset.value } });
      location.hash = `#/project/${pid}`;
    });
  } }, field("Name", name), field("Description", desc), field("Type", type), field("Dataset", dataset), h("button", { type: "submit" }, "Create project"));
  main.replaceChildren(h("h2", {}, "Projects"), h("section", { class: "card" }, h("h3", {}, "New project"), create), h("section", { class: "card" }, list));
  const { projects } = await api.get("/project");
  list.replaceChildren(projects.length === 0 ? h("p", { class: "muted" }, "No projects yet.") : table(
    ["ID", "Name", "Type", "Dataset", "Created"],
    projects.map((p) => [h("a", { href: `#/project/${p.id}` }, p.id), p.attr.name, p.attr.type, p.attr.did ? h("a", { href: `#/dataset/${p.attr.did}` }, p.attr.did) : "—", p.attr.create_time])));
}

/** A form over a training-parameters object: one labelled control per key, typed after its value. */
function paramsForm(params, disabled) {
  const controls = {};
  const grid = h("div", { class: "params" });
  for (const [key, value] of Object.entries(params)) {
    let control;
    if (typeof value === "boolean") control = h("input", { type: "checkbox", name: key, checked: value, disabled });
    else if (typeof value === "number") control = h("input", { type: "number", name: key, step: "any", value: String(value), disabled });
    else if (value !== null && typeof value === "object") control = h("input", { name: key, value: JSON.stringify(value), disabled });
    else control = h("input", { name: key, value: value ?? "", placeholder: value === null ? "(none)" : "", disabled });
    controls[key] = { control, original: value };
    grid.append(field(key, control, typeof value === "boolean"));
  }
  const read = () => {
    const result = {};
    for (const [key, { control, original }] of Object.entries(controls)) {
      if (typeof original === "boolean") result[key] = control.checked;
      else if (typeof original === "number") result[key] = Number(control.value);
      else if (original !== null && typeof original === "object") result[key] = JSON.parse(control.value);
      else result[key] = original === null && control.value === "" ? null : control.value;
    }
    return result;
  };
  return { grid, read };
}

async function projectView(pid) {
  const { attr } = await api.get("/project", { pid });
  const tasksCard = h("section", { class: "card" });
  const newCard = h("section", { class: "card" }, h("h3", {}, "New task"));
  main.replaceChildren(h("h2", {}, `Project ${pid}: ${attr.name}`),
    h("p", {}, `${attr.type} · dataset `, attr.did ? h("a", { href: `#/dataset/${attr.did}` }, attr.did) : "not bound", h("br"), h("span", { class: "muted" }, attr.desc)),
    tasksCard, newCard);
  const { tasks } = await api.get("/project/task", { pid });
  tasksCard.replaceChildren(h("h3", {}, "Tasks"), tasks.length === 0 ? h("p", { class: "muted" }, "No tasks yet.") : table(
    ["ID", "Status", "Created"], tasks.map((t) => [h("a", { href: `#/task/${t.id}` }, t.id), TASK_STATUS[t.status] ?? t.status, t.create_time])));
  try {
    const { train } = await api.get("/project/task/params", { pid });
    const form = paramsForm(train, false);
    newCard.append(h("p", { class: "muted" }, "Filled with the parameters recommended for this dataset and machine."),
      h("form", { onsubmit: (e) => {
        e.preventDefault();
        act(e.submitter, async () => {
          const { tid } = await api.post("/project/task", { pid, train: JSON.stringify(form.read()) });
          location.hash = `#/task/${tid}`;
        });
      } }, form.grid, h("button", { type: "submit" }, "Create task")));
  } catch (error) {
    newCard.append(h("p", { class: "muted" }, error.message));
  }
}

async function taskView(tid) {
  const head = h("p", {});
  const controls = h("div", { class: "inline" });
  const paramsCard = h("section", { class: "card" }, h("h3", {}, "Parameters"));
  const charts = {
    loss: h("canvas", { dataset: { title: "Training loss" } }),
    lr: h("canvas", { dataset: { title: "Learning rate" } }),
    metrics: h("canvas", { dataset: { title: "Validation metrics" } }),
  };
  const trainCard = h("section", { class: "card" }, h("h3", {}, "Training"), controls, h("p", { class: "muted", id: "eta" }),
    h("div", { class: "charts" },
      h("figure", {}, h("figcaption", {}, "Training loss"), charts.loss),
      h("figure", {}, h("figcaption", {}, "Learning rate"), charts.lr),
      h("figure", {}, h("figcaption", {}, "Validation metrics (per epoch)"), charts.metrics)));
  const evalCard = h("section", { class: "card" }, h("h3", {}, "Evaluation"));
  const predictCard = h("section", { class: "card" }, h("h3", {}, "Predict"));
  const exportCard = h("section", { class: "card" }, h("h3", {}, "Export"));
  const extraCard = h("section", { class: "card", hidden: true }, h("h3", {}, "Prune"));
  main.replaceChildren(h("h2", {}, `Task ${tid}`), head, paramsCard, trainCard, evalCard, predictCard, exportCard, extraCard);

  const { train } = await api.get("/project/task/params", { tid });
  const initial = await api.get("/project/task", { tid });
  const form = paramsForm(train, initial.task_status !== 1);
  paramsCard.append(h("form", { onsubmit: (e) => {
    e.preventDefault();
    act(e.submitter, async () => { await api.post("/project/task/params", { tid, train: form.read() }); toast("Parameters saved"); });
  } }, form.grid, initial.task_status === 1 ? h("button", { type: "submit" }, "Save parameters") : h("p", { class: "muted" }, "Parameters can be changed before the first training only.")));

  const trainButton = h("button", { onclick: (e) => act(e.currentTarget, async () => { await api.post("/project/task/train", { tid }); toast("Training started"); }) }, "Train");
  const stopButton = h("button", { class: "danger", onclick: (e) => act(e.currentTarget, async () => { await api.put("/project/task/train", { tid, act: "stop" }); toast("Stopping"); }) }, "Stop");
  const resumeButton = h("button", { class: "secondary", onclick: (e) => act(e.currentTarget, async () => {
    const state = await api.get("/project/task", { tid, resume: true });
    if (!state.resumable) throw new Error("Nothing to resume from");
    await api.put("/project/task/train", { tid, act: "resume", epoch: state.max_saved_epochs });
    toast(`Resuming from epoch ${state.max_saved_epochs}`);
  }) }, "Resume");
  controls.append(trainButton, stopButton, resumeButton, h("a", { href: "#", onclick: async (e) => {
    e.preventDefault();
    const { href } = await api.get("/project/task/vdl", { tid });
    window.open(href, "_blank", "noopener");
  } }, "Open dashboard"));

  every(1500, async () => {
    const state = await api.get("/project/task", { tid });
    const name = TASK_STATUS[state.task_status] ?? String(state.task_status);
    const running = state.task_status === 3;
    head.replaceChildren(`${state.type} · `, statusBadge(name, /FAIL/.test(name) ? "bad" : /DONE|EVALUATED|EXPORTED/.test(name) ? "ok" : ""), " ", h("span", { class: "muted" }, /FAIL/.test(name) ? state.message : ""));
    head.dataset.status = name;
    trainButton.disabled = running;
    stopButton.disabled = !running;
    const history = await api.get("/project/task/metrics", { tid, type: "history" });
    lineChart(charts.loss, [{ name: "loss", points: history.steps.map((s) => [s.step, s.loss]) }]);
    lineChart(charts.lr, [{ name: "lr", points: history.steps.map((s) => [s.step, s.lr]) }]);
    const names = [...new Set(history.epochs.flatMap((e) => Object.keys(e.metrics)))];
    lineChart(charts.metrics, names.map((n) => ({ name: n, points: history.epochs.filter((e) => n in e.metrics).map((e) => [e.epoch, e.metrics[n]]) })));
    let eta = "";
    if (running) {
      const { train_log } = await api.get("/project/task/metrics", { tid, type: "train" });
      eta = train_log?.eta ? `Remaining: ${train_log.eta}` : "";
    }
    document.getElementById("eta").textContent = eta;
  });

  evaluation(tid, evalCard);
  prediction(tid, predictCard);
  exporting(tid, exportCard);
  if (await offers(OPTIONAL[0])) {
    extraCard.hidden = false;
    extraCard.append(h("button", { onclick: (e) => act(e.currentTarget, async () => { await api.post("/project/task/prune", { tid }); toast("Pruning analysis started"); }) }, "Start pruning analysis"));
  }
}

function evaluation(tid, card) {
  const result = h("div", { class: "result" });
  const button = h("button", { onclick: (e) => act(e.currentTarget, async () => {
    await api.post("/project/task/evaluate", { tid, epoch: null, topk: 5, score_thresh: null, overlap_thresh: null });
    result.replaceChildren(statusBadge("evaluating"));
    await poll(async () => {
      const reply = await api.get("/project/task/evaluate", { tid }, { raw: true });
      if (reply.status !== 1) throw new Error(reply.message);
      if (reply.evaluate_status !== 5) return false;
      showEvaluation(tid, reply.result, result);
      return true;
    });
  }) }, "Evaluate");
  card.append(button, result);
}

function showEvaluation(tid, result, target) {
  const labels = result.label_list ?? Object.keys(result.PRF1 ?? {});
  const canvas = h("canvas", { id: "confusion", dataset: { title: "Confusion matrix" } });
  const metrics = Object.entries(result).filter(([, v]) => typeof v === "number").map(([k, v]) => `${k} ${(+v).toFixed(4)}`).join(" · ");
  const report = h("a", { href: "#", onclick: async (e) => {
    e.preventDefault();
    const { path } = await api.get("/project/task/evaluate/file", { tid });
    location.href = api.href("/file", { path });
  } }, "Download the .xlsx report");
  target.replaceChildren(h("p", {}, statusBadge("evaluated", "ok"), " ", metrics), h("figure", {}, h("figcaption", {}, "Confusion matrix"), canvas),
    result.PRF1 ? table(["Class", "Precision", "Recall", "F1"], Object.entries(result.PRF1).map(([label, v]) => [label, (+v.precision).toFixed(3), (+v.recall).toFixed(3), (+v.F1).toFixed(3)]), "Per-class metrics") : null,
    h("p", {}, report));
  if (result.Confusion_Matrix) heatMap(canvas, labels, result.Confusion_Matrix);
}

function prediction(tid, card) {
  const file = h("input", { type: "file", name: "image", accept: "image/*" });
  const result = h("div", { class: "result" });
  card.append(h("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    if (!file.files.length) return toast("Choose a picture first", true);
    act(e.submitter, async () => {
      const data = await new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result).split(",")[1]);
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(file.files[0]);
      });
      const { path } = await api.post("/project/task/predict", { tid, image_data: data });
      result.replaceChildren(statusBadge("predicting"));
      await poll(async () => {
        const reply = await api.get("/project/task/predict", { tid });
        if (reply.predict_status === 2) throw new Error(reply.message || "prediction failed");
        if (reply.predict_status !== 1) return false;
        const { img_data } = await api.get("/file", { path });
        result.replaceChildren(h("img", { id: "prediction", src: `data:image/png;base64,${img_data}`, alt: `Prediction for ${file.files[0].name}` }));
        return true;
      });
    });
  } }, field("Picture", file), h("button", { type: "submit" }, "Predict")), result);
}

async function exporting(tid, card) {
  const type = select("type", ["infer", "lite"], "infer");
  const saveDir = h("input", { name: "save_dir", value: `exports/${tid}` });
  const quant = h("input", { type: "checkbox", name: "quant" });
  const quantField = field("Quantise (int8)", quant, true);
  quantField.hidden = !(await offers("/project/task/export", "quant"));
  const result = h("div", { class: "result" });
  card.append(h("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    act(e.submitter, async () => {
      const args = { tid, type: type.value, save_dir: `${saveDir.value}/${type.value}` };
      if (!quantField.hidden) args.quant = quant.checked;
      const reply = await api.post("/project/task/export", args);
      result.replaceChildren(statusBadge("exporting"));
      await poll(async () => {
        const state = await api.get("/project/task/export", { tid }, { raw: true });
        if (state.status !== 1) throw new Error(state.message);
        if (state.export_status !== 7) return false;
        const { pid } = await api.get("/workspace", { struct: "task", id: tid, attr_list: ["pid"] }).then((r) => r.attr);
        result.replaceChildren(h("p", {}, statusBadge("exported", "ok"), " ", h("a", { id: "export-link", href: api.href("/file", { path: `${reply.save_dir}/model.onnx` }), download: "model.onnx" }, "Download model.onnx"), " · ",
          h("a", { href: api.href("/file", { path: `${reply.save_dir}/model.json` }) }, "model.json")),
          h("button", { class: "secondary", onclick: (ev) => act(ev.currentTarget, async () => {
            await api.post("/model", { type: "exported", pid, tid, name: `${tid}_export_model`, source_path: "", path: reply.save_dir, exported_type: type.value === "lite" ? 1 : 0, eval_results: {} });
            toast("Registered under Models");
          }) }, "Register as a model"));
        return true;
      });
    });
  } }, field("Type", type), field("Folder in the workspace", saveDir), quantField, h("button", { type: "submit" }, "Export")), result);
}

async function poll(check, ms = 1000, limit = 900) {
  for (let i = 0; i < limit; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, ms));
  }
  throw new Error("still running; check again later");
}

// ---- models, demos, machine ----

async function modelsView() {
  const pretrained = await api.get("/model", { type: "pretrained" });
  const exported = await api.get("/model", { type: "exported" });
  const rows = (models) => models.map((m) => [m.id, m.name, m.model ?? "", m.type ?? "", m.pid ?? "", m.tid ? h("a", { href: `#/task/${m.tid}` }, m.tid) : "", m.path ?? ""]);
  const headers = ["ID", "Name", "Model", "Type", "Project", "Task", "Path"];
  main.replaceChildren(h("h2", {}, "Models"),
    h("section", { class: "card" }, h("h3", {}, "Pretrained"), pretrained.pretrained_models.length ? table(headers, rows(pretrained.pretrained_models)) : h("p", { class: "muted" }, "None.")),
    h("section", { class: "card" }, h("h3", {}, "Exported"), exported.exported_models.length ? table(headers, rows(exported.exported_models)) : h("p", { class: "muted" }, "None.")));
}

async function demosView() {
  const grid = h("div", { class: "grid" });
  main.replaceChildren(h("h2", {}, "Demos"), h("p", { class: "muted" }, "Sample datasets with a ready project and task: from the server's configured source, or generated (small synthetic pictures) when there is none."), grid);
  const cards = TYPES.map((type) => {
    const state = h("div", {}, statusBadge("not downloaded"));
    const bar = h("progress", { max: "100", value: "0", "aria-label": `${type} download progress` });
    const links = h("p", {});
    const download = h("button", { "aria-label": `Download ${type} demo`, onclick: (e) => act(e.currentTarget, () => api.post("/demo", { type: "download", prj_type: type })) }, "Download");
    const stop = h("button", { class: "danger", "aria-label": `Stop ${type} demo`, onclick: (e) => act(e.currentTarget, () => api.put("/demo", { prj_type: type })) }, "Stop");
    const load = h("button", { "aria-label": `Load ${type} demo`, disabled: true, onclick: (e) => act(e.currentTarget, async () => {
      const reply = await api.post("/demo", { type: "load", prj_type: type });
      if (reply.loading_status) return toast(`Already loaded: ${reply.loading_status}`);
      links.replaceChildren("Loaded: dataset ", h("a", { href: `#/dataset/${reply.did}` }, reply.did), ", project ", h("a", { href: `#/project/${reply.pid}` }, reply.pid),
        ...(reply.tid ? [", task ", h("a", { href: `#/task/${reply.tid}` }, reply.tid)] : []));
    }) }, "Load");
    grid.append(h("section", { class: "card", dataset: { demo: type } }, h("h3", {}, type), state, bar, h("div", { class: "inline" }, download, stop, load), links));
    return { type, state, bar, load, download };
  });
  every(1000, async () => {
    for (const card of cards) {
      const { attr } = await api.get("/demo", { prj_type: card.type });
      const status = attr.status;
      card.bar.value = status === 0 ? Number(attr.progress) || 0 : status === 3 ? 100 : 0;
      card.state.replaceChildren(statusBadge(status === null ? "not downloaded" : DOWNLOAD_STATUS[status], status === 3 ? "ok" : status === 1 ? "bad" : ""), " ",
        status === 1 ? h("span", { class: "muted" }, String(attr.progress)) : "");
      card.state.dataset.status = status === null ? "none" : String(status);
      card.load.disabled = status !== 3;
    }
  });
}

async function machineView() {
  const { info } = await api.get("/system", { type: "machine_info" });
  const { gpu_mem_infos } = await api.get("/system", { type: "gpu_memory_size" });
  main.replaceChildren(h("h2", {}, "Machine"),
    h("section", { class: "card" }, table(["Property", "Value"], Object.entries(info).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]))),
    h("section", { class: "card" }, h("h3", {}, "GPU memory (MiB)"), gpu_mem_infos.length ? table(["GPU", "Free", "Used", "Total"], gpu_mem_infos.map((g, i) => [i, g.free, g.used, g.total])) : h("p", { class: "muted" }, "No GPU.")));
}

async function homeView() {
  const { dirname } = await api.get("/workspace");
  main.replaceChildren(h("h2", {}, "Welcome"),
    h("p", {}, "Workspace: ", h("code", {}, dirname)),
    h("ul", {},
      h("li", {}, h("a", { href: "#/demos" }, "Load a demo"), " to get a dataset, project and task in one step."),
      h("li", {}, h("a", { href: "#/datasets" }, "Create a dataset"), " and import your pictures."),
      h("li", {}, h("a", { href: "docs" }, "Browse the API"), " (OpenAPI 3.1).")));
}

// ---- router ----

const routes = [
  [/^#\/datasets$/, datasetsView, "#/datasets"],
  [/^#\/dataset\/([\w-]+)$/, datasetView, "#/datasets"],
  [/^#\/projects$/, projectsView, "#/projects"],
  [/^#\/project\/([\w-]+)$/, projectView, "#/projects"],
  [/^#\/task\/([\w-]+)$/, taskView, "#/projects"],
  [/^#\/models$/, modelsView, "#/models"],
  [/^#\/demos$/, demosView, "#/demos"],
  [/^#\/machine$/, machineView, "#/machine"],
];

async function route() {
  timers.forEach(clearInterval);
  timers = [];
  const hash = location.hash || "#/";
  const [pattern, view, nav] = routes.find(([p]) => p.test(hash)) ?? [/^/, homeView, ""];
  for (const link of document.querySelectorAll("header nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === nav);
    if (link.getAttribute("href") === nav) link.setAttribute("aria-current", "page");
  }
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    await view(...(hash.match(pattern) ?? []).slice(1));
  } catch (error) {
    main.replaceChildren(h("p", { class: "status bad" }, error.message));
  }
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
route();
