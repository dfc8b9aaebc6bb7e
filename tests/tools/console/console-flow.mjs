// Drives the web console in Debian's Chromium through playwright-core (which never downloads a
// browser): load the classification demo, split, train and watch the curves, evaluate, predict an
// uploaded picture, export and download the model. Screenshots go to <out>. Any uncaught page
// error or console error fails the run.
// Usage: node console-flow.mjs <server url> <out folder> <picture to predict>
import { chromium } from "playwright-core";
import { mkdir } from "node:fs/promises";
import path from "node:path";

const [base, out, picture] = process.argv.slice(2);
await mkdir(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const errors = [];
const steps = [];
const started = Date.now();
// Each step is also printed as it happens, so a run stopped from outside still shows how far it got.
const log = (step) => {
  steps.push({ step, seconds: Math.round((Date.now() - started) / 100) / 10 });
  console.log(JSON.stringify(steps.at(-1)));
};

let page;
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(120_000);
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  const shot = (name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });

  // The API reference: every operation has a form that sends it.
  await page.goto(`${base}/docs`);
  await page.locator("#getDemo input[name=prj_type]").fill("classification");
  await page.locator("#getDemo").getByRole("button", { name: "Send" }).click();
  await page.locator("#getDemo pre", { hasText: '"status":1' }).waitFor();
  if (await page.locator("section.card[id]").count() < 30) throw new Error("the API reference lists too few operations");
  await shot("0-docs");
  log("docs");

  await page.goto(`${base}/#/demos`);
  await page.getByRole("button", { name: "Download classification demo", exact: true }).click();
  await page.locator('[data-demo="classification"] [data-status="3"]').waitFor();
  log("demo downloaded");
  await page.getByRole("button", { name: "Load classification demo", exact: true }).click();
  const taskLink = page.locator('[data-demo="classification"] a[href^="#/task/"]');
  await taskLink.waitFor();
  await shot("1-demos");
  const taskHash = await taskLink.getAttribute("href");
  await page.locator('[data-demo="classification"] a[href^="#/dataset/"]').click();

  await page.locator(".previews img").first().waitFor();
  log("dataset imported");
  await page.getByLabel("Validation share").fill("0.2");
  await page.getByLabel("Test share").fill("0.2");
  await page.getByRole("button", { name: "Split", exact: true }).click();
  await page.locator("main p span.status", { hasText: /^split$/ }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll(".previews img").length >= 4);
  await shot("2-dataset");
  log("dataset split");

  await page.goto(`${base}/${taskHash}`);
  await page.getByLabel("num_epochs", { exact: true }).fill("2");
  await page.getByRole("button", { name: "Save parameters" }).click();
  await page.getByText("Parameters saved").waitFor();
  await page.getByRole("button", { name: "Train", exact: true }).click();
  const samples = [];
  const pointsOf = (id) => page.evaluate((title) => Number(document.querySelector(`canvas[data-title="${title}"]`)?.dataset.points ?? 0), id);
  for (let i = 0; i < 600; i++) {
    const status = await page.locator("main > p[data-status]").getAttribute("data-status").catch(() => null);
    samples.push({ status, loss: await pointsOf("Training loss"), metrics: await pointsOf("Validation metrics") });
    if (/XTRAINDONE|FAIL|EXIT/.test(status ?? "") && samples.at(-1).metrics > 0) break;
    await page.waitForTimeout(500);
  }
  const last = samples.at(-1);
  if (last.status !== "XTRAINDONE") throw new Error(`training ended as ${last.status}`);
  if (!(last.loss > 0 && last.metrics > 0)) throw new Error(`curves not drawn: ${JSON.stringify(last)}`);
  await shot("3-trained");
  log("trained");

  await page.getByRole("button", { name: "Evaluate" }).click();
  await page.locator("#confusion[data-points]").waitFor();
  await page.getByRole("table").filter({ hasText: "Per-class metrics" }).waitFor();
  log("evaluated");

  await page.getByLabel("Picture", { exact: true }).setInputFiles(picture);
  await page.getByRole("button", { name: "Predict" }).click();
  await page.locator("#prediction").waitFor();
  log("predicted");

  // Quantisation and pruning are offered by this server's OpenAPI document: the console shows them.
  if (!(await page.getByLabel("Quantise (int8)").isVisible()) || await page.getByRole("button", { name: "Start pruning analysis" }).count() === 0) {
    throw new Error("quantise or prune is hidden although the API offers them");
  }
  await page.getByRole("button", { name: "Export", exact: true }).click();
  const link = page.locator("#export-link");
  await link.waitFor();
  const href = new URL(await link.getAttribute("href"), page.url()).toString();
  const model = await page.request.get(href);
  if (model.status() !== 200 || (await model.body()).length < 10_000) throw new Error(`model download failed: HTTP ${model.status()}`);
  await shot("4-evaluated-predicted-exported");
  log("exported");

  console.log(JSON.stringify({ ok: errors.length === 0, errors, steps, training: samples.filter((s, i) => i === 0 || JSON.stringify(s) !== JSON.stringify(samples[i - 1])) }));
  process.exitCode = errors.length === 0 ? 0 : 1;
} catch (error) {
  await page?.screenshot({ path: path.join(out, "failure.png"), fullPage: true }).catch(() => {});
  console.log(JSON.stringify({ ok: false, failure: String(error?.stack ?? error), errors, steps }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
