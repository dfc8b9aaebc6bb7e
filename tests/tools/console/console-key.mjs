// The console on a server started with --api_key: the first call answers 401, the console asks for
// the key in a dialog, then sends it (X-Api-Key) and shows the page. Keyboard only.
// Usage: node console-key.mjs <server url> <key> <out folder>
import { chromium } from "playwright-core";
import path from "node:path";

const [base, key, out] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}/#/datasets`);
  const input = page.getByLabel("API key", { exact: true });
  await input.waitFor();
  await input.fill(key);
  await page.keyboard.press("Enter");
  await page.getByText("No datasets yet").waitFor();
  await page.getByLabel("Name", { exact: true }).fill("keyed");
  await page.keyboard.press("Enter");
  await page.waitForURL(/#\/dataset\/D0001$/);
  await page.getByText("keyed ·").waitFor();
  await page.screenshot({ path: path.join(out, "api-key-phone.png"), fullPage: true });
  console.log(JSON.stringify({ ok: errors.length === 0, errors }));
  process.exitCode = errors.length === 0 ? 0 : 1;
} catch (error) {
  console.log(JSON.stringify({ ok: false, failure: String(error?.stack ?? error), errors }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
