// The upload page in headless Chromium: pick a JPEG, wait for the answer,
// read the class and probability the page shows, compare with POST /predict
// for the same file, save a screenshot.
//   node upload_page.mjs BASE_URL IMAGE SCREENSHOT
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [baseUrl, imagePath, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !imagePath || !screenshotPath) {
  console.error("usage: node upload_page.mjs BASE_URL IMAGE SCREENSHOT");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on("console", (m) => {
    console.log("page console:", m.type(), m.text());
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  await page.goto(baseUrl + "/", { waitUntil: "load" });
  const title = await page.title();
  console.log("title:", title);
  await page.setInputFiles("#file", imagePath);
  await page.waitForFunction(() => {
    const s = document.getElementById("status").textContent;
    return s === "done" || s === "error";
  }, null, { timeout: 30000 });
  const status = await page.textContent("#status");
  const shownClass = (await page.textContent("#prediction")).trim();
  const shownProbText = (await page.textContent("#probability")).trim();
  const shownProb = Number(await page.getAttribute("#probability", "data-value"));
  const error = await page.textContent("#error");
  await page.screenshot({ path: screenshotPath, fullPage: true });
  console.log(`page: status=${status} class=${shownClass} probability=${shownProbText} (${shownProb}) error=${error}`);

  const b64 = readFileSync(imagePath).toString("base64");
  const res = await fetch(baseUrl + "/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ image: b64 }),
  });
  const direct = await res.json();
  console.log(`POST /predict: ${res.status} class=${direct.prediction} probability=${direct.probability}`);

  if (consoleErrors.length) { console.error("FAIL: console errors (a missing resource?)"); failed = true; }
  if (status !== "done") { console.error("FAIL: the page did not show a result"); failed = true; }
  if (res.status !== 200) { console.error("FAIL: /predict answered " + res.status); failed = true; }
  if (shownClass !== direct.prediction) { console.error("FAIL: class differs"); failed = true; }
  if (!(Math.abs(shownProb - direct.probability) <= 1e-6)) { console.error("FAIL: probability differs"); failed = true; }
  if (shownProbText !== direct.probability.toFixed(4)) { console.error("FAIL: shown probability text"); failed = true; }
} catch (e) {
  console.error("FAIL:", e);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
